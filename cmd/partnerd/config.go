package main

import (
	"context"
	"flag"
	"log/slog"
	"net/url"
	"strings"
)

// envOnly are the settings that have no flag: a secret on a command line
// is visible to every user of the machine (ps).
var envOnly = []string{"PARTNERD_SECRET_KEY"}

// logConfig logs the effective value of every flag of fs, and whether each
// environment-only setting is set, with secrets redacted: a database URL's
// password, and the secret key's value.
func logConfig(log *slog.Logger, fs *cmdFlags, getenv func(string) string) {
	var attrs []slog.Attr
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		if f.Name == "db" {
			v = redactDSN(v)
		}
		attrs = append(attrs, slog.String(f.Name, v))
	})
	for _, env := range envOnly {
		v := "unset"
		if getenv(env) != "" {
			v = "set (redacted)"
		}
		attrs = append(attrs, slog.String(env, v))
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "configuration", attrs...)
}

// redactDSN hides the password of a database URL (postgres://u:p@h/db),
// and of a key=value connection string's password=….
func redactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			if q.Has("password") {
				q.Set("password", "xxxxx")
				u.RawQuery = q.Encode()
			}
			return u.Redacted()
		}
		return "[unparsable URL redacted]"
	}
	if !strings.Contains(strings.ToLower(dsn), "password=") {
		return dsn // a file path
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			fields[i] = k + "=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
