package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestConsoleDatabaseUnavailable: while the database refuses connections,
// the console's forms answer 503 with Retry-After (nothing changed, try
// again), not the 500 page; the log says why without the path of a setup
// link, which is its one-time token; once the database is back the same
// link works.
func TestConsoleDatabaseUnavailable(t *testing.T) {
	dsn := pgtest.FreshDSN(t)
	var logs syncBuffer
	e := newEnvOn(t, sqlstore.Source{Driver: "postgres", DSN: dsn}, 1, slog.New(slog.NewJSONHandler(&logs, nil)))
	p, _, _ := e.mustPartner(t, "Refused")
	other, _, err := e.db.CreatePartner(context.Background(), partnerd.PartnerInput{Name: "Later", Email: "later@partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	setup, _, err := e.db.CreateConsoleSetupToken(context.Background(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Refuse(t, dsn, true)
	b := e.browser(t, 0)
	form := url.Values{"password": {partnerPassword}, "password_again": {partnerPassword}}
	for _, pg := range []*page{
		b.post("/console/login", url.Values{"email": {p.Email}, "password": {partnerPassword}}),
		b.post("/console/setup/"+setup, form),
	} {
		if pg.status != http.StatusServiceUnavailable || pg.header.Get("Retry-After") == "" {
			t.Errorf("POST %s with the database refusing connections = %d (Retry-After %q), want 503 with Retry-After; page: %s",
				pg.path, pg.status, pg.header.Get("Retry-After"), excerpt(pg.body))
		}
	}
	if l := logs.String(); strings.Contains(l, setup) {
		t.Errorf("the log holds the setup link's token:\n%s", l)
	} else if !strings.Contains(l, `"route":"POST /console/setup/{token}"`) {
		t.Errorf("the log does not say which page failed:\n%s", l)
	}
	pgtest.Refuse(t, dsn, false)
	b.wantStatus(b.post("/console/setup/"+setup, form), http.StatusSeeOther)
}

// syncBuffer is a bytes.Buffer that handlers on several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
