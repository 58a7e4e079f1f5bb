package main

import (
	"crypto/sha256"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readCommands are the operator commands that only read the database.
var readCommands = [][]string{
	{"ledger", "verify"},
	{"partner", "list"},
	{"switch-token", "list"},
	{"audit", "list"},
}

// TestReadCommandsChangeNothing: the commands that only read leave a
// database as they found it, byte for byte, and add no file beside it
// (no migration lock, no -wal or -shm): a backup (rollback journal), a
// stopped server's database (WAL, no -wal file), and both in a read-only
// directory, where they still work. A database whose schema is behind is
// refused, not migrated.
func TestReadCommandsChangeNothing(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := crashRunEnv(t, bin, env, args...)
		if code != 0 {
			t.Fatalf("partnerd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	must("migrate", "--db", live)
	must("partner", "create", "--db", live, "--name", "Acme", "--email", "ops@acme.example")
	must("switch-token", "create", "--db", live, "--name", "kamailio-1")
	backup := filepath.Join(dir, "backup.db")
	must("backup", "--db", live, backup)
	if _, err := os.Stat(live + "-wal"); err == nil {
		t.Fatalf("%s-wal is left after every command ended", live)
	}

	// state is what must not change: the file's bytes and time, and the
	// directory's names.
	type state struct {
		sum   [32]byte
		mtime time.Time
		names []string
	}
	stateOf := func(path string) state {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return state{sha256.Sum256(b), info.ModTime(), dirNames(t, filepath.Dir(path))}
	}
	check := func(t *testing.T, run func(args ...string) (string, string, int), path string) {
		for _, cmd := range readCommands {
			before := stateOf(path)
			out, errOut, code := run(append(cmd[:len(cmd):len(cmd)], "--db", path)...)
			if code != 0 {
				t.Errorf("partnerd %s --db %s: exit %d\n%s%s", strings.Join(cmd, " "), path, code, out, errOut)
			}
			after := stateOf(path)
			if after.sum != before.sum || !after.mtime.Equal(before.mtime) {
				t.Errorf("partnerd %s changed %s (sha256 or mtime)", strings.Join(cmd, " "), path)
			}
			if !slices.Equal(after.names, before.names) {
				t.Errorf("partnerd %s --db %s changed its directory: %v, then %v", strings.Join(cmd, " "), path, before.names, after.names)
			}
		}
	}
	asUs := func(args ...string) (string, string, int) { return crashRunEnv(t, bin, env, args...) }
	for _, path := range []string{backup, live} {
		t.Run(filepath.Base(path), func(t *testing.T) { check(t, asUs, path) })
	}

	// A read-only directory. Root writes where it likes, so as root the
	// commands run as nobody, for whom the directory is read-only.
	roDir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(roDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{backup, live} {
		copyFile(t, path, filepath.Join(roDir, filepath.Base(path)))
		if err := os.Chmod(filepath.Join(roDir, filepath.Base(path)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(roDir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(roDir, 0o755) })
	asReader := asUs
	if os.Geteuid() == 0 {
		// nobody must reach the binary and the directory.
		for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin)), filepath.Dir(roDir)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		asReader = func(args ...string) (string, string, int) {
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			if err != nil && cmd.ProcessState == nil {
				t.Fatalf("run as nobody: %v", err)
			}
			return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
		}
	}
	for _, path := range []string{backup, live} {
		t.Run("read-only directory/"+filepath.Base(path), func(t *testing.T) {
			check(t, asReader, filepath.Join(roDir, filepath.Base(path)))
		})
	}

	// A schema behind this binary's is refused and left behind.
	behind := filepath.Join(dir, "behind.db")
	copyFile(t, backup, behind)
	rawSQL(t, behind, `DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`)
	for range 2 {
		before := stateOf(behind)
		_, errOut, code := crashRunEnv(t, bin, env, "ledger", "verify", "--db", behind)
		if code != 1 || !strings.Contains(errOut, "run partnerd migrate") {
			t.Errorf("ledger verify on a schema behind: exit %d, want 1 asking to run partnerd migrate\n%s", code, errOut)
		}
		if after := stateOf(behind); after.sum != before.sum || !slices.Equal(after.names, before.names) {
			t.Errorf("ledger verify changed a database whose schema is behind")
		}
	}
}

// TestReadCommandsPostgres: on PostgreSQL the read commands do not
// migrate: a schema behind is refused, and stays behind until migrate.
func TestReadCommandsPostgres(t *testing.T) {
	dsn := pgFreshDSN(t)
	t.Parallel()
	bin := crashBuildBinary(t)
	env := pgEnv()
	if out, errOut, code := crashRunEnv(t, bin, env, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	for _, cmd := range readCommands {
		if out, errOut, code := crashRunEnv(t, bin, env, append(cmd[:len(cmd):len(cmd)], "--db", dsn)...); code != 0 {
			t.Errorf("partnerd %s: exit %d\n%s%s", strings.Join(cmd, " "), code, out, errOut)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	version := func() (v int64) {
		t.Helper()
		if err := db.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	latest := version()
	if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = $1`, latest); err != nil {
		t.Fatal(err)
	}
	behind := version()
	for _, cmd := range readCommands {
		_, errOut, code := crashRunEnv(t, bin, env, append(cmd[:len(cmd):len(cmd)], "--db", dsn)...)
		if code != 1 || !strings.Contains(errOut, "run partnerd migrate") {
			t.Errorf("partnerd %s on a schema behind: exit %d, want 1 asking to run partnerd migrate\n%s", strings.Join(cmd, " "), code, errOut)
		}
	}
	if v := version(); v != behind {
		t.Errorf("after the read commands the schema is at version %d, want %d (left as it was)", v, behind)
	}
}
