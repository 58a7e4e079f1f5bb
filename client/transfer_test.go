package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// These tests run the client against the real server on a real SQLite
// store; the only thing between them is a recorder of what was sent.

var reTxnID = regexp.MustCompile(`^txn_[0-9a-f]{32}$`)

// reGeneratedKey matches the Idempotency-Key the client makes up for a
// POST sent without one; the recorder writes it as generatedKey.
var reGeneratedKey = regexp.MustCompile(`^pdc_[A-Z2-7]{26}$`)

const generatedKey = "(generated)"

// request is what the recorder saw of one request and its answer.
type request struct {
	Method, Path, Query string
	IdempotencyKey      string
	Body                string
	Replayed            string // the Idempotent-Replayed response header
}

// ledgerEnv is a partnerd server on its own database, with a clock the
// test sets.
type ledgerEnv struct {
	db    *sqlstore.DB
	url   string
	clock atomic.Int64 // the store's time, in Unix seconds

	mu   sync.Mutex
	seen []request
}

func newLedgerEnv(t *testing.T) *ledgerEnv {
	t.Helper()
	db := mustOpenSQLite(t)
	e := &ledgerEnv{db: db}
	e.at(time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC))
	db.Now = func() time.Time { return time.Unix(e.clock.Load(), 0) }
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
		e.mu.Lock()
		defer e.mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		if reGeneratedKey.MatchString(key) {
			key = generatedKey
		}
		e.seen = append(e.seen, request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, IdempotencyKey: key,
			Body: string(body), Replayed: w.Header().Get("Idempotent-Replayed"),
		})
	}))
	t.Cleanup(srv.Close) // before the store closes: cleanups run last first
	e.url = srv.URL
	return e
}

// at sets the store's clock.
func (e *ledgerEnv) at(now time.Time) { e.clock.Store(now.Unix()) }

// requests returns and forgets what the server has seen.
func (e *ledgerEnv) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := e.seen
	e.seen = nil
	return seen
}

// partner creates a partner holding currency, credits its master wallet
// with fund minor units if fund > 0, and returns its id and token.
func (e *ledgerEnv) partner(t *testing.T, name, currency string, fund int64) (id, token string) {
	t.Helper()
	ctx := context.Background()
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{
		Name: name, Email: strings.ToLower(name) + "@partner.example", Currency: currency,
	})
	if err != nil {
		t.Fatalf("CreatePartner(%s): %v", name, err)
	}
	if fund > 0 {
		if _, err := e.db.FundPartner(ctx, p.ID, fund, nil); err != nil {
			t.Fatalf("FundPartner(%s, %d): %v", p.ID, fund, err)
		}
	}
	return p.ID, token
}

// customer creates a customer through c and returns its auth_id.
func (e *ledgerEnv) customer(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	a, err := c.CreateAccount(context.Background(), "", partnerd.AccountInput{
		Name: name, Email: strings.ToLower(name) + "@customer.example", Password: "SecurePass@123",
		Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatalf("CreateAccount(%s): %v", name, err)
	}
	return a.AuthID
}

// balances returns the partner's and the customer's balances.
func balances(t *testing.T, c *client.Client, authID string) (partner, customer int64) {
	t.Helper()
	ctx := context.Background()
	p, err := c.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	a, err := c.Balance(ctx, authID)
	if err != nil {
		t.Fatalf("Balance(%s): %v", authID, err)
	}
	return p.Balance, a.Balance
}

// errorOf returns err as a *partnerd.Error, failing the test otherwise.
func errorOf(t *testing.T, err error) *partnerd.Error {
	t.Helper()
	var pe *partnerd.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %#v, want a *partnerd.Error", err)
	}
	return pe
}

func TestTransferAndWithdraw(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	pid, token := e.partner(t, "Acme", "INR", 1_000_00)
	c := client.New(e.url, pid, token)
	a := e.customer(t, c, "Credresolve")
	e.requests()

	now := time.Date(2026, 3, 25, 11, 0, 0, 0, time.UTC)
	e.at(now)
	got, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 500_00, Description: ptr("April recharge")})
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if !reTxnID.MatchString(got.TransactionID) {
		t.Errorf("TransactionID = %q, want %s", got.TransactionID, reTxnID)
	}
	want := &partnerd.Transfer{
		TransactionID: got.TransactionID, FromAccount: pid, ToAccount: a, Amount: 500_00, Currency: "INR",
		Description: ptr("April recharge"), Status: "completed", PartnerBalanceAfter: 500_00,
		CustomerBalanceAfter: 500_00, Timestamp: now,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Transfer (-want +got):\n%s", diff)
	}
	// The first transfer learns the currency; the amount goes as a
	// decimal string in it, with the currency beside it.
	wantSeen := []request{
		{Method: "GET", Path: "/api/v1/partner/me"},
		{Method: "POST", Path: "/api/v1/partner/accounts/" + a + "/transfer-balance", IdempotencyKey: generatedKey,
			Body: `{"amount":"500.00","currency":"INR","description":"April recharge"}`},
	}
	if diff := cmp.Diff(wantSeen, e.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	later := now.Add(90 * time.Minute)
	e.at(later)
	got, err = c.Withdraw(ctx, pid, partnerd.TransferInput{AuthID: a, Amount: 120_50})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	want = &partnerd.Transfer{
		TransactionID: got.TransactionID, FromAccount: a, ToAccount: pid, Amount: 120_50, Currency: "INR",
		Status: "completed", PartnerBalanceAfter: 620_50, CustomerBalanceAfter: 379_50, Timestamp: later,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Withdraw (-want +got):\n%s", diff)
	}
	// The currency is known now; no description means none is sent.
	wantSeen = []request{
		{Method: "POST", Path: "/api/v1/partner/accounts/" + a + "/withdraw-balance", IdempotencyKey: generatedKey,
			Body: `{"amount":"120.50","currency":"INR"}`},
	}
	if diff := cmp.Diff(wantSeen, e.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	if p, cu := balances(t, c, a); p != 620_50 || cu != 379_50 {
		t.Errorf("balances = partner %d, customer %d; want 62050, 37950", p, cu)
	}
}

func TestTransferCurrencyDecimals(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	tests := []struct {
		currency   string
		amount     int64
		wantAmount string
	}{
		{"INR", 123_45, "123.45"},
		{"USD", 7, "0.07"},
		{"JPY", 1500, "1500"},
		{"KWD", 1234, "1.234"},
	}
	for _, tt := range tests {
		// Subtests share the server, so they run one after another.
		t.Run(tt.currency, func(t *testing.T) {
			ctx := context.Background()
			pid, token := e.partner(t, "Partner"+tt.currency, strings.ToLower(tt.currency), 1_000_000)
			c := client.New(e.url, pid, token)
			a := e.customer(t, c, "Customer"+tt.currency)
			e.requests()
			got, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: tt.amount})
			if err != nil {
				t.Fatalf("Transfer: %v", err)
			}
			if got.Amount != tt.amount || got.Currency != tt.currency || got.CustomerBalanceAfter != tt.amount ||
				got.PartnerBalanceAfter != 1_000_000-tt.amount {
				t.Errorf("Transfer = amount %d %s, partner after %d, customer after %d; want %d %s, %d, %d",
					got.Amount, got.Currency, got.PartnerBalanceAfter, got.CustomerBalanceAfter,
					tt.amount, tt.currency, 1_000_000-tt.amount, tt.amount)
			}
			seen := e.requests()
			if want := `{"amount":"` + tt.wantAmount + `","currency":"` + tt.currency + `"}`; len(seen) != 2 || seen[1].Body != want {
				t.Errorf("requests = %+v, want GET /me then a POST with body %s", seen, want)
			}
			if _, cu := balances(t, c, a); cu != tt.amount {
				t.Errorf("customer balance = %d, want %d", cu, tt.amount)
			}
		})
	}
}

func TestWithCurrency(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	jpyID, jpyToken := e.partner(t, "Tokyo", "JPY", 100_000)
	jpyCustomer := e.customer(t, client.New(e.url, jpyID, jpyToken), "Shinjuku")
	inrID, inrToken := e.partner(t, "Mumbai", "INR", 1_000_00)
	inrCustomer := e.customer(t, client.New(e.url, inrID, inrToken), "Bandra")
	e.requests()

	c := client.New(e.url, jpyID, jpyToken, client.WithCurrency("jpy"))
	got, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: jpyCustomer, Amount: 1500})
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if got.Amount != 1500 || got.Currency != "JPY" {
		t.Errorf("Transfer = %d %s, want 1500 JPY", got.Amount, got.Currency)
	}
	// No GET /me first.
	wantSeen := []request{
		{Method: "POST", Path: "/api/v1/partner/accounts/" + jpyCustomer + "/transfer-balance", IdempotencyKey: generatedKey,
			Body: `{"amount":"1500","currency":"JPY"}`},
	}
	if diff := cmp.Diff(wantSeen, e.requests()); diff != "" {
		t.Errorf("requests with WithCurrency (-want +got):\n%s", diff)
	}

	// A wrong currency is refused, never read with the wrong decimals.
	tests := []struct {
		name, id, token, customer, option, wantCode string
	}{
		// "1500" alone would be 1500.00 INR, a hundred times the amount
		// meant; the currency sent with it stops that.
		{"JPY amount to an INR partner", inrID, inrToken, inrCustomer, "JPY", partnerd.ECCurrencyMismatch},
		// "15.00" has decimals yen do not have.
		{"INR amount to a JPY partner", jpyID, jpyToken, jpyCustomer, "INR", partnerd.ECValidation},
	}
	for _, tt := range tests {
		wrong := client.New(e.url, tt.id, tt.token, client.WithCurrency(tt.option))
		_, err := wrong.Transfer(ctx, "", partnerd.TransferInput{AuthID: tt.customer, Amount: 1500})
		if got := partnerd.ErrorCode(err); got != tt.wantCode {
			t.Errorf("%s: code %q (%v), want %q", tt.name, got, err, tt.wantCode)
		}
	}
	if p, cu := balances(t, c, jpyCustomer); p != 98_500 || cu != 1500 {
		t.Errorf("JPY balances = partner %d, customer %d; want 98500, 1500", p, cu)
	}
	if p, cu := balances(t, client.New(e.url, inrID, inrToken), inrCustomer); p != 1_000_00 || cu != 0 {
		t.Errorf("INR balances = partner %d, customer %d; want 100000, 0", p, cu)
	}
}

func TestTransferInsufficientBalance(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	pid, token := e.partner(t, "Acme", "INR", 200_00)
	c := client.New(e.url, pid, token)
	a := e.customer(t, c, "Credresolve")

	// details picks the documented keys of an insufficient_balance error.
	details := func(t *testing.T, err error) map[string]any {
		t.Helper()
		pe := errorOf(t, err)
		if pe.Code != partnerd.ECInsufficientBalance {
			t.Errorf("code = %q, want %q (%v)", pe.Code, partnerd.ECInsufficientBalance, pe)
		}
		if id, _ := pe.Details["request_id"].(string); id == "" {
			t.Errorf("request_id = %#v, want a request id", pe.Details["request_id"])
		}
		if partnerd.ErrorCode(err) != pe.Code {
			t.Errorf("ErrorCode = %q, want %q", partnerd.ErrorCode(err), pe.Code)
		}
		out := map[string]any{}
		for _, k := range []string{"current_balance", "requested_amount", "currency"} {
			out[k] = pe.Details[k]
		}
		return out
	}

	_, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 500_00})
	want := map[string]any{"current_balance": json.Number("200.00"), "requested_amount": json.Number("500.00"), "currency": "INR"}
	if diff := cmp.Diff(want, details(t, err)); diff != "" {
		t.Errorf("transfer details (-want +got):\n%s", diff)
	}

	if _, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 150_00}); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	// A withdrawal is bounded by the customer's balance, and says so.
	_, err = c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 150_01})
	want = map[string]any{"current_balance": json.Number("150.00"), "requested_amount": json.Number("150.01"), "currency": "INR"}
	if diff := cmp.Diff(want, details(t, err)); diff != "" {
		t.Errorf("withdrawal details (-want +got):\n%s", diff)
	}

	if p, cu := balances(t, c, a); p != 50_00 || cu != 150_00 {
		t.Errorf("balances = partner %d, customer %d; want 5000, 15000", p, cu)
	}
	// Refused moves leave nothing in the ledger.
	if _, total, err := c.PartnerEntries(ctx, "", partnerd.EntryFilter{}); err != nil || total != 2 {
		t.Errorf("PartnerEntries total = %d, %v; want 2 (the fund and one transfer)", total, err)
	}
}

func TestTransferIdempotentReplay(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	pid, token := e.partner(t, "Acme", "INR", 1_000_00)
	c := client.New(e.url, pid, token)
	a := e.customer(t, c, "Credresolve")
	e.requests()

	ctx := client.WithIdempotencyKey(context.Background(), "april-recharge-1")
	in := partnerd.TransferInput{AuthID: a, Amount: 500_00, Description: ptr("April recharge")}
	first, err := c.Transfer(ctx, "", in)
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	e.at(time.Date(2026, 3, 23, 9, 5, 0, 0, time.UTC))
	again, err := c.Transfer(ctx, "", in)
	if err != nil {
		t.Fatalf("Transfer again: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replayed transfer (-first +again):\n%s", diff)
	}
	// A new client (a restarted process) learns the currency again and
	// sends the same bytes, so it gets the same answer too.
	fresh, err := client.New(e.url, pid, token).Transfer(ctx, pid, in)
	if err != nil {
		t.Fatalf("Transfer from a new client: %v", err)
	}
	if fresh.TransactionID != first.TransactionID {
		t.Errorf("new client's TransactionID = %q, want the first %q", fresh.TransactionID, first.TransactionID)
	}

	path := "/api/v1/partner/accounts/" + a + "/transfer-balance"
	body := `{"amount":"500.00","currency":"INR","description":"April recharge"}`
	wantSeen := []request{
		{Method: "GET", Path: "/api/v1/partner/me"},
		{Method: "POST", Path: path, IdempotencyKey: "april-recharge-1", Body: body},
		{Method: "POST", Path: path, IdempotencyKey: "april-recharge-1", Body: body, Replayed: "true"},
		{Method: "GET", Path: "/api/v1/partner/me"},
		{Method: "POST", Path: path, IdempotencyKey: "april-recharge-1", Body: body, Replayed: "true"},
	}
	if diff := cmp.Diff(wantSeen, e.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// Same key, another request.
	_, err = c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 500_01})
	if got := partnerd.ErrorCode(err); got != partnerd.ECIdempotencyReused {
		t.Errorf("Transfer with a reused key: code %q (%v), want %q", got, err, partnerd.ECIdempotencyReused)
	}
	// The money moved once.
	if p, cu := balances(t, c, a); p != 500_00 || cu != 500_00 {
		t.Errorf("balances = partner %d, customer %d; want 50000, 50000", p, cu)
	}
	entries, total, err := c.AccountEntries(context.Background(), "", a, partnerd.EntryFilter{})
	if err != nil || total != 1 || entries[0].TransactionID != first.TransactionID {
		t.Errorf("AccountEntries = %d entries (%v), want only %s", total, err, first.TransactionID)
	}
}

func TestEntries(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }

	pid, token := e.partner(t, "Acme", "INR", 0)
	c := client.New(e.url, pid, token)
	e.at(day(23, 9))
	fund, err := e.db.FundPartner(ctx, pid, 1_000_00, ptr("opening float"))
	if err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
	a := e.customer(t, c, "Alpha")
	b := e.customer(t, c, "Bravo")
	move := func(op func(context.Context, string, partnerd.TransferInput) (*partnerd.Transfer, error), authID string, amount int64, desc *string) string {
		t.Helper()
		tr, err := op(ctx, "", partnerd.TransferInput{AuthID: authID, Amount: amount, Description: desc})
		if err != nil {
			t.Fatalf("moving %d for %s: %v", amount, authID, err)
		}
		return tr.TransactionID
	}
	e.at(day(24, 10))
	t1 := move(c.Transfer, a, 300_00, ptr("April recharge"))
	t2 := move(c.Transfer, b, 200_00, nil) // same second as t1: ordered by commit
	e.at(day(25, 8))
	t3 := move(c.Withdraw, a, 50_00, ptr("refund of overpayment"))
	e.at(day(26, 12))
	t4 := move(c.Transfer, a, 10_00, nil)
	f := fund.TransactionID

	// The customer's log, spelled out.
	entry := func(id, owner, typ string, amount, before int64, desc *string, at time.Time) *partnerd.Entry {
		return &partnerd.Entry{
			TransactionID: id, AccountAuthID: owner, Type: typ, Amount: amount, Currency: "INR",
			BalanceBefore: before, BalanceAfter: before + amount, Description: desc, InitiatedBy: pid, CreatedAt: at,
		}
	}
	got, total, err := c.AccountEntries(ctx, "", a, partnerd.EntryFilter{})
	if err != nil {
		t.Fatalf("AccountEntries: %v", err)
	}
	want := []*partnerd.Entry{
		entry(t4, a, partnerd.TxRecharge, 10_00, 250_00, nil, day(26, 12)),
		entry(t3, a, partnerd.TxWithdrawal, -50_00, 300_00, ptr("refund of overpayment"), day(25, 8)),
		entry(t1, a, partnerd.TxRecharge, 300_00, 0, ptr("April recharge"), day(24, 10)),
	}
	if diff := cmp.Diff(want, got); diff != "" || total != 3 {
		t.Errorf("AccountEntries: total %d, want 3; entries (-want +got):\n%s", total, diff)
	}
	// The partner's side of the same transactions.
	got, total, err = c.PartnerEntries(ctx, "", partnerd.EntryFilter{})
	if err != nil {
		t.Fatalf("PartnerEntries: %v", err)
	}
	want = []*partnerd.Entry{
		entry(t4, pid, partnerd.TxTransferOut, -10_00, 550_00, nil, day(26, 12)),
		entry(t3, pid, partnerd.TxTransferIn, 50_00, 500_00, ptr("refund of overpayment"), day(25, 8)),
		entry(t2, pid, partnerd.TxTransferOut, -200_00, 700_00, nil, day(24, 10)),
		entry(t1, pid, partnerd.TxTransferOut, -300_00, 1_000_00, ptr("April recharge"), day(24, 10)),
		entry(f, pid, partnerd.TxFund, 1_000_00, 0, ptr("opening float"), day(23, 9)),
	}
	want[4].InitiatedBy = partnerd.InitiatedByOperator
	if diff := cmp.Diff(want, got); diff != "" || total != 5 {
		t.Errorf("PartnerEntries: total %d, want 5; entries (-want +got):\n%s", total, diff)
	}

	// Filters and paging, each checked against the store itself read with
	// the same filter.
	const (
		account = iota
		customers
		partner
	)
	defaultPage := partnerd.Page{Page: 1, Size: 20}
	tests := []struct {
		name      string
		log       int
		f         partnerd.EntryFilter
		wantIDs   []string
		wantTotal int
		wantQuery string
	}{
		{name: "account all", log: account, wantIDs: []string{t4, t3, t1}, wantTotal: 3},
		{name: "account withdrawals", log: account, f: partnerd.EntryFilter{Type: partnerd.TxWithdrawal, Page: defaultPage},
			wantIDs: []string{t3}, wantTotal: 1, wantQuery: "page=1&size=20&transaction_type=withdrawal"},
		{name: "account page 2 of 1", log: account, f: partnerd.EntryFilter{Page: partnerd.Page{Page: 2, Size: 1}},
			wantIDs: []string{t3}, wantTotal: 3, wantQuery: "page=2&size=1"},
		{name: "account past the end", log: account, f: partnerd.EntryFilter{Page: partnerd.Page{Page: 4, Size: 1}},
			wantIDs: []string{}, wantTotal: 3},
		{name: "account one day", log: account, f: partnerd.EntryFilter{From: day(25, 0), To: day(25, 0), Page: defaultPage},
			wantIDs: []string{t3}, wantTotal: 1, wantQuery: "from_date=2026-03-25&page=1&size=20&to_date=2026-03-25"},
		{name: "customers all", log: customers, wantIDs: []string{t4, t3, t2, t1}, wantTotal: 4},
		{name: "customers recharges until the 24th", log: customers,
			f:       partnerd.EntryFilter{Type: partnerd.TxRecharge, To: day(24, 0), Page: defaultPage},
			wantIDs: []string{t2, t1}, wantTotal: 2},
		{name: "customers page 2 of 3", log: customers, f: partnerd.EntryFilter{Page: partnerd.Page{Page: 2, Size: 3}},
			wantIDs: []string{t1}, wantTotal: 4},
		{name: "partner all", log: partner, wantIDs: []string{t4, t3, t2, t1, f}, wantTotal: 5},
		{name: "partner funds", log: partner, f: partnerd.EntryFilter{Type: partnerd.TxFund, Page: defaultPage},
			wantIDs: []string{f}, wantTotal: 1},
		{name: "partner transfers out on the 24th and 25th", log: partner,
			f:       partnerd.EntryFilter{From: day(24, 0), To: day(25, 0), Type: partnerd.TxTransferOut, Page: partnerd.Page{Page: 1, Size: 100}},
			wantIDs: []string{t2, t1}, wantTotal: 2,
			wantQuery: "from_date=2026-03-24&page=1&size=100&to_date=2026-03-25&transaction_type=transfer_out"},
		{name: "partner from the 26th", log: partner, f: partnerd.EntryFilter{From: day(26, 0), Page: defaultPage},
			wantIDs: []string{t4}, wantTotal: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.requests()
			storeFilter := tt.f
			if storeFilter.Page == (partnerd.Page{}) {
				storeFilter.Page = defaultPage // the server's default
			}
			var got, want []*partnerd.Entry
			var total, wantTotal int
			var err, storeErr error
			switch tt.log {
			case account:
				got, total, err = c.AccountEntries(ctx, "", a, tt.f)
				want, wantTotal, storeErr = e.db.AccountEntries(ctx, pid, a, storeFilter)
			case customers:
				got, total, err = c.CustomerEntries(ctx, "", tt.f)
				want, wantTotal, storeErr = e.db.CustomerEntries(ctx, pid, storeFilter)
			case partner:
				got, total, err = c.PartnerEntries(ctx, pid, tt.f)
				want, wantTotal, storeErr = e.db.PartnerEntries(ctx, pid, storeFilter)
			}
			if err != nil || storeErr != nil {
				t.Fatalf("client: %v; store: %v", err, storeErr)
			}
			gotIDs := make([]string, 0, len(got))
			for _, en := range got {
				gotIDs = append(gotIDs, en.TransactionID)
			}
			if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" || total != tt.wantTotal {
				t.Errorf("total %d, want %d; ids (-want +got):\n%s", total, tt.wantTotal, diff)
			}
			if diff := cmp.Diff(want, got); diff != "" || total != wantTotal {
				t.Errorf("client total %d, store total %d; entries (-store +client):\n%s", total, wantTotal, diff)
			}
			if tt.wantQuery != "" {
				if seen := e.requests(); len(seen) != 1 || seen[0].Query != tt.wantQuery {
					t.Errorf("requests = %+v, want one with query %q", seen, tt.wantQuery)
				}
			}
		})
	}

	t.Run("customer rows name their account", func(t *testing.T) {
		got, _, err := c.CustomerEntries(ctx, "", partnerd.EntryFilter{})
		if err != nil {
			t.Fatalf("CustomerEntries: %v", err)
		}
		var owners []string
		for _, en := range got {
			owners = append(owners, en.AccountAuthID)
		}
		if diff := cmp.Diff([]string{a, a, b, a}, owners); diff != "" {
			t.Errorf("owners (-want +got):\n%s", diff)
		}
	})

	t.Run("dates are UTC days", func(t *testing.T) {
		// 03:00 on the 25th in Kolkata is still the 24th in UTC.
		kolkata := time.FixedZone("IST", 5*3600+1800)
		e.requests()
		got, total, err := c.CustomerEntries(ctx, "", partnerd.EntryFilter{
			From: time.Date(2026, 3, 25, 3, 0, 0, 0, kolkata), To: time.Date(2026, 3, 25, 3, 0, 0, 0, kolkata),
		})
		if err != nil {
			t.Fatalf("CustomerEntries: %v", err)
		}
		if seen := e.requests(); len(seen) != 1 || seen[0].Query != "from_date=2026-03-24&to_date=2026-03-24" {
			t.Errorf("requests = %+v, want one with from_date and to_date 2026-03-24", seen)
		}
		if total != 2 || len(got) != 2 || got[0].TransactionID != t2 || got[1].TransactionID != t1 {
			t.Errorf("CustomerEntries on the 24th: total %d, %d entries; want %s, %s", total, len(got), t2, t1)
		}
	})

	t.Run("bad filters", func(t *testing.T) {
		tests := []struct {
			name      string
			f         partnerd.EntryFilter
			wantField string
		}{
			{"partner type on a customer log", partnerd.EntryFilter{Type: partnerd.TxFund}, "transaction_type"},
			{"to before from", partnerd.EntryFilter{From: day(25, 0), To: day(24, 0)}, "to_date"},
			{"size over 100", partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 101}}, "size"},
		}
		for _, tt := range tests {
			_, _, err := c.CustomerEntries(ctx, "", tt.f)
			var pe *partnerd.Error
			if !errors.As(err, &pe) || pe.Code != partnerd.ECValidation || len(pe.Fields) != 1 || pe.Fields[0].Field != tt.wantField {
				t.Errorf("%s: error %v, want %s on field %s", tt.name, err, partnerd.ECValidation, tt.wantField)
			}
		}
	})
}

func TestLedgerForeignCustomer(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	pid, token := e.partner(t, "Acme", "INR", 1_000_00)
	c := client.New(e.url, pid, token)
	otherID, otherToken := e.partner(t, "Rival", "INR", 1_000_00)
	other := client.New(e.url, otherID, otherToken)
	theirs := e.customer(t, other, "Theirs")
	if _, err := other.Transfer(ctx, "", partnerd.TransferInput{AuthID: theirs, Amount: 100_00}); err != nil {
		t.Fatalf("Transfer by the owner: %v", err)
	}

	const unknown = "MA_00000000"
	calls := []struct {
		name string
		call func(authID string) error
	}{
		{"Transfer", func(id string) error {
			_, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 10_00})
			return err
		}},
		{"Withdraw", func(id string) error {
			_, err := c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 10_00})
			return err
		}},
		{"AccountEntries", func(id string) error {
			_, _, err := c.AccountEntries(ctx, "", id, partnerd.EntryFilter{})
			return err
		}},
	}
	for _, cl := range calls {
		// Another partner's customer is answered exactly like no customer.
		foreign, missing := errorOf(t, cl.call(theirs)), errorOf(t, cl.call(unknown))
		if foreign.Code != partnerd.ECAccountNotFound {
			t.Errorf("%s(another partner's customer): code %q (%v), want %q", cl.name, foreign.Code, foreign, partnerd.ECAccountNotFound)
		}
		if got, want := strings.ReplaceAll(foreign.Message, theirs, "ID"), strings.ReplaceAll(missing.Message, unknown, "ID"); got != want {
			t.Errorf("%s: message for another partner's customer %q, for none %q; want the same", cl.name, got, want)
		}
	}
	// Nothing moved, and neither log shows the other partner's rows.
	if p, cu := balances(t, other, theirs); p != 900_00 || cu != 100_00 {
		t.Errorf("other partner's balances = %d, %d; want 90000, 10000", p, cu)
	}
	if me, err := c.Me(ctx); err != nil || me.Balance != 1_000_00 {
		t.Errorf("Me = %v, %v; want balance 100000", me, err)
	}
	if _, total, err := c.CustomerEntries(ctx, "", partnerd.EntryFilter{}); err != nil || total != 0 {
		t.Errorf("CustomerEntries total = %d, %v; want 0", total, err)
	}
	if got, total, err := c.PartnerEntries(ctx, "", partnerd.EntryFilter{}); err != nil || total != 1 || got[0].Type != partnerd.TxFund {
		t.Errorf("PartnerEntries = %d entries, %v; want only the fund", total, err)
	}
}

func TestLedgerRefusedWithoutRequest(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	pid, token := e.partner(t, "Acme", "INR", 1_000_00)
	c := client.New(e.url, pid, token)
	e.requests()

	for _, err := range []error{
		second(c.Transfer(ctx, "PA_OTHER000", partnerd.TransferInput{AuthID: "MA_48149cf4", Amount: 1})),
		second(c.Withdraw(ctx, "PA_OTHER000", partnerd.TransferInput{AuthID: "MA_48149cf4", Amount: 1})),
		third(c.AccountEntries(ctx, "PA_OTHER000", "MA_48149cf4", partnerd.EntryFilter{})),
		third(c.CustomerEntries(ctx, "PA_OTHER000", partnerd.EntryFilter{})),
		third(c.PartnerEntries(ctx, "PA_OTHER000", partnerd.EntryFilter{})),
	} {
		if got := partnerd.ErrorCode(err); got != partnerd.ECForbidden {
			t.Errorf("acting for another partner: code %q (%v), want %q", got, err, partnerd.ECForbidden)
		}
	}
	for _, id := range []string{"", "..", "MA_48149CF4", "MA_1/../x", "PA_OTHER000"} {
		for _, err := range []error{
			second(c.Transfer(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 1})),
			second(c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 1})),
			third(c.AccountEntries(ctx, "", id, partnerd.EntryFilter{})),
		} {
			if got := partnerd.ErrorCode(err); got != partnerd.ECAccountNotFound {
				t.Errorf("customer %q: code %q (%v), want %q", id, got, err, partnerd.ECAccountNotFound)
			}
		}
	}
	if seen := e.requests(); len(seen) != 0 {
		t.Errorf("server saw %+v, want no request", seen)
	}
}

func second[T any](_ T, err error) error { return err }

func third[T any](_ T, _ int, err error) error { return err }
