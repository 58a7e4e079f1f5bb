package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/partnerd/partnerd/internal/sqlstore"
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
			v = sqlstore.Redact(v)
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
