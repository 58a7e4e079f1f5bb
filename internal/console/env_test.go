package console_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/console"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// env is a database served by one or more instances of the whole server
// (API and console), as partnerd serve composes them.
type env struct {
	db   *sqlstore.DB // the first instance's store
	urls []string
}

// newEnv opens n stores on one new database of driver ("sqlite" or
// "postgres") and serves each, API and console, on its own listener.
func newEnv(t testing.TB, driver string, n int) *env {
	t.Helper()
	var src sqlstore.Source
	switch driver {
	case "postgres":
		src = sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	default:
		src = sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")}
	}
	return newEnvOn(t, src, n, nil)
}

// newEnvOn is newEnv on the database src, logging to log (nowhere if nil)
// and telling a database out of reach as partnerd serve does.
func newEnvOn(t testing.TB, src sqlstore.Source, n int, log *slog.Logger) *env {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	e := &env{}
	for range n {
		db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
		if err != nil {
			t.Fatalf("Open(%s): %v", src.Driver, err)
		}
		t.Cleanup(func() { db.Close() })
		if e.db == nil {
			e.db = db
		}
		var api *httpapi.Server
		c := console.New(console.Config{
			Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Numbers: db, SIP: db, CDRs: db, Overview: db,
			Webhooks: db, AutoTopups: db, Idempotency: db, Console: db, Audit: db, Logger: log,
			Unavailable: sqlstore.Unavailable, ForgetCredentials: func(id string) { api.ForgetCredentials(id) },
		})
		api = httpapi.NewServer(httpapi.Config{
			Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Idempotency: db, Numbers: db, Rates: db,
			Switches: db, SIP: db, Calls: db, CDRs: db, Overview: db, Events: db, Webhooks: db, AutoTopups: db,
			Ping: db.Ping, Console: c, Logger: log, Unavailable: sqlstore.Unavailable,
		})
		srv := httptest.NewServer(api)
		t.Cleanup(srv.Close)
		e.urls = append(e.urls, srv.URL)
	}
	return e
}

// mustPartner creates a partner with a console password, signed in
// through its setup link; it returns the partner and a browser of it.
func (e *env) mustPartner(t testing.TB, name string) (*partnerd.Partner, string, *browser) {
	t.Helper()
	ctx := context.Background()
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: name, Email: strings.ToLower(name) + "@partner.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	setup, _, err := e.db.CreateConsoleSetupToken(ctx, p.ID)
	if err != nil {
		t.Fatalf("CreateConsoleSetupToken: %v", err)
	}
	b := e.browser(t, 0)
	b.wantStatus(b.post("/console/setup/"+setup, url.Values{"password": {partnerPassword}, "password_again": {partnerPassword}}), http.StatusSeeOther)
	b.signIn(p.Email, partnerPassword, http.StatusSeeOther)
	return p, token, b
}

const partnerPassword = "Console@Pass1"

// browser is an HTTP client of one instance that keeps the session
// cookie itself: net/http/cookiejar sends no Secure cookie over http://,
// which browsers do for loopback.
type browser struct {
	t      testing.TB
	base   string
	cookie string
	client *http.Client
	header http.Header // added to every request
}

func (e *env) browser(t testing.TB, instance int) *browser {
	return &browser{t: t, base: e.urls[instance], header: http.Header{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer.
type page struct {
	status int
	header http.Header
	body   string
	path   string
}

func (b *browser) do(method, path string, form url.Values) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-partnerd_console", Value: b.cookie})
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-partnerd_console" {
			b.cookie = c.Value
			if c.MaxAge < 0 {
				b.cookie = ""
			}
		}
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: string(raw), path: path}
}

func (b *browser) get(path string) *page { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

func (b *browser) wantStatus(p *page, want int) *page {
	b.t.Helper()
	if p.status != want {
		b.t.Fatalf("%s: status %d, want %d\n%s", p.path, p.status, want, excerpt(p.body))
	}
	return p
}

func (b *browser) signIn(email, password string, want int) *page {
	b.t.Helper()
	return b.wantStatus(b.post("/console/login", url.Values{"email": {email}, "password": {password}}), want)
}

// submit posts the form of the page at path whose action is action,
// with its idempotency key, plus fields.
func (b *browser) submit(path, action string, fields url.Values) *page {
	b.t.Helper()
	form := b.formOf(b.wantStatus(b.get(path), http.StatusOK), action)
	for k, v := range fields {
		form[k] = v
	}
	return b.post(action, form)
}

// formOf returns the hidden fields of the form with action on p.
func (b *browser) formOf(p *page, action string) url.Values {
	b.t.Helper()
	i := strings.Index(p.body, `action="`+action+`"`)
	if i < 0 {
		b.t.Fatalf("%s has no form with action %s", p.path, action)
	}
	rest := p.body[i:]
	rest = rest[:strings.Index(rest, "</form>")]
	out := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(rest, -1) {
		out.Set(m[1], m[2])
	}
	return out
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// excerpt shortens a body for a failure message.
func excerpt(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// wantIn fails unless every string of want is in p's body.
func wantIn(t testing.TB, p *page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) && !strings.Contains(html.UnescapeString(p.body), w) {
			t.Errorf("%s: body lacks %q\n%s", p.path, w, excerpt(p.body))
		}
	}
}

// mustCustomer creates a customer through the store.
func (e *env) mustCustomer(t testing.TB, partnerID, name string) *partnerd.Account {
	t.Helper()
	a, err := e.db.CreateAccount(context.Background(), partnerID, partnerd.AccountInput{
		Name: name, Email: fmt.Sprintf("customer%d@customer.example", customers.Add(1)),
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatalf("CreateAccount(%q): %v", name, err)
	}
	return a
}

var customers atomic.Int64
