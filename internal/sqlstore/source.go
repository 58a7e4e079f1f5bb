package sqlstore

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Source is a parsed --db value.
type Source struct {
	Driver string // "sqlite" or "postgres"
	Path   string // SQLite file path
	DSN    string // the original value
}

// ParseSource accepts a file path, sqlite:///abs/path or a postgres:// URL.
// It refuses what looks like a libpq key/value connection string ("host=…
// user=… password=…"): taken as a file name, it would become a new SQLite
// database named after the password.
func ParseSource(dsn string) (Source, error) {
	switch {
	case dsn == "":
		return Source{}, errors.New("no database given: use --db PATH or sqlite:///abs/path")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Source{Driver: "postgres", DSN: dsn}, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Path == "" || (u.Host != "" && u.Host != "localhost") {
			return Source{}, errors.New("bad sqlite URL: want sqlite:///absolute/path")
		}
		return Source{Driver: "sqlite", Path: u.Path, DSN: dsn}, nil
	case looksKeyValue(dsn):
		return Source{}, fmt.Errorf("database %q looks like a PostgreSQL key/value connection string, which partnerd does not take: "+
			"write it as a URL, postgres://USER:PASSWORD@HOST:PORT/DBNAME?sslmode=… "+
			"(a SQLite file whose name has \"=\": sqlite:///absolute/path)", Redact(dsn))
	case strings.Contains(dsn, "://"):
		// Quote only the scheme: the rest may hold a password.
		scheme, _, _ := strings.Cut(dsn, "://")
		return Source{}, fmt.Errorf("unsupported database URL scheme %q: use a file path, sqlite:// or postgres://", scheme)
	}
	return Source{Driver: "sqlite", Path: dsn, DSN: dsn}, nil
}

// libpqKeywords are the connection parameters a key/value connection
// string most often starts with.
var libpqKeywords = []string{
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode",
	"connect_timeout", "application_name", "options", "service", "target_session_attrs",
}

// looksKeyValue reports whether dsn reads as "key=value key=value": an "="
// with white space, or a first word that is a libpq keyword before "=".
func looksKeyValue(dsn string) bool {
	s := strings.TrimSpace(dsn)
	if strings.Contains(s, "=") && strings.ContainsFunc(s, unicode.IsSpace) {
		return true
	}
	key, _, ok := strings.Cut(s, "=")
	return ok && slices.Contains(libpqKeywords, strings.ToLower(strings.TrimSpace(key)))
}

// KeyFile is where the secret key is kept when PARTNERD_SECRET_KEY is unset:
// beside the SQLite database.
func (s Source) KeyFile() string {
	if s.Driver != "sqlite" {
		return ""
	}
	return s.Path + ".key"
}

// Redact hides the password of a database URL (postgres://u:p@h/db, or
// ?password=p) and of a key/value connection string's password=…, quoted
// or not, for logs and messages.
func Redact(dsn string) string {
	if strings.Contains(dsn, "://") && !looksKeyValue(dsn) {
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
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// kvPassword is a key/value connection string's password: a word, or
// '…' in which \' and \\ are escapes, as libpq reads it.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:\\.|[^'\\])*'?|\S*)`)
