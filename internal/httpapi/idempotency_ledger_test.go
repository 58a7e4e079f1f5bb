package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// postKey posts a raw body to path with an Idempotency-Key.
func (e *testEnv) postKey(t *testing.T, path string, c creds, key, body string) reply {
	t.Helper()
	return e.doJSON(t, http.MethodPost, path, c, body, map[string]string{"Idempotency-Key": key})
}

// postKeyValues posts body with the Idempotency-Key header holding exactly
// values, which the map-based helpers cannot express (an empty value, or
// the header twice).
func (e *testEnv) postKeyValues(t *testing.T, path string, c creds, values []string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-ID", c.ID)
	req.Header.Set("X-Auth-Token", c.Token)
	req.Header["Idempotency-Key"] = values
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading body: %v", path, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&r.body) != nil {
		r.body = nil
	}
	return r
}

// wantFresh checks that r is a first (not replayed) answer with status.
func wantFresh(t *testing.T, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s = %d, want %d; body: %s", what, r.status, status, r.raw)
	}
	if got := r.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("%s: Idempotent-Replayed = %q, want none on a first request", what, got)
	}
}

// wantReplay checks that r replays first: same status, byte-identical body,
// Idempotent-Replayed: true.
func wantReplay(t *testing.T, what string, r, first reply) {
	t.Helper()
	if r.status != first.status {
		t.Errorf("%s = %d, want the stored %d; body: %s", what, r.status, first.status, r.raw)
	}
	if got := r.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("%s: Idempotent-Replayed = %q, want true", what, got)
	}
	if r.raw != first.raw {
		t.Errorf("%s body is not byte-identical to the first:\n got %s\nwant %s", what, r.raw, first.raw)
	}
}

// wantKeyInUse checks a 409 idempotency_key_in_use and its Retry-After.
func wantKeyInUse(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusConflict || str(r.body["error"]) != partnerd.ECIdempotencyInUse {
		t.Errorf("got %d %s, want 409 %s; body: %s", r.status, r.body["error"], partnerd.ECIdempotencyInUse, r.raw)
		return
	}
	ra := r.header.Get("Retry-After")
	if n, err := strconv.Atoi(ra); err != nil || n < 1 || n > int(partnerd.IdempotencyLease.Seconds()) {
		t.Errorf("409 %s: Retry-After = %q, want whole seconds from 1 to 60", partnerd.ECIdempotencyInUse, ra)
	}
}

// concurrently sends n identical requests at once, with key, and returns
// the replies.
func (e *testEnv) concurrently(t *testing.T, n int, path string, c creds, key, body string) []reply {
	t.Helper()
	replies := make([]reply, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			replies[i], errs[i] = e.request(http.MethodPost, path, c, body, map[string]string{"Idempotency-Key": key})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return replies
}

// checkOneEffect checks that of concurrent replies to one key exactly one
// is fresh with status, and every other is 409 in use or its replay. It
// returns the fresh reply.
func checkOneEffect(t *testing.T, replies []reply, status int) reply {
	t.Helper()
	var fresh []reply
	for _, r := range replies {
		if r.status == status && r.header.Get("Idempotent-Replayed") == "" {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) != 1 {
		for _, r := range replies {
			t.Logf("reply %d replayed=%q: %s", r.status, r.header.Get("Idempotent-Replayed"), r.raw)
		}
		t.Fatalf("%d concurrent requests with one key had %d fresh %d answers, want exactly 1", len(replies), len(fresh), status)
	}
	inUse := 0
	for _, r := range replies {
		switch {
		case r.status == status && r.header.Get("Idempotent-Replayed") == "":
		case r.status == status:
			wantReplay(t, "concurrent replay", r, fresh[0])
		default:
			inUse++
			wantKeyInUse(t, r)
		}
	}
	t.Logf("%d concurrent requests: 1 fresh, %d replayed, %d in use", len(replies), len(replies)-1-inUse, inUse)
	return fresh[0]
}

// TestTransferIdempotency checks Idempotency-Key on the money-moving
// endpoints (API.md §1).
func TestTransferIdempotency(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	pa := e.mustPartner(t, "Idem Ledger Alpha")
	pb := e.mustPartner(t, "Idem Ledger Beta")
	e.mustFund(t, pa, 100_00, nil)
	e.mustFund(t, pb, 100_00, nil)
	ab := e.mustCreateAccounts(t, pa, 2, func(i int) string { return fmt.Sprint("Idem Ledger ", i) },
		func(i int) string { return emailOf(pa, fmt.Sprint("idem-ledger-", i)) })
	a1, a2 := ab[0], ab[1]
	b1 := str(e.mustCreateAccount(t, pb, validAccount("Idem Ledger Beta One", emailOf(pb, "idem-ledger")))["auth_id"])
	key := "transfer-" + a1 // unique in the shared database, though keys are per partner anyway
	body := `{"amount":10.00,"description":"Idempotent recharge"}`

	first := e.postKey(t, moveURL(a1, "transfer"), pa, key, body)
	wantFresh(t, "first transfer", first, http.StatusOK)
	again := e.postKey(t, moveURL(a1, "transfer"), pa, key, body)
	wantReplay(t, "retried transfer", again, first)
	// The path is compared without its query.
	again = e.postKey(t, moveURL(a1, "transfer")+"?retry=1", pa, key, body)
	wantReplay(t, "retried transfer with a query", again, first)

	// Same key, another request: refused, whatever differs.
	reused := []struct {
		what, path, body string
	}{
		{"another amount", moveURL(a1, "transfer"), `{"amount":11.00,"description":"Idempotent recharge"}`},
		{"the same JSON spelled differently", moveURL(a1, "transfer"), `{"amount": 10.00, "description": "Idempotent recharge"}`},
		{"another customer", moveURL(a2, "transfer"), body},
		{"withdraw-balance", moveURL(a1, "withdraw"), body},
		{"POST /accounts", base + "/accounts", string(mustMarshal(t, validAccount("Idem Ledger Reuse", emailOf(pa, "idem-ledger-reuse"))))},
	}
	for _, tt := range reused {
		r := e.postKey(t, tt.path, pa, key, tt.body)
		wantError(t, r, http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)
		if got := r.header.Get("Idempotent-Replayed"); got != "" {
			t.Errorf("%s: Idempotent-Replayed = %q on a refusal", tt.what, got)
		}
	}
	// The key still replays its own request afterwards.
	wantReplay(t, "transfer retried after refusals", e.postKey(t, moveURL(a1, "transfer"), pa, key, body), first)

	// Keys are per partner: B's use of A's key is its own first request.
	rb := e.postKey(t, moveURL(b1, "transfer"), pb, key, body)
	wantFresh(t, "another partner's transfer with the same key", rb, http.StatusOK)
	if got := str(rb.body["from_account"]); got != pb.ID {
		t.Errorf("partner B's transfer from_account = %q, want %q", got, pb.ID)
	}
	if rb.body["transaction_id"] == first.body["transaction_id"] {
		t.Errorf("partner B's transfer replayed partner A's transaction %v", first.body["transaction_id"])
	}
	wantReplay(t, "partner B's retry", e.postKey(t, moveURL(b1, "transfer"), pb, key, body), rb)

	bal := e.balancesOf(t, pa, a1)
	if diff := cmp.Diff(customerBalances("90.00", "10.00", bal.LastUpdated), bal); diff != "" {
		t.Errorf("partner A after one transfer and its replays (-want +got):\n%s", diff)
	}
	if got := metaOf(t, e.get(t, base+"/accounts/"+a1+"/transactions", pa)).Total; got != "1" {
		t.Errorf("customer log after one transfer and its replays has %s rows, want 1", got)
	}
	if got := metaOf(t, e.get(t, base+"/accounts", pa)).Total; got != "2" {
		t.Errorf("partner A has %s accounts, want 2 (the reused key created none)", got)
	}
	if got := num(e.get(t, base+"/me", pb).body["balance"]); got != "90.00" {
		t.Errorf("partner B balance = %s, want 90.00", got)
	}

	// A request that fails leaves its key unused: the same request
	// succeeds once it can, and a different one may take the key.
	short := "short-" + a1
	big := `{"amount":500}`
	for range 2 {
		r := e.postKey(t, moveURL(a1, "transfer"), pa, short, big)
		wantError(t, r, http.StatusBadRequest, partnerd.ECInsufficientBalance)
	}
	e.mustFund(t, pa, 500_00, nil)
	funded := e.postKey(t, moveURL(a1, "transfer"), pa, short, big)
	wantFresh(t, "transfer after funding, with the key of a failed one", funded, http.StatusOK)
	if got := num(funded.body["customer_balance_after"]); got != "510.00" {
		t.Errorf("customer_balance_after = %s, want 510.00", got)
	}
	wantReplay(t, "retry of the funded transfer", e.postKey(t, moveURL(a1, "transfer"), pa, short, big), funded)

	failures := []struct {
		what, path, body string
		status           int
		code             string
	}{
		{"validation", moveURL(a1, "transfer"), `{"amount":0}`, http.StatusBadRequest, partnerd.ECValidation},
		{"unknown customer", moveURL("MA_00000000", "transfer"), `{"amount":1}`, http.StatusNotFound, partnerd.ECAccountNotFound},
		{"foreign customer", moveURL(b1, "transfer"), `{"amount":1}`, http.StatusNotFound, partnerd.ECAccountNotFound},
		{"currency", moveURL(a1, "transfer"), `{"amount":1,"currency":"USD"}`, http.StatusBadRequest, partnerd.ECCurrencyMismatch},
		{"withdraw too much", moveURL(a1, "withdraw"), `{"amount":1000}`, http.StatusBadRequest, partnerd.ECInsufficientBalance},
		{"content type", moveURL(a1, "transfer"), `{"amount":1}`, http.StatusUnsupportedMediaType, partnerd.ECUnsupportedMedia},
	}
	for i, tt := range failures {
		k := fmt.Sprintf("failed-%d-%s", i, a1)
		hdr := map[string]string{"Idempotency-Key": k}
		if tt.status == http.StatusUnsupportedMediaType {
			hdr["Content-Type"] = "text/plain"
		}
		wantError(t, e.doJSON(t, http.MethodPost, tt.path, pa, tt.body, hdr), tt.status, tt.code)
		r := e.postKey(t, moveURL(a1, "withdraw"), pa, k, `{"amount":0.01}`)
		wantFresh(t, "withdrawal with the key of a failed "+tt.what+" request", r, http.StatusOK)
	}
	if got := num(e.get(t, base+"/accounts/"+a1+"/balance", pa).body["balance"]); got != "509.94" {
		t.Errorf("customer balance = %s, want 509.94 (510.00 less six withdrawals of 0.01)", got)
	}

	// Malformed keys are refused before anything happens.
	badKeys := []struct {
		what   string
		values []string
	}{
		{"256 characters", []string{strings.Repeat("k", 256)}},
		{"non-ASCII", []string{"clé-" + a1}},
		{"a tab", []string{"tab\tkey"}},
		{"empty", []string{""}},
		{"given twice", []string{"twice-1", "twice-2"}},
	}
	for _, tt := range badKeys {
		r := e.postKeyValues(t, moveURL(a1, "transfer"), pa, tt.values, `{"amount":1}`)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff([]fieldCode{{"Idempotency-Key", partnerd.FCInvalidFormat}}, fieldCodes(t, r)); diff != "" {
			t.Errorf("Idempotency-Key %s: fields mismatch (-want +got):\n%s", tt.what, diff)
		}
	}
	long := e.postKey(t, moveURL(a1, "withdraw"), pa, strings.Repeat("k", 255), `{"amount":0.04}`)
	wantFresh(t, "withdrawal with a 255-character key", long, http.StatusOK)
	printable := e.postKey(t, moveURL(a1, "withdraw"), pa, ` !"#$%&'()*+,-./:;<=>?@[\]^_`+"`{|}~", `{"amount":9.90}`)
	wantFresh(t, "withdrawal with a key of ASCII punctuation", printable, http.StatusOK)
	if got := num(e.get(t, base+"/accounts/"+a1+"/balance", pa).body["balance"]); got != "500.00" {
		t.Errorf("customer balance = %s, want 500.00 (malformed keys moved nothing)", got)
	}

	// Concurrent identical requests: one effect, the others wait or replay.
	for round := range 3 {
		k := fmt.Sprintf("race-%d-%s", round, a2)
		fresh := checkOneEffect(t, e.concurrently(t, 8, moveURL(a2, "transfer"), pa, k, `{"amount":1.00}`), http.StatusOK)
		if got, want := num(fresh.body["customer_balance_after"]), fmt.Sprintf("%d.00", round+1); got != want {
			t.Errorf("round %d: customer_balance_after = %s, want %s", round, got, want)
		}
	}
	if got := num(e.get(t, base+"/accounts/"+a2+"/balance", pa).body["balance"]); got != "3.00" {
		t.Errorf("balance after 3 rounds of 8 concurrent transfers of 1.00 = %s, want 3.00", got)
	}
	if got := metaOf(t, e.get(t, base+"/accounts/"+a2+"/transactions", pa)).Total; got != "3" {
		t.Errorf("customer log after 3 rounds has %s rows, want 3", got)
	}
}

// TestAccountCreateIdempotencyLedger complements TestAccountCreateIdempotency:
// byte-identical replays, another path, a failure inside the store,
// concurrent retries, and the stored response encrypted at rest.
func TestAccountCreateIdempotencyLedger(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Idem Create Ledger")
	key := "create-" + p.ID
	email := emailOf(p, "idem-create")
	body := string(mustMarshal(t, validAccount("Idem Create", email)))

	// Password hashing makes the first request slow, so most of its
	// concurrent twins find the key in use.
	first := checkOneEffect(t, e.concurrently(t, 8, base+"/accounts", p, key, body), http.StatusCreated)
	id := str(first.body["auth_id"])
	token := str(first.body["auth_token"])
	if !reAuthID.MatchString(id) || !reToken.MatchString(token) {
		t.Fatalf("created account %s with token %q, want an MA_ id and an sk_live_ token", id, token)
	}
	replay := e.postKey(t, base+"/accounts", p, key, body)
	wantReplay(t, "retried POST /accounts", replay, first)
	if got := metaOf(t, e.get(t, base+"/accounts", p)).Total; got != "1" {
		t.Errorf("accounts after 8 concurrent creates and a replay = %s, want 1", got)
	}
	if got := str(e.get(t, base+"/accounts/"+id, p).body["auth_token"]); got != token {
		t.Errorf("GET /accounts/{id} auth_token = %q, want the replayed %q", got, token)
	}

	// Another path or another body with the same key is another request.
	r := e.postKey(t, moveURL(id, "transfer"), p, key, body)
	wantError(t, r, http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)
	r = e.postKey(t, base+"/accounts", p, key, string(mustMarshal(t, validAccount("Idem Create", emailOf(p, "idem-create-other")))))
	wantError(t, r, http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)

	// A failure inside the store (email_taken) leaves the key unused too.
	taken := "taken-" + p.ID
	r = e.postKey(t, base+"/accounts", p, taken, string(mustMarshal(t, validAccount("Idem Dup", email))))
	wantError(t, r, http.StatusConflict, partnerd.ECEmailTaken)
	second := e.postKey(t, base+"/accounts", p, taken, string(mustMarshal(t, validAccount("Idem Two", emailOf(p, "idem-create-2")))))
	wantFresh(t, "POST /accounts with the key of an email_taken request", second, http.StatusCreated)

	// A control character in the key is refused before any work.
	r = e.postKeyValues(t, base+"/accounts", p, []string{"create\tkey"}, body)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if diff := cmp.Diff([]fieldCode{{"Idempotency-Key", partnerd.FCInvalidFormat}}, fieldCodes(t, r)); diff != "" {
		t.Errorf("Idempotency-Key with a tab: fields mismatch (-want +got):\n%s", diff)
	}

	// The stored response holds the auth_token; like the token itself it
	// is encrypted at rest, so no database file holds it in plain text.
	files, err := filepath.Glob(e.dbPath + "*")
	if err != nil {
		t.Fatal(err)
	}
	scanned := map[string]bool{}
	sawEmail := false // the scan can see what is stored in plain text
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("reading %s: %v", f, err)
			continue
		}
		scanned[filepath.Base(f)] = true
		sawEmail = sawEmail || bytes.Contains(b, []byte(email))
		for _, secret := range []string{token, str(second.body["auth_token"])} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("database file %s holds a customer auth_token in plain text", filepath.Base(f))
			}
		}
	}
	if !sawEmail {
		t.Errorf("no database file holds the account's email: the scan reads the wrong files")
	}
	if !scanned["p.db"] || !scanned["p.db-wal"] {
		t.Errorf("scanned %v, want p.db and its WAL p.db-wal", scanned)
	}
}

// TestIdempotencyLease checks the in-flight marker of a request whose
// process died (API.md §1): it holds its key, answering 409 (retry in a
// second), until its lease runs out; then the key can be used again, by
// any request, since a request that died had no outcome.
func TestIdempotencyLease(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	clock := &manualClock{now: t0}
	e := newEnv(t, clock.Now)
	p := e.mustPartner(t, "Lease Telecom")
	e.mustFund(t, p, 100_00, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Lease Customer", "lease@example.com"))["auth_id"])
	path := moveURL(id, "transfer")
	body := `{"amount":1}`

	// marker writes the row a request left when its process died. The fingerprint mirrors the one idempotent
	// (internal/httpapi/idempotency.go) computes.
	raw, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	marker := func(key, path, body string) {
		t.Helper()
		fp := sha256.Sum256([]byte(http.MethodPost + "\x00" + path + "\x00" + body))
		now := clock.Now()
		if _, err := raw.Exec(`INSERT INTO idempotency_keys (partner_id, key, fingerprint, claim, status, locked_until, created_at)
			VALUES (?, ?, ?, 'dead-instance', 0, ?, ?)`, p.ID, key, fp[:], now.Add(partnerd.IdempotencyLease).Unix(), now.Unix()); err != nil {
			t.Fatal(err)
		}
	}

	marker("lease", path, body)
	for _, tt := range []struct {
		after      time.Duration
		retryAfter string
	}{{0, "1"}, {45 * time.Second, "1"}, {59 * time.Second, "1"}} {
		clock.Set(t0.Add(tt.after))
		r := e.postKey(t, path, p, "lease", body)
		wantKeyInUse(t, r)
		if got := r.header.Get("Retry-After"); got != tt.retryAfter {
			t.Errorf("%v into the lease: Retry-After = %q, want %q", tt.after, got, tt.retryAfter)
		}
	}
	if r := e.postKey(t, path, p, "lease", `{"amount":2}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("another body under a live marker = %d, want 422; body: %s", r.status, r.raw)
	}
	clock.Set(t0.Add(partnerd.IdempotencyLease))
	first := e.postKey(t, path, p, "lease", body)
	wantFresh(t, "retry once the lease ran out", first, http.StatusOK)
	wantReplay(t, "retry after the takeover", e.postKey(t, path, p, "lease", body), first)
	if got := num(e.get(t, base+"/accounts/"+id+"/balance", p).body["balance"]); got != "1.00" {
		t.Errorf("balance = %s, want 1.00 (one effect)", got)
	}

	// A request that died had no 2xx outcome, so once its lease is over
	// its key is unused: a different request may take it.
	t.Run("different request after the lease", func(t *testing.T) {
		clock.Set(t0.Add(time.Hour))
		marker("lease-2", path, `{"amount":2}`)
		clock.Set(t0.Add(time.Hour + partnerd.IdempotencyLease + time.Second))
		wantFresh(t, "another request with a dead request's key", e.postKey(t, path, p, "lease-2", body), http.StatusOK)
	})
}
