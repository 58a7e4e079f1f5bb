package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var reTxnID = regexp.MustCompile(`^txn_[0-9a-f]{32}$`)

// transferKeys are the keys of a transfer-balance or withdraw-balance 200.
var transferKeys = []string{"amount", "currency", "customer_balance_after", "description", "from_account",
	"partner_balance_after", "status", "timestamp", "to_account", "transaction_id"}

// manualClock is a store clock a test moves by hand, so created_at,
// timestamps and last_updated are known exactly.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// mustFund credits the partner's master wallet through the store, as the
// operator's `partner fund` does, and returns the ledger entry.
func (e *testEnv) mustFund(t *testing.T, c creds, minor int64, description *string) *partnerd.Entry {
	t.Helper()
	entry, err := e.db.FundPartner(context.Background(), c.ID, minor, description)
	if err != nil {
		t.Fatalf("FundPartner(%s, %d): %v", c.ID, minor, err)
	}
	return entry
}

// moveURL is the path of transfer-balance (action "transfer") or
// withdraw-balance (action "withdraw") for customer id.
func moveURL(id, action string) string {
	return base + "/accounts/" + id + "/" + action + "-balance"
}

// emailOf returns an address unique to partner c, so tests on a shared
// server never collide on the server-wide unique email.
func emailOf(c creds, local string) string {
	return local + "-" + strings.ToLower(c.ID) + "@example.com"
}

// mustMove posts body to transfer- or withdraw-balance and returns the 200 body.
func (e *testEnv) mustMove(t *testing.T, c creds, id, action, body string) reply {
	t.Helper()
	r := e.post(t, moveURL(id, action), c, body)
	if r.status != http.StatusOK {
		t.Fatalf("POST %s %s = %d, want 200; body: %s", action, body, r.status, r.raw)
	}
	if diff := cmp.Diff(transferKeys, keys(r.body)); diff != "" {
		t.Errorf("%s response keys mismatch (-want +got):\n%s", action, diff)
	}
	if !reTxnID.MatchString(str(r.body["transaction_id"])) {
		t.Errorf("transaction_id = %q, want txn_ and 32 hex digits", r.body["transaction_id"])
	}
	return r
}

// balances is what the read endpoints say about one partner and one of its
// customers.
type balances struct {
	Partner     string // GET /me
	ListItem    string // the customer's row of GET /accounts
	Profile     string // GET /accounts/{id}
	Balance     string // GET /accounts/{id}/balance
	LastUpdated string // GET /accounts/{id}/balance
}

// balancesOf reads every endpoint that shows a balance. The customer must
// be among the partner's 100 newest.
func (e *testEnv) balancesOf(t *testing.T, c creds, id string) balances {
	t.Helper()
	var b balances
	r := e.get(t, base+"/me", c)
	b.Partner = num(r.body["balance"])
	for _, row := range data(t, e.get(t, base+"/accounts?size=100", c)) {
		if str(row["auth_id"]) == id {
			b.ListItem = num(row["balance"])
		}
	}
	b.Profile = num(e.get(t, base+"/accounts/"+id, c).body["balance"])
	r = e.get(t, base+"/accounts/"+id+"/balance", c)
	b.Balance = num(r.body["balance"])
	b.LastUpdated = str(r.body["last_updated"])
	if want := fmt.Sprintf(`"balance":%s`, b.Balance); !strings.Contains(r.raw, want) {
		t.Errorf("GET /balance %s does not contain %s", r.raw, want)
	}
	return b
}

// customerBalances is balances for a customer holding amount since last.
func customerBalances(partner, amount, last string) balances {
	return balances{Partner: partner, ListItem: amount, Profile: amount, Balance: amount, LastUpdated: last}
}

func TestTransferAndWithdraw(t *testing.T) {
	t.Parallel()
	ist := time.FixedZone("IST", 5*3600+1800)
	clock := &manualClock{now: time.Date(2026, 3, 25, 15, 30, 0, 250_000_000, ist)} // 10:00:00Z
	e := newEnv(t, clock.Now)
	p := e.mustPartner(t, "Wallet Telecom")
	e.mustFund(t, p, 1000_00, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Wallet Customer", "wallet@example.com"))["auth_id"])
	if diff := cmp.Diff(customerBalances("1000.00", "0.00", "2026-03-25T10:00:00Z"), e.balancesOf(t, p, id)); diff != "" {
		t.Errorf("balances before any move (-want +got):\n%s", diff)
	}

	clock.Set(time.Date(2026, 3, 25, 16, 31, 30, 900_000_000, ist)) // 11:01:30Z
	r := e.mustMove(t, p, id, "transfer", `{"amount": 500.00, "currency": "INR", "description": "April recharge"}`)
	transferID := str(r.body["transaction_id"])
	want := map[string]any{
		"transaction_id": transferID, "from_account": p.ID, "to_account": id,
		"amount": json.Number("500.00"), "currency": "INR", "description": "April recharge", "status": "completed",
		"partner_balance_after": json.Number("500.00"), "customer_balance_after": json.Number("500.00"),
		"timestamp": "2026-03-25T11:01:30Z",
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("transfer response mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []string{`"amount":500.00`, `"partner_balance_after":500.00`, `"customer_balance_after":500.00`} {
		if !strings.Contains(r.raw, s) {
			t.Errorf("transfer response %s does not contain %s", r.raw, s)
		}
	}
	if diff := cmp.Diff(customerBalances("500.00", "500.00", "2026-03-25T11:01:30Z"), e.balancesOf(t, p, id)); diff != "" {
		t.Errorf("balances after the transfer (-want +got):\n%s", diff)
	}

	// A withdrawal swaps from and to; a missing description is null.
	clock.Set(time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC))
	r = e.mustMove(t, p, id, "withdraw", `{"amount":"120.5"}`)
	withdrawID := str(r.body["transaction_id"])
	want = map[string]any{
		"transaction_id": withdrawID, "from_account": id, "to_account": p.ID,
		"amount": json.Number("120.50"), "currency": "INR", "description": nil, "status": "completed",
		"partner_balance_after": json.Number("620.50"), "customer_balance_after": json.Number("379.50"),
		"timestamp": "2026-03-25T12:00:00Z",
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("withdraw response mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.raw, `"amount":120.50`) || !strings.Contains(r.raw, `"description":null`) {
		t.Errorf("withdraw response %s does not write amount 120.50 and description null", r.raw)
	}
	if withdrawID == transferID {
		t.Errorf("withdrawal reused the transfer's id %s", transferID)
	}
	if diff := cmp.Diff(customerBalances("620.50", "379.50", "2026-03-25T12:00:00Z"), e.balancesOf(t, p, id)); diff != "" {
		t.Errorf("balances after the withdrawal (-want +got):\n%s", diff)
	}

	// Withdrawing everything leaves exactly zero.
	r = e.mustMove(t, p, id, "withdraw", `{"amount":379.5}`)
	if got := num(r.body["customer_balance_after"]); got != "0.00" {
		t.Errorf("customer_balance_after a full withdrawal = %s, want 0.00", got)
	}
	if got := num(r.body["partner_balance_after"]); got != "1000.00" {
		t.Errorf("partner_balance_after a full withdrawal = %s, want 1000.00", got)
	}
}

// TestTransferAmountForms moves money with every accepted way of writing
// an amount, and checks each is read exactly.
func TestTransferAmountForms(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Amount Forms Telecom")
	e.mustFund(t, p, 100_00, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Amount Forms", emailOf(p, "amount-forms")))["auth_id"])
	tests := []struct {
		body, want string
	}{
		{`{"amount":1}`, "1.00"},
		{`{"amount":1.5}`, "1.50"},
		{`{"amount":"1.50"}`, "1.50"},
		{`{"amount":"7"}`, "7.00"},
		{`{"amount":0.01}`, "0.01"},
		{`{"amount":5e1}`, "50.00"},
		{`{"amount":25E-2}`, "0.25"},
		{`{"amount":1.2300e1}`, "12.30"},
		{`{"amount":100.00}`, "100.00"},
		{`{"amount":2,"currency":"inr"}`, "2.00"},
		{`{"amount":2,"currency":"INR","description":null}`, "2.00"},
		{`{"amount":3,"description":"` + strings.Repeat("é", 500) + `"}`, "3.00"},
	}
	for _, tt := range tests {
		for _, action := range []string{"transfer", "withdraw"} {
			r := e.mustMove(t, p, id, action, tt.body)
			if got := num(r.body["amount"]); got != tt.want {
				t.Errorf("%s %s: amount = %s, want %s", action, tt.body, got, tt.want)
			}
			if got := str(r.body["currency"]); got != "INR" {
				t.Errorf("%s %s: currency = %q, want INR", action, tt.body, got)
			}
		}
	}
	b := e.balancesOf(t, p, id)
	if b.Partner != "100.00" || b.Balance != "0.00" {
		t.Errorf("after transfers and equal withdrawals: partner %s, customer %s; want 100.00 and 0.00", b.Partner, b.Balance)
	}
}

// TestTransferZeroDecimalCurrency checks a currency without minor units
// (JPY): amounts are written without decimals and accept none.
func TestTransferZeroDecimalCurrency(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartnerWith(t, partnerd.PartnerInput{Name: "Yen Telecom", Email: "yen@partner.example", Currency: "JPY"})
	e.mustFund(t, p, 1000, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Yen Customer", emailOf(p, "yen")))["auth_id"])

	r := e.mustMove(t, p, id, "transfer", `{"amount":250,"currency":"jpy"}`)
	for _, s := range []string{`"amount":250,`, `"partner_balance_after":750,`, `"customer_balance_after":250,`, `"currency":"JPY"`} {
		if !strings.Contains(r.raw, s) {
			t.Errorf("JPY transfer %s does not contain %s", r.raw, s)
		}
	}
	for _, body := range []string{`{"amount":2.5}`, `{"amount":"250.0"}`} {
		r := e.post(t, moveURL(id, "transfer"), p, body)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff([]fieldCode{{"amount", "too_many_decimals"}}, fieldCodes(t, r)); diff != "" {
			t.Errorf("JPY %s fields mismatch (-want +got):\n%s", body, diff)
		}
	}
	r = e.post(t, moveURL(id, "transfer"), p, `{"amount":1,"currency":"INR"}`)
	wantError(t, r, http.StatusBadRequest, partnerd.ECCurrencyMismatch)
	if got := num(e.get(t, base+"/accounts/"+id+"/balance", p).body["balance"]); got != "250" {
		t.Errorf("JPY balance = %s, want 250", got)
	}
}

// TestTransferBadInput checks that every refused request answers its
// documented 4xx and moves no money.
func TestTransferBadInput(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Bad Input Telecom")
	other := e.mustPartner(t, "Bad Input Other")
	e.mustFund(t, p, 100_00, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Bad Input", emailOf(p, "bad-input")))["auth_id"])
	foreign := str(e.mustCreateAccount(t, other, validAccount("Bad Input Foreign", emailOf(other, "bad-input")))["auth_id"])
	e.mustMove(t, p, id, "transfer", `{"amount":40}`)
	before := e.balancesOf(t, p, id)
	if diff := cmp.Diff(customerBalances("60.00", "40.00", before.LastUpdated), before); diff != "" {
		t.Fatalf("balances before the bad requests (-want +got):\n%s", diff)
	}

	amount := func(code string) []fieldCode { return []fieldCode{{"amount", code}} }
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		code   string
		fields []fieldCode // checked when not nil
	}{
		{"zero", `{"amount":0}`, nil, 400, partnerd.ECValidation, amount("must_be_positive")},
		{"zero decimals", `{"amount":0.00}`, nil, 400, partnerd.ECValidation, amount("must_be_positive")},
		{"negative", `{"amount":-5}`, nil, 400, partnerd.ECValidation, amount("must_be_positive")},
		{"negative string", `{"amount":"-5.00"}`, nil, 400, partnerd.ECValidation, amount("must_be_positive")},
		{"3 decimals string", `{"amount":"0.001"}`, nil, 400, partnerd.ECValidation, amount("too_many_decimals")},
		{"3 decimals", `{"amount":0.001}`, nil, 400, partnerd.ECValidation, amount("too_many_decimals")},
		{"3 decimals trailing zero", `{"amount":1.000}`, nil, 400, partnerd.ECValidation, amount("too_many_decimals")},
		{"exponent below a paisa", `{"amount":1e-3}`, nil, 400, partnerd.ECValidation, amount("too_many_decimals")},
		{"too large", `{"amount":1000000000.01}`, nil, 400, partnerd.ECValidation, amount("too_large")},
		{"too large string", `{"amount":"1000000000.01"}`, nil, 400, partnerd.ECValidation, amount("too_large")},
		{"too large exponent", `{"amount":1e400}`, nil, 400, partnerd.ECValidation, amount("too_large")},
		{"huge", `{"amount":99999999999999999999999}`, nil, 400, partnerd.ECValidation, amount("too_large")},
		{"text", `{"amount":"abc"}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidFormat)},
		{"empty string", `{"amount":""}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidFormat)},
		{"NaN string", `{"amount":"NaN"}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidFormat)},
		{"padded string", `{"amount":" 5"}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidFormat)},
		{"true", `{"amount":true}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidType)},
		{"object", `{"amount":{}}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidType)},
		{"array", `{"amount":[5]}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCInvalidType)},
		{"missing", `{"currency":"INR"}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCRequired)},
		{"empty object", `{}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCRequired)},
		{"null", `{"amount":null}`, nil, 400, partnerd.ECValidation, amount(partnerd.FCRequired)},
		{"other currency", `{"amount":5,"currency":"USD"}`, nil, 400, partnerd.ECCurrencyMismatch, nil},
		{"other currency lower-case", `{"amount":5,"currency":"usd"}`, nil, 400, partnerd.ECCurrencyMismatch, nil},
		{"unknown currency", `{"amount":5,"currency":"XYZ"}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"currency", partnerd.FCInvalidValue}}},
		{"empty currency", `{"amount":5,"currency":""}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"currency", partnerd.FCInvalidValue}}},
		{"padded currency", `{"amount":5,"currency":" INR "}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"currency", partnerd.FCInvalidValue}}},
		{"currency number", `{"amount":5,"currency":356}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"currency", partnerd.FCInvalidType}}},
		{"unknown field", `{"amount":5,"amout":5}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"amout", partnerd.FCUnknownField}}},
		{"description too long", `{"amount":5,"description":"` + strings.Repeat("d", 501) + `"}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"description", partnerd.FCTooLong}}},
		{"description number", `{"amount":5,"description":5}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"description", partnerd.FCInvalidType}}},
		{"description with NUL", `{"amount":5,"description":"a\u0000b"}`, nil, 400, partnerd.ECValidation,
			[]fieldCode{{"description", partnerd.FCInvalidFormat}}},
		{"every field bad", `{"amount":0,"currency":"XYZ","description":"` + strings.Repeat("d", 501) + `","memo":"x"}`, nil, 400,
			partnerd.ECValidation, sortedFields(fieldCode{"amount", "must_be_positive"}, fieldCode{"currency", partnerd.FCInvalidValue},
				fieldCode{"description", partnerd.FCTooLong}, fieldCode{"memo", partnerd.FCUnknownField})},
		{"array body", `[]`, nil, 400, partnerd.ECInvalidJSON, nil},
		{"broken JSON", `{"amount":5`, nil, 400, partnerd.ECInvalidJSON, nil},
		{"empty body", ``, nil, 400, partnerd.ECInvalidJSON, nil},
		{"text/plain", `{"amount":5}`, map[string]string{"Content-Type": "text/plain"}, 415, partnerd.ECUnsupportedMedia, nil},
		{"no content type", `{"amount":5}`, map[string]string{"Content-Type": ""}, 415, partnerd.ECUnsupportedMedia, nil},
		{"oversized", `{"amount":5,"description":"` + strings.Repeat("x", 70_000) + `"}`, nil, 413, partnerd.ECPayloadTooLarge, nil},
	}
	for _, tt := range tests {
		for _, action := range []string{"transfer", "withdraw"} {
			t.Run(action+"/"+tt.name, func(t *testing.T) {
				r := e.doJSON(t, http.MethodPost, moveURL(id, action), p, tt.body, tt.hdr)
				wantError(t, r, tt.status, tt.code)
				if tt.fields != nil {
					if diff := cmp.Diff(tt.fields, fieldCodes(t, r)); diff != "" {
						t.Errorf("fields mismatch (-want +got):\n%s", diff)
					}
				}
			})
		}
	}

	// Insufficient balance names the wallet that holds too little.
	r := e.post(t, moveURL(id, "transfer"), p, `{"amount":60.01}`)
	wantError(t, r, http.StatusBadRequest, partnerd.ECInsufficientBalance)
	wantDetails := map[string]any{"error": partnerd.ECInsufficientBalance,
		"current_balance": json.Number("60.00"), "requested_amount": json.Number("60.01"), "currency": "INR"}
	if diff := cmp.Diff(wantDetails, withoutKeys(r.body, "request_id", "message")); diff != "" {
		t.Errorf("partner insufficient_balance body mismatch (-want +got):\n%s", diff)
	}
	// API.md §1 gives this message word for word.
	if got, want := str(r.body["message"]), "Partner balance 60.00 INR is insufficient for a transfer of 60.01 INR."; got != want {
		t.Errorf("insufficient_balance message = %q, want %q", got, want)
	}
	// The largest valid amount is valid input, just more than the partner has.
	r = e.post(t, moveURL(id, "transfer"), p, `{"amount":1000000000.00}`)
	wantError(t, r, http.StatusBadRequest, partnerd.ECInsufficientBalance)
	if got := num(r.body["requested_amount"]); got != "1000000000.00" {
		t.Errorf("requested_amount = %s, want 1000000000.00", got)
	}

	r = e.post(t, moveURL(id, "withdraw"), p, `{"amount":"40.01"}`)
	wantError(t, r, http.StatusBadRequest, partnerd.ECInsufficientBalance)
	wantDetails = map[string]any{"error": partnerd.ECInsufficientBalance,
		"current_balance": json.Number("40.00"), "requested_amount": json.Number("40.01"), "currency": "INR"}
	if diff := cmp.Diff(wantDetails, withoutKeys(r.body, "request_id", "message")); diff != "" {
		t.Errorf("customer insufficient_balance body mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.raw, `"current_balance":40.00`) || !strings.Contains(r.raw, `"requested_amount":40.01`) {
		t.Errorf("insufficient_balance %s does not write its amounts with 2 decimals", r.raw)
	}

	// Unknown, malformed and foreign customers are all account_not_found,
	// and a foreign one answers exactly like an unknown one.
	const unknown = "MA_00000000"
	for _, action := range []string{"transfer", "withdraw"} {
		for _, target := range []string{unknown, foreign, "MA_XYZ", strings.ToUpper(id), id + "0", "PA_00000000"} {
			if target == id {
				continue // an id of digits only has no upper-case form
			}
			r := e.post(t, moveURL(target, action), p, `{"amount":1}`)
			wantError(t, r, http.StatusNotFound, partnerd.ECAccountNotFound)
		}
		normalize := func(r reply, id string) map[string]any {
			m := withoutKeys(r.body, "request_id")
			m["message"] = strings.ReplaceAll(str(m["message"]), id, "ID")
			return m
		}
		missing := e.post(t, moveURL(unknown, action), p, `{"amount":1}`)
		alien := e.post(t, moveURL(foreign, action), p, `{"amount":1}`)
		if diff := cmp.Diff(normalize(missing, unknown), normalize(alien, foreign)); diff != "" {
			t.Errorf("%s: another partner's customer answers unlike an unknown one (-unknown +foreign):\n%s", action, diff)
		}
	}

	// Wrong credentials and wrong methods are refused too.
	for _, action := range []string{"transfer", "withdraw"} {
		wantError(t, e.post(t, moveURL(id, action), noCreds, `{"amount":1}`), http.StatusUnauthorized, partnerd.ECMissingCredentials)
		wantError(t, e.post(t, moveURL(id, action), creds{p.ID, other.Token}, `{"amount":1}`), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			r := e.doJSON(t, method, moveURL(id, action), p, nil, nil)
			wantError(t, r, http.StatusMethodNotAllowed, partnerd.ECMethodNotAllowed)
			if got := r.header.Get("Allow"); !strings.Contains(got, http.MethodPost) {
				t.Errorf("%s %s: Allow = %q, want it to include POST", method, action, got)
			}
		}
	}
	for _, path := range []string{"/accounts/" + id + "/transactions", "/transactions", "/me/transactions"} {
		r := e.post(t, base+path, p, `{"amount":1}`)
		wantError(t, r, http.StatusMethodNotAllowed, partnerd.ECMethodNotAllowed)
		if got := r.header.Get("Allow"); !strings.Contains(got, http.MethodGet) {
			t.Errorf("POST %s: Allow = %q, want it to include GET", path, got)
		}
	}

	after := e.balancesOf(t, p, id)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("bad requests moved money (-before +after):\n%s", diff)
	}
	if got := metaOf(t, e.get(t, base+"/accounts/"+id+"/transactions", p)).Total; got != "1" {
		t.Errorf("customer log has %s rows after the bad requests, want 1", got)
	}
	if got := metaOf(t, e.get(t, base+"/me/transactions", p)).Total; got != "2" {
		t.Errorf("partner log has %s rows after the bad requests, want 2 (fund, transfer)", got)
	}
	if got := num(e.get(t, base+"/accounts/"+foreign+"/balance", other).body["balance"]); got != "0.00" {
		t.Errorf("foreign customer's balance = %s, want 0.00", got)
	}
}

// entryKeys are the keys of a log row; the all-customers log adds
// account_auth_id.
var entryKeys = []string{"amount", "balance_after", "balance_before", "created_at", "currency", "description",
	"id", "initiated_by", "reference", "type"}

// entry is a log row as the API writes it; desc is a string or nil.
func entry(id, typ, amount, before, after string, desc any, by, created string) map[string]any {
	return map[string]any{
		"id": id, "type": typ, "amount": json.Number(amount), "currency": "INR",
		"balance_before": json.Number(before), "balance_after": json.Number(after),
		"description": desc, "initiated_by": by, "reference": nil, "created_at": created,
	}
}

// withAccount returns row with account_auth_id, as GET /transactions writes it.
func withAccount(row map[string]any, id string) map[string]any {
	out := withoutKeys(row)
	out["account_auth_id"] = id
	return out
}

// ids returns the id of each row.
func ids(rows []map[string]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, str(r["id"]))
	}
	return out
}

// TestTransactionLogs checks the three logs: rows, signs, shared ids,
// order, paging, the type filter and the inclusive UTC date filters.
func TestTransactionLogs(t *testing.T) {
	t.Parallel()
	ist := time.FixedZone("IST", 5*3600+1800)
	clock := &manualClock{now: time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, clock.Now)
	p := e.mustPartner(t, "Log Telecom")
	q := e.mustPartner(t, "Log Other")
	float := "Initial float"
	fund := e.mustFund(t, p, 1000_00, &float)
	e.mustFund(t, q, 10_00, nil)
	ab := e.mustCreateAccounts(t, p, 2, func(i int) string { return fmt.Sprint("Log Customer ", i) },
		func(i int) string { return fmt.Sprintf("log-%d@example.com", i) })
	a, b := ab[0], ab[1]
	c := str(e.mustCreateAccount(t, q, validAccount("Log Foreign", "log-foreign@example.com"))["auth_id"])

	move := func(at time.Time, id, action, body string) string {
		t.Helper()
		clock.Set(at)
		return str(e.mustMove(t, p, id, action, body).body["transaction_id"])
	}
	t1 := move(time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC), a, "transfer", `{"amount":100,"description":"April recharge"}`)
	t2 := move(time.Date(2026, 3, 24, 23, 59, 59, 999_000_000, time.UTC), b, "transfer", `{"amount":50}`)
	t3 := move(time.Date(2026, 3, 25, 5, 30, 0, 0, ist), a, "withdraw", `{"amount":30,"description":"Refund to partner"}`) // 00:00:00Z
	// 02:00 on the 26th in India is still the 25th in UTC. Two moves in
	// the same second must still list in commit order.
	t4 := move(time.Date(2026, 3, 26, 2, 0, 0, 0, ist), a, "transfer", `{"amount":20}`)
	t5 := move(time.Date(2026, 3, 26, 2, 0, 0, 0, ist), a, "withdraw", `{"amount":0.05}`)
	clock.Set(time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC))
	tq := str(e.mustMove(t, q, c, "transfer", `{"amount":1}`).body["transaction_id"])

	const (
		d23 = "2026-03-23T12:00:00Z"
		d24 = "2026-03-24T00:00:00Z"
		e24 = "2026-03-24T23:59:59Z"
		d25 = "2026-03-25T00:00:00Z"
		n25 = "2026-03-25T20:30:00Z"
	)
	aLog := []map[string]any{
		entry(t5, partnerd.TxWithdrawal, "-0.05", "90.00", "89.95", nil, p.ID, n25),
		entry(t4, partnerd.TxRecharge, "20.00", "70.00", "90.00", nil, p.ID, n25),
		entry(t3, partnerd.TxWithdrawal, "-30.00", "100.00", "70.00", "Refund to partner", p.ID, d25),
		entry(t1, partnerd.TxRecharge, "100.00", "0.00", "100.00", "April recharge", p.ID, d24),
	}
	bLog := []map[string]any{
		entry(t2, partnerd.TxRecharge, "50.00", "0.00", "50.00", nil, p.ID, e24),
	}
	allLog := []map[string]any{
		withAccount(aLog[0], a), withAccount(aLog[1], a), withAccount(aLog[2], a), withAccount(bLog[0], b), withAccount(aLog[3], a),
	}
	meLog := []map[string]any{
		entry(t5, partnerd.TxTransferIn, "0.05", "860.00", "860.05", nil, p.ID, n25),
		entry(t4, partnerd.TxTransferOut, "-20.00", "880.00", "860.00", nil, p.ID, n25),
		entry(t3, partnerd.TxTransferIn, "30.00", "850.00", "880.00", "Refund to partner", p.ID, d25),
		entry(t2, partnerd.TxTransferOut, "-50.00", "900.00", "850.00", nil, p.ID, e24),
		entry(t1, partnerd.TxTransferOut, "-100.00", "1000.00", "900.00", "April recharge", p.ID, d24),
		entry(fund.TransactionID, partnerd.TxFund, "1000.00", "0.00", "1000.00", "Initial float", partnerd.InitiatedByOperator, d23),
	}

	logs := []struct {
		path string
		want []map[string]any
	}{
		{"/accounts/" + a + "/transactions", aLog},
		{"/accounts/" + b + "/transactions", bLog},
		{"/transactions", allLog},
		{"/me/transactions", meLog},
	}
	for _, l := range logs {
		r := e.get(t, base+l.path, p)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200; body: %s", l.path, r.status, r.raw)
		}
		got := data(t, r)
		if diff := cmp.Diff(l.want, got); diff != "" {
			t.Errorf("GET %s mismatch (-want +got):\n%s", l.path, diff)
		}
		wantKeys := entryKeys
		if l.path == "/transactions" {
			wantKeys = append([]string{"account_auth_id"}, entryKeys...)
		}
		for _, row := range got {
			if diff := cmp.Diff(wantKeys, keys(row)); diff != "" {
				t.Errorf("GET %s row keys mismatch (-want +got):\n%s", l.path, diff)
			}
		}
		n := fmt.Sprint(len(l.want))
		if diff := cmp.Diff(meta{n, "1", "20", "20", "1"}, metaOf(t, r)); diff != "" {
			t.Errorf("GET %s meta mismatch (-want +got):\n%s", l.path, diff)
		}
		if !strings.Contains(r.raw, `"amount":`+num(l.want[0]["amount"])+`,`) {
			t.Errorf("GET %s %s does not write amounts with 2 decimals", l.path, r.raw)
		}
	}
	if !reTxnID.MatchString(fund.TransactionID) {
		t.Errorf("fund transaction id = %q, want txn_ and 32 hex digits", fund.TransactionID)
	}

	// The other partner sees only its own rows.
	if diff := cmp.Diff([]string{tq}, ids(data(t, e.get(t, base+"/transactions", q)))); diff != "" {
		t.Errorf("other partner's GET /transactions ids mismatch (-want +got):\n%s", diff)
	}
	for _, id := range []string{c, "MA_00000000", "MA_XYZ", strings.ToUpper(a)} {
		if id == a {
			continue // an id of digits only has no upper-case form
		}
		wantError(t, e.get(t, base+"/accounts/"+id+"/transactions", p), http.StatusNotFound, partnerd.ECAccountNotFound)
	}

	// Paging: pages partition the log in order.
	var paged []string
	for page := 1; page <= 4; page++ {
		path := fmt.Sprintf("%s/me/transactions?per_page=2&page=%d", base, page)
		r := e.get(t, path, p)
		if diff := cmp.Diff(meta{"6", fmt.Sprint(page), "2", "2", "3"}, metaOf(t, r)); diff != "" {
			t.Errorf("GET %s meta mismatch (-want +got):\n%s", path, diff)
		}
		rows := data(t, r)
		if page == 4 && len(rows) != 0 {
			t.Errorf("GET %s past the end = %d rows, want 0", path, len(rows))
		}
		paged = append(paged, ids(rows)...)
	}
	if diff := cmp.Diff(ids(meLog), paged); diff != "" {
		t.Errorf("pages of size 2 do not partition the log (-want +got):\n%s", diff)
	}
	// Any page from 1 is answered (API.md §1), however far past the end.
	far := e.get(t, base+"/me/transactions?per_page=2&page=1000001", p)
	if diff := cmp.Diff(meta{"6", "1000001", "2", "2", "3"}, metaOf(t, far)); diff != "" || len(data(t, far)) != 0 {
		t.Errorf("page 1000001 = %s, want no rows and the log's meta", far.raw)
	}
	for _, query := range []string{"?size=0", "?size=101", "?page=0", "?page=abc", "?size=2&per_page=3"} {
		wantError(t, e.get(t, base+"/me/transactions"+query, p), http.StatusBadRequest, partnerd.ECValidation)
	}

	// Filters.
	filters := []struct {
		path string
		want []string
	}{
		{"/me/transactions?transaction_type=fund", []string{fund.TransactionID}},
		{"/me/transactions?transaction_type=transfer_out", []string{t4, t2, t1}},
		{"/me/transactions?transaction_type=transfer_in", []string{t5, t3}},
		{"/accounts/" + a + "/transactions?transaction_type=recharge", []string{t4, t1}},
		{"/accounts/" + a + "/transactions?transaction_type=withdrawal", []string{t5, t3}},
		{"/accounts/" + a + "/transactions?transaction_type=debit", []string{}},
		{"/accounts/" + a + "/transactions?transaction_type=refund", []string{}},
		{"/accounts/" + a + "/transactions?transaction_type=adjustment", []string{}},
		{"/transactions?transaction_type=recharge", []string{t4, t2, t1}},
		{"/transactions?transaction_type=withdrawal", []string{t5, t3}},
		// Inclusive days in UTC.
		{"/transactions?from_date=2026-03-24&to_date=2026-03-24", []string{t2, t1}},
		{"/transactions?to_date=2026-03-24", []string{t2, t1}},
		{"/transactions?from_date=2026-03-25", []string{t5, t4, t3}},
		{"/transactions?from_date=2026-03-25&to_date=2026-03-25", []string{t5, t4, t3}},
		{"/transactions?from_date=2026-03-26", []string{}},
		{"/transactions?to_date=2026-03-23", []string{}},
		{"/accounts/" + a + "/transactions?from_date=2026-03-24&to_date=2026-03-24", []string{t1}},
		{"/accounts/" + b + "/transactions?from_date=2026-03-25", []string{}},
		{"/me/transactions?from_date=2026-03-23&to_date=2026-03-23", []string{fund.TransactionID}},
		{"/me/transactions?from_date=2026-03-24&to_date=2026-03-25", []string{t5, t4, t3, t2, t1}},
		{"/me/transactions?transaction_type=transfer_out&from_date=2026-03-24&to_date=2026-03-24", []string{t2, t1}},
		{"/me/transactions?transaction_type=transfer_in&from_date=2026-03-25&size=1", []string{t5}},
	}
	for _, f := range filters {
		r := e.get(t, base+f.path, p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200; body: %s", f.path, r.status, r.raw)
			continue
		}
		if diff := cmp.Diff(f.want, ids(data(t, r))); diff != "" {
			t.Errorf("GET %s ids mismatch (-want +got):\n%s", f.path, diff)
		}
		total := metaOf(t, r).Total
		if f.path == "/me/transactions?transaction_type=transfer_in&from_date=2026-03-25&size=1" {
			if total != "2" {
				t.Errorf("GET %s total = %s, want 2", f.path, total)
			}
		} else if want := fmt.Sprint(len(f.want)); total != want {
			t.Errorf("GET %s total = %s, want %s", f.path, total, want)
		}
		if len(f.want) == 0 {
			if diff := cmp.Diff(meta{"0", "1", "20", "20", "0"}, metaOf(t, r)); diff != "" {
				t.Errorf("GET %s empty meta mismatch (-want +got):\n%s", f.path, diff)
			}
		}
	}

	// 0001-01-01 is time.Time's zero value, which the filter uses for "no
	// bound": dates before 1970 (when no ledger row can exist) are refused
	// rather than read as no bound.
	t.Run("year one", func(t *testing.T) {
		r := e.get(t, base+"/transactions?to_date=0001-01-01", p)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		r = e.get(t, base+"/transactions?from_date=2026-03-24&to_date=0001-01-01", p)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	})

	bad := []struct {
		path   string
		fields []fieldCode
	}{
		{"/accounts/" + a + "/transactions?transaction_type=fund", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/accounts/" + a + "/transactions?transaction_type=transfer_out", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/accounts/" + a + "/transactions?transaction_type=bogus", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/accounts/" + a + "/transactions?transaction_type=RECHARGE", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/transactions?transaction_type=fund", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/transactions?transaction_type=bogus", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/me/transactions?transaction_type=recharge", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/me/transactions?transaction_type=bogus", []fieldCode{{"transaction_type", partnerd.FCInvalidValue}}},
		{"/transactions?from_date=2026-13-01", []fieldCode{{"from_date", partnerd.FCInvalidFormat}}},
		{"/transactions?to_date=yesterday", []fieldCode{{"to_date", partnerd.FCInvalidFormat}}},
		{"/transactions?from_date=2026-02-30", []fieldCode{{"from_date", partnerd.FCInvalidFormat}}},
		{"/transactions?from_date=2026-3-5", []fieldCode{{"from_date", partnerd.FCInvalidFormat}}},
		{"/transactions?from_date=2026-03-25T00:00:00Z", []fieldCode{{"from_date", partnerd.FCInvalidFormat}}},
		{"/me/transactions?from_date=yesterday&to_date=2026-13-01", sortedFields(
			fieldCode{"from_date", partnerd.FCInvalidFormat}, fieldCode{"to_date", partnerd.FCInvalidFormat})},
		{"/accounts/" + a + "/transactions?from_date=2026-03-25&to_date=2026-03-24", []fieldCode{{"to_date", partnerd.FCInvalidValue}}},
		{"/transactions?from_date=2026-03-25&to_date=2026-03-24", []fieldCode{{"to_date", partnerd.FCInvalidValue}}},
		{"/me/transactions?from_date=2026-03-25&to_date=2026-03-24&transaction_type=bogus", sortedFields(
			fieldCode{"to_date", partnerd.FCInvalidValue}, fieldCode{"transaction_type", partnerd.FCInvalidValue})},
	}
	for _, tt := range bad {
		r := e.get(t, base+tt.path, p)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff(tt.fields, fieldCodes(t, r)); diff != "" {
			t.Errorf("GET %s fields mismatch (-want +got):\n%s", tt.path, diff)
		}
	}
}

// TestTransferConcurrentOverdraft sends more concurrent transfers than the
// partner can pay for: exactly as many succeed as the balance covers, no
// wallet goes below zero, and each log sums to its balance.
func TestTransferConcurrentOverdraft(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Overdraft Telecom")
	e.mustFund(t, p, 5_00, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Overdraft", emailOf(p, "overdraft")))["auth_id"])

	const n = 12
	replies := make([]reply, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			action := "transfer"
			if i%4 == 3 {
				action = "withdraw" // withdrawals race the transfers for the customer's balance
			}
			replies[i], errs[i] = e.request(http.MethodPost, moveURL(id, action), p, `{"amount":1}`, nil)
		})
	}
	close(start)
	wg.Wait()
	ok := map[string]int{}
	for i, r := range replies {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch {
		case r.status == http.StatusOK:
			if i%4 == 3 {
				ok["withdraw"]++
			} else {
				ok["transfer"]++
			}
		case r.status == http.StatusBadRequest && str(r.body["error"]) == partnerd.ECInsufficientBalance:
		default:
			t.Errorf("concurrent move answered %d: %s", r.status, r.raw)
		}
	}
	wantPartner := 5 - ok["transfer"] + ok["withdraw"]
	wantCustomer := ok["transfer"] - ok["withdraw"]
	if ok["transfer"] < 5 || wantPartner < 0 || wantCustomer < 0 {
		t.Errorf("%d transfers and %d withdrawals succeeded; want at least 5 transfers and no negative wallet", ok["transfer"], ok["withdraw"])
	}
	b := e.balancesOf(t, p, id)
	if got, want := b.Partner, fmt.Sprintf("%d.00", wantPartner); got != want {
		t.Errorf("partner balance = %s, want %s", got, want)
	}
	if got, want := b.Balance, fmt.Sprintf("%d.00", wantCustomer); got != want {
		t.Errorf("customer balance = %s, want %s", got, want)
	}
	// Each log sums to its balance, and consecutive rows chain.
	for path, want := range map[string]string{
		base + "/me/transactions?size=100":                  b.Partner,
		base + "/accounts/" + id + "/transactions?size=100": b.Balance,
	} {
		rows := data(t, e.get(t, path, p))
		var sum, next float64
		for i, row := range rows {
			amount, _ := strconv.ParseFloat(num(row["amount"]), 64)
			before, _ := strconv.ParseFloat(num(row["balance_before"]), 64)
			after, _ := strconv.ParseFloat(num(row["balance_after"]), 64)
			if before < 0 || after < 0 || before+amount != after {
				t.Errorf("%s row %v: balance_before + amount != balance_after, or negative", path, row)
			}
			if i > 0 && after != next {
				t.Errorf("%s row %d: balance_after %v, want the next row's balance_before %v", path, i, after, next)
			}
			next = before
			sum += amount
		}
		if got := fmt.Sprintf("%.2f", sum); got != want {
			t.Errorf("%s sums to %s, want the balance %s", path, got, want)
		}
	}
}
