#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests: Debian's packages
# (installed if missing), a temporary directory, a non-root user, 127.0.0.1
# on a free port, trust authentication. Source it; it exports
# PARTNERD_TEST_POSTGRES and defines pg_stop, which the caller must run on exit.
set -euo pipefail

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "== installing PostgreSQL from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi
PGBIN=$(pg_bin)

PG_USER=partnerd_pg
if ! id "$PG_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
fi

PGDIR=$(mktemp -d /tmp/partnerd-pg.XXXXXX)
chown "$PG_USER" "$PGDIR"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)

runuser -u "$PG_USER" -- "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
runuser -u "$PG_USER" -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=on -c synchronous_commit=on -c max_connections=300" >/dev/null

pg_stop() {
  runuser -u "$PG_USER" -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}

export PARTNERD_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
