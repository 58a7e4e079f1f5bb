package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/webhook"
)

// clock is a settable time shared by the store and the dispatcher, so
// that no test waits for the retry schedule.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// verify checks a delivery the way a receiver following Standard Webhooks
// 1.0 does, written apart from the package's Sign: the HMAC-SHA256, keyed
// with the base64-decoded secret, of id.timestamp.body must equal one of
// the space-separated v1 signatures.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, h.Get("webhook-id")+"."+h.Get("webhook-timestamp")+".")
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		v, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a scripted webhook endpoint: each request is answered by the
// next of its script's handlers (the last one repeats).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	script []http.HandlerFunc
}

func newReceiver(t testing.TB, script ...http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		h := r.script[min(n, len(r.script)-1)]
		r.mu.Unlock()
		h(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// status answers with code.
func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// env is a store on a fresh SQLite database with a partner, a funded
// customer and a dispatcher, all on one clock.
type env struct {
	db       *sqlstore.DB
	clock    *clock
	d        *webhook.Dispatcher
	partner  string
	customer string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")},
		sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return setUp(t, db)
}

// setUp makes the partner and customer on db and a dispatcher on it.
func setUp(t testing.TB, db *sqlstore.DB) *env {
	t.Helper()
	ctx := context.Background()
	c := newClock()
	db.Now = c.Now
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Hooks", Email: "ops@hooks.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 100_000_000, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Cust", Email: "c@hooks.example", Password: "SecurePass@123",
		Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	d := &webhook.Dispatcher{Queue: db, Now: c.Now, AllowPrivate: true, Timeout: 2 * time.Second, Jitter: func() float64 { return 0.5 }}
	return &env{db: db, clock: c, d: d, partner: p.ID, customer: a.AuthID}
}

// mustEndpoint adds an endpoint for url (every type) and returns it with its secret.
func (e *env) mustEndpoint(t testing.TB, url string, types ...string) *partnerd.WebhookEndpoint {
	t.Helper()
	ep, err := e.db.CreateWebhookEndpoint(context.Background(), e.partner, partnerd.WebhookEndpointInput{URL: url, EventTypes: types})
	if err != nil {
		t.Fatalf("CreateWebhookEndpoint(%s): %v", url, err)
	}
	return ep
}

// mustTransfer moves amount to the customer: one balance.transferred event.
func (e *env) mustTransfer(t testing.TB, amount int64) *partnerd.Transfer {
	t.Helper()
	tr, err := e.db.Transfer(context.Background(), e.partner, partnerd.TransferInput{AuthID: e.customer, Amount: amount})
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	return tr
}

// runOnce sends what is due on the clock now.
func (e *env) runOnce(t *testing.T) {
	t.Helper()
	if err := e.d.RunOnce(context.Background()); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
}

// deliveries lists the endpoint's deliveries, newest first.
func (e *env) deliveries(t *testing.T, endpointID string) []*partnerd.WebhookDelivery {
	t.Helper()
	ds, _, err := e.db.WebhookDeliveries(context.Background(), e.partner, endpointID, partnerd.DeliveryFilter{Page: partnerd.Page{Page: 1, Size: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// payload is a delivery's body.
type payload struct {
	Type      string         `json:"type"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

func mustPayload(t *testing.T, body []byte) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return p
}

// duplicateKey returns a key that some object of the JSON document v
// holds twice ("" when none does), as a strict receiver would refuse it;
// encoding/json itself keeps the last value without a word.
func duplicateKey(v []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	var walk func() (string, error)
	walk = func() (string, error) {
		t, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return "", err
				}
				if seen[k.(string)] {
					return k.(string), nil
				}
				seen[k.(string)] = true
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
		case json.Delim('['):
			for dec.More() {
				if dup, err := walk(); dup != "" || err != nil {
					return dup, err
				}
			}
		default:
			return "", nil
		}
		_, err = dec.Token() // the closing delimiter
		return "", err
	}
	return walk()
}

// wantAttempts checks a delivery's status and its attempts' HTTP codes
// (0: no response, and then an error must say why).
func wantAttempts(t *testing.T, d *partnerd.WebhookDelivery, status string, codes ...int) {
	t.Helper()
	got := []int{}
	for _, a := range d.Attempts {
		c := 0
		if a.StatusCode != nil {
			c = *a.StatusCode
		} else if a.Error == nil || *a.Error == "" {
			t.Errorf("delivery %s: an attempt without a status code names no error", d.ID)
		}
		got = append(got, c)
	}
	if d.Status != status || !slices.Equal(got, append([]int{}, codes...)) {
		t.Errorf("delivery %s: status %s attempts %v, want %s with %v", d.ID, d.Status, got, status, codes)
	}
}
