package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// base is the path every partner endpoint lives under.
const base = "/api/v1/partner"

// seedCreateBody is the request body of the published page's cURL example,
// byte for byte (testdata/seed-create-account.json, shared with the
// binary's end-to-end test).
var seedCreateBody = readSeedBody("../../testdata/seed-create-account.json")

// seedPassword is the password of the published example.
const seedPassword = "SecurePass@123"

var (
	reAuthID    = regexp.MustCompile(`^MA_[0-9a-f]{8}$`)
	rePartnerID = regexp.MustCompile(`^PA_[A-Z0-9]{8}$`)
	reToken     = regexp.MustCompile(`^sk_live_[0-9A-Za-z]{32,}$`)
	reTime      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	reSaneReqID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
)

// syncBuffer is a goroutine-safe log sink: the server logs from many
// request goroutines at once.
type syncBuffer = httpapi.SyncLog

// testEnv is one server on its own SQLite database.
type testEnv struct {
	db     *sqlstore.DB
	dbPath string
	api    *httpapi.Server
	srv    *httptest.Server
	logs   *syncBuffer
}

// newEnv opens a fresh database and serves the API on it, for a test
// that needs a server of its own (its own log, or a database it closes).
// now, if not nil, replaces the store's clock before any request is served.
func newEnv(t *testing.T, now func() time.Time) *testEnv {
	t.Helper()
	e, closeEnv, err := openEnv(t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	return e
}

// Opening a database runs the migrations, which is slow under -race, so
// tests that only touch their own partners share a server: tenancy keeps
// them apart, and each uses email addresses of its own.
var (
	sharedMu     sync.Mutex
	sharedEnvs   = map[string]*testEnv{}
	sharedCloses []func()
)

// sharedEnv returns the server shared by tests running on the real clock.
func sharedEnv(t *testing.T) *testEnv {
	t.Helper()
	return sharedEnvNamed(t, "real", nil)
}

// frozenEnv returns the server shared by tests running on fixedClock.
func frozenEnv(t *testing.T) *testEnv {
	t.Helper()
	return sharedEnvNamed(t, "frozen", fixedClock())
}

func sharedEnvNamed(t *testing.T, name string, now func() time.Time) *testEnv {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if e, ok := sharedEnvs[name]; ok {
		return e
	}
	dir, err := os.MkdirTemp("", "httpapi-test-")
	if err != nil {
		t.Fatal(err)
	}
	e, closeEnv, err := openEnv(dir, now)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	sharedEnvs[name] = e
	sharedCloses = append(sharedCloses, func() {
		closeEnv()
		os.RemoveAll(dir)
	})
	return e
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range sharedCloses {
		c()
	}
	if err := benchtest.DropPostgres(); err != nil {
		fmt.Fprintf(os.Stderr, "drop the benchmarks' PostgreSQL databases: %v\n", err)
	}
	// Answers read by other means than request (raw connections, other
	// clients) are held to the document here.
	if v := allViolations(); len(v) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d answers do not match the OpenAPI document:\n%s\n", len(v), strings.Join(v, "\n"))
		code = 1
	}
	os.Exit(code)
}

// openEnv opens a database in dir and serves the API on it.
func openEnv(dir string, now func() time.Time) (*testEnv, func(), error) {
	return openEnvWith(dir, envOptions{now: now})
}

// envOptions are the choices of openEnvWith.
type envOptions struct {
	now       func() time.Time // the store's clock, if not nil
	serverNow func() time.Time // the credential cache's clock, if not nil
	accessLog bool             // access lines through Config.AccessLog, not the logger
	src       *sqlstore.Source // the database, if not SQLite in dir
	key       []byte           // the secret key, if not a new random one
}

// openEnvWith is openEnv with more choices.
func openEnvWith(dir string, o envOptions) (*testEnv, func(), error) {
	now := o.now
	ctx := context.Background()
	key := o.key
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	path := filepath.Join(dir, "p.db")
	src := sqlstore.Source{Driver: "sqlite", Path: path}
	if o.src != nil {
		src, path = *o.src, ""
	}
	db, err := sqlstore.Open(ctx, src, sqlstore.Options{SecretKey: key, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore.Open: %v", err)
	}
	if now != nil {
		db.Now = now
	}
	c := httpapi.Config{
		Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Idempotency: db, Logger: log, Ping: db.Ping, Now: o.serverNow,
		Unavailable: sqlstore.Unavailable,
		Rates:       db, Numbers: db,
	}
	c.Switches, c.SIP, c.Calls, c.CDRs, c.Overview, c.Events, c.Webhooks, c.AutoTopups, c.Audit = db, db, db, db, db, db, db, db, db
	if o.accessLog {
		c.AccessLog = logs
	}
	api := httpapi.NewServer(c)
	srv := httptest.NewServer(contractCheck(api))
	closeEnv := func() {
		srv.Close()
		api.Close()
		db.Close()
	}
	return &testEnv{db: db, dbPath: path, api: api, srv: srv, logs: logs}, closeEnv, nil
}

// creds are a partner's API credentials.
type creds struct {
	ID, Token string
}

// noCreds sends no credential headers at all.
var noCreds = creds{}

// mustPartner creates an active partner with the default currency. Tests
// share databases and partner emails are unique: each gets its own.
func (e *testEnv) mustPartner(t *testing.T, name string) creds {
	t.Helper()
	email := fmt.Sprintf("%s-%d@partner.example", strings.ToLower(strings.ReplaceAll(name, " ", "")), partnerSeq.Add(1))
	return e.mustPartnerWith(t, partnerd.PartnerInput{Name: name, Email: email})
}

// partnerSeq numbers the partners mustPartner creates.
var partnerSeq atomic.Int64

func (e *testEnv) mustPartnerWith(t *testing.T, in partnerd.PartnerInput) creds {
	t.Helper()
	p, token, err := e.db.CreatePartner(context.Background(), in)
	if err != nil {
		t.Fatalf("CreatePartner(%+v): %v", in, err)
	}
	return creds{ID: p.ID, Token: token}
}

// reply is one HTTP answer: its status, headers, the body decoded as a
// JSON object (nil if it is not one) and the raw body.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// send performs one request. body is sent as is when it is a string or
// []byte, JSON-encoded otherwise, and omitted when nil; a body gets
// Content-Type application/json unless hdr sets another (an empty value
// removes it). It checks nothing.
func (e *testEnv) send(t *testing.T, method, path string, c creds, body any, hdr map[string]string) reply {
	t.Helper()
	r, err := e.request(method, path, c, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// request is send for goroutines other than the test's: it returns the
// error instead of failing the test.
func (e *testEnv) request(method, path string, c creds, body any, hdr map[string]string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return reply{}, fmt.Errorf("json.Marshal(%v): %v", body, err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		return reply{}, fmt.Errorf("NewRequest(%s %s): %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.ID != "" {
		req.Header.Set("X-Auth-ID", c.ID)
	}
	if c.Token != "" {
		req.Header.Set("X-Auth-Token", c.Token)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading body: %v", method, path, err)
	}
	if v := takeViolations(resp.Header.Get("X-Request-Id")); len(v) > 0 {
		return reply{}, fmt.Errorf("%s", strings.Join(v, "\n"))
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		r.body = m
	}
	return r, nil
}

// doJSON performs one request like send and checks what every answer of
// the API must satisfy: never a 5xx, a JSON object body with the JSON
// content type, an X-Request-ID header, and for errors a request_id equal
// to that header.
func (e *testEnv) doJSON(t *testing.T, method, path string, c creds, body any, hdr map[string]string) reply {
	t.Helper()
	r := e.send(t, method, path, c, body, hdr)
	if r.status >= 500 {
		t.Fatalf("%s %s answered %d, want no 5xx; body: %s", method, path, r.status, r.raw)
	}
	if method == http.MethodHead {
		return r
	}
	if got, want := r.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("%s %s: Content-Type = %q, want %q", method, path, got, want)
	}
	if r.body == nil {
		t.Errorf("%s %s: body is not a JSON object: %q", method, path, r.raw)
	}
	hid := r.header.Get("X-Request-ID")
	if !reSaneReqID.MatchString(hid) {
		t.Errorf("%s %s: X-Request-ID = %q, want a sane request id", method, path, hid)
	}
	if r.status >= 400 {
		if got := str(r.body["request_id"]); got != hid {
			t.Errorf("%s %s: body request_id = %q, want X-Request-ID %q", method, path, got, hid)
		}
	}
	return r
}

// get is doJSON for a GET without a body.
func (e *testEnv) get(t *testing.T, path string, c creds) reply {
	t.Helper()
	return e.doJSON(t, http.MethodGet, path, c, nil, nil)
}

// post is doJSON for a POST of body as JSON.
func (e *testEnv) post(t *testing.T, path string, c creds, body any) reply {
	t.Helper()
	return e.doJSON(t, http.MethodPost, path, c, body, nil)
}

// validAccount returns a minimal valid create body with the given email.
func validAccount(name, email string) map[string]any {
	return map[string]any{
		"name": name, "email": email, "password": "Str0ng!pass", "phone": "9431538535", "country": "IN",
	}
}

// seedAccount returns the published example body as a map, with email
// replaced when it is not empty.
func seedAccount(t *testing.T, email string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(seedCreateBody), &m); err != nil {
		t.Fatalf("seed body: %v", err)
	}
	if email != "" {
		m["email"] = email
	}
	return m
}

// mustCreateAccount creates an account and returns the 201 body.
func (e *testEnv) mustCreateAccount(t *testing.T, c creds, body any) map[string]any {
	t.Helper()
	r := e.post(t, base+"/accounts", c, body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /accounts = %d, want 201; body: %s", r.status, r.raw)
	}
	return r.body
}

// mustCreateAccounts creates n accounts named name(i) with email email(i),
// four at a time (password hashing is slow on purpose), and returns their
// auth_ids indexed by i.
func (e *testEnv) mustCreateAccounts(t *testing.T, c creds, n int, name, email func(i int) string) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make([]string, n)
	idx := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range idx {
				r, err := e.request(http.MethodPost, base+"/accounts", c, validAccount(name(i), email(i)), nil)
				if err != nil {
					errs[i] = err.Error()
					continue
				}
				if r.status != http.StatusCreated {
					errs[i] = fmt.Sprintf("account %d: status %d, body %s", i, r.status, r.raw)
					continue
				}
				ids[i] = str(r.body["auth_id"])
			}
		})
	}
	for i := range n {
		idx <- i
	}
	close(idx)
	wg.Wait()
	for _, msg := range errs {
		if msg != "" {
			t.Fatal(msg)
		}
	}
	return ids
}

// wantError checks that r is the flat error body with status and code.
func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body: %s", r.status, status, r.raw)
	}
	if got := str(r.body["error"]); got != code {
		t.Errorf("error = %q, want %q; body: %s", got, code, r.raw)
	}
	if str(r.body["message"]) == "" {
		t.Errorf("error body has no message: %s", r.raw)
	}
}

// fieldCode is what a test asserts about one entry of "fields".
type fieldCode struct{ Field, Code string }

// fieldCodes returns the (field, code) pairs of an error body, sorted by
// field, checking that each entry also has a message.
func fieldCodes(t *testing.T, r reply) []fieldCode {
	t.Helper()
	list, _ := r.body["fields"].([]any)
	var out []fieldCode
	for _, item := range list {
		f, _ := item.(map[string]any)
		if str(f["message"]) == "" {
			t.Errorf("fields entry %v has no message", item)
		}
		out = append(out, fieldCode{str(f["field"]), str(f["code"])})
	}
	slices.SortFunc(out, func(a, b fieldCode) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// sortedFields sorts want like fieldCodes sorts got.
func sortedFields(fc ...fieldCode) []fieldCode {
	out := slices.Clone(fc)
	slices.SortFunc(out, func(a, b fieldCode) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// str returns v as a string, or "" if it is not one.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// num returns v (a json.Number) as its text, or "" if it is not a number.
func num(v any) string {
	n, _ := v.(json.Number)
	return string(n)
}

// data returns the "data" array of a list body as objects.
func data(t *testing.T, r reply) []map[string]any {
	t.Helper()
	list, ok := r.body["data"].([]any)
	if !ok {
		t.Fatalf("body has no data array: %s", r.raw)
	}
	out := make([]map[string]any, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("data item %v is not an object", item)
		}
		out = append(out, m)
	}
	return out
}

// authIDs returns the auth_id of each row.
func authIDs(rows []map[string]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, str(r["auth_id"]))
	}
	return out
}

// mustMarshal returns v as JSON.
func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%v): %v", v, err)
	}
	return b
}

// withoutKeys returns a copy of m without the given keys.
func withoutKeys(m map[string]any, drop ...string) map[string]any {
	out := maps.Clone(m)
	for _, k := range drop {
		delete(out, k)
	}
	return out
}

// readSeedBody reads the published example body, without its final newline.
func readSeedBody(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}
