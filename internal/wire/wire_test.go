package wire_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		ok       bool
	}{
		{"2450.00", "INR", 245000, true},
		{"0.00", "INR", 0, true},
		{"0.01", "INR", 1, true},
		{"-12.45", "EUR", -1245, true},
		{"1000000000.00", "INR", 100000000000, true},
		{"12345678901.23", "INR", 1234567890123, true}, // a balance may exceed the input cap
		{"92233720368547758.07", "INR", 9223372036854775807, true},
		{"500", "JPY", 500, true},
		{"1.234", "KWD", 1234, true},
		{"2450.0", "INR", 0, false},   // too few decimals
		{"2450", "INR", 0, false},     // none
		{"2450.000", "INR", 0, false}, // too many
		{"2450.001", "INR", 0, false},
		{"2.45e3", "INR", 0, false},
		{"02.00", "INR", 0, false},
		{`"2.00"`, "INR", 0, false}, // a string is not a money number
		{"null", "INR", 0, false},
		{"true", "INR", 0, false},
		{"", "INR", 0, false},
		{"-", "INR", 0, false},
		{".50", "INR", 0, false},
		{"1.00", "JPY", 0, false},
		{"92233720368547758.08", "INR", 0, false},
	}
	for _, tt := range tests {
		got, err := wire.ParseMoney(json.RawMessage(tt.in), tt.currency)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMoney(%s, %s) = %d, %v; want %d, ok %v", tt.in, tt.currency, got, err, tt.want, tt.ok)
		}
	}
	for _, v := range []int64{0, 1, -1, 245000, 1<<63 - 1, -(1<<63 - 1)} {
		for _, cur := range []string{"INR", "JPY", "KWD"} {
			if back, err := wire.ParseMoney(wire.Money(v, cur), cur); err != nil || back != v {
				t.Errorf("ParseMoney(Money(%d, %s)) = %d, %v", v, cur, back, err)
			}
		}
	}
}

// roundTrip sends v through JSON as the server writes it and reads it back
// into a new T, as the client does.
func roundTrip[T any](t *testing.T, v T) (T, string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal %s: %v", b, err)
	}
	return back, string(b)
}

func ptr(s string) *string { return &s }

var (
	created = time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	updated = time.Date(2026, 3, 26, 11, 30, 5, 0, time.UTC)
)

// TestRoundTrip holds the server's rendering and the client's decoding of
// every body equal: what one side writes, the other reads back unchanged.
func TestRoundTrip(t *testing.T) {
	a := &partnerd.Account{
		AuthID: "MA_48149cf4", PartnerID: "PA_7QX2M9KD", Name: "Credresolve", Email: "admin@credresolve.com",
		Phone: "9431538535", Country: "IN", Description: ptr("Outbound collections"), Company: ptr("Credresolve Pvt Ltd"),
		City: ptr("Bangalore"), ZipCode: ptr("560001"), Timezone: "Asia/Kolkata", GSTIN: ptr("29AAPFU0939F1ZV"),
		GSTStatus: ptr("active"), AccountType: "standard", Status: "active", Currency: "INR", Balance: 245000,
		AuthToken: "sk_live_x", CreatedAt: created, UpdatedAt: updated, BalanceUpdatedAt: updated,
	}
	{
		b, text := roundTrip(t, wire.NewAccountCreated(a))
		got, err := b.Account(a.PartnerID)
		want := &partnerd.Account{AuthID: a.AuthID, PartnerID: a.PartnerID, AuthToken: a.AuthToken, Name: a.Name,
			Email: a.Email, Status: a.Status, Balance: a.Balance, Currency: a.Currency, Country: a.Country,
			Timezone: a.Timezone, CreatedAt: a.CreatedAt}
		check(t, "AccountCreated", text, want, got, err)
		wantText := `{"auth_id":"MA_48149cf4","auth_token":"sk_live_x","name":"Credresolve","email":"admin@credresolve.com",` +
			`"status":"active","balance":2450.00,"currency":"INR","country":"IN","timezone":"Asia/Kolkata","created_at":"2026-03-25T10:00:00Z"}`
		if text != wantText {
			t.Errorf("AccountCreated JSON:\n got %s\nwant %s", text, wantText)
		}
	}
	{
		b, text := roundTrip(t, wire.NewAccountItem(a))
		got, err := b.Account(a.PartnerID)
		want := &partnerd.Account{AuthID: a.AuthID, PartnerID: a.PartnerID, Name: a.Name, Email: a.Email,
			Status: a.Status, Balance: a.Balance, Currency: a.Currency, CreatedAt: a.CreatedAt}
		check(t, "AccountItem", text, want, got, err)
	}
	{
		b, text := roundTrip(t, wire.NewAccountProfile(a))
		got, err := b.Account(a.PartnerID)
		want := *a
		want.BalanceUpdatedAt = time.Time{}
		check(t, "AccountProfile", text, &want, got, err)
	}
	{
		b, text := roundTrip(t, wire.NewAccountBalance(a))
		got, err := b.Account(a.PartnerID)
		want := &partnerd.Account{AuthID: a.AuthID, PartnerID: a.PartnerID, Name: a.Name, Balance: a.Balance,
			Currency: a.Currency, BalanceUpdatedAt: a.BalanceUpdatedAt}
		check(t, "AccountBalance", text, want, got, err)
	}
	{
		p := &partnerd.Partner{ID: "PA_7QX2M9KD", Name: "Acme", Email: "ops@acme.example", Status: "active",
			Currency: "JPY", Balance: 1500, AccountCount: 3, CreatedAt: created}
		b, text := roundTrip(t, wire.NewPartner(p))
		got, err := b.Partner()
		check(t, "Partner", text, p, got, err)
	}
	{
		tr := &partnerd.Transfer{TransactionID: "txn_1", FromAccount: "PA_7QX2M9KD", ToAccount: a.AuthID,
			Amount: 50000, Currency: "INR", Description: ptr("April recharge"), Status: "completed",
			PartnerBalanceAfter: 4775000, CustomerBalanceAfter: 295000, Timestamp: created}
		b, text := roundTrip(t, wire.NewTransfer(tr))
		got, err := b.Transfer()
		check(t, "Transfer", text, tr, got, err)
	}
	for _, withAccount := range []bool{false, true} {
		e := &partnerd.Entry{TransactionID: "txn_1", AccountAuthID: a.AuthID, Type: partnerd.TxWithdrawal,
			Amount: -1245, Currency: "KWD", BalanceBefore: 2000, BalanceAfter: 755, InitiatedBy: "PA_7QX2M9KD",
			Reference: ptr("ref"), CreatedAt: created}
		b, text := roundTrip(t, wire.NewEntry(e, withAccount))
		owner := "MA_owner000"
		got, err := b.Entry(owner)
		want := *e
		if !withAccount {
			want.AccountAuthID = owner
		}
		check(t, "Entry", text, &want, got, err)
	}
	{
		in := partnerd.TransferInput{AuthID: a.AuthID, Amount: 50050, Description: ptr("x")}
		_, text := roundTrip(t, wire.NewTransferRequest(in, "INR"))
		if want := `{"amount":"500.50","currency":"INR","description":"x"}`; text != want {
			t.Errorf("TransferRequest JSON %s, want %s", text, want)
		}
	}
}

func check[T any](t *testing.T, what, text string, want, got T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: decoding %s: %v", what, text, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s round trip through %s (-want +got):\n%s", what, text, diff)
	}
}

func TestErrorRoundTrip(t *testing.T) {
	e := &partnerd.Error{
		Code: partnerd.ECInsufficientBalance, Message: "Partner balance 200.00 INR is insufficient.",
		Fields: []partnerd.FieldError{{Field: "amount", Code: "too_large", Message: "amount is too large"}},
		Details: map[string]any{
			"current_balance":  partnerd.Money{Minor: 20000, Currency: "INR"},
			"requested_amount": partnerd.Money{Minor: 50000, Currency: "INR"},
			"currency":         "INR",
			"error":            "a detail never replaces the code",
		},
	}
	b, err := json.Marshal(wire.ErrorBody(e, "req_1"))
	if err != nil {
		t.Fatal(err)
	}
	// error, message, request_id first; then fields; then details by key.
	if got, want := string(b), `{"error":"insufficient_balance","message":"Partner balance 200.00 INR is insufficient.",`+
		`"request_id":"req_1","fields":[{"field":"amount","code":"too_large","message":"amount is too large"}],`+
		`"currency":"INR","current_balance":200.00,"requested_amount":500.00}`; got != want {
		t.Errorf("error body:\n got %s\nwant %s", got, want)
	}
	got, ok := wire.ParseError(b)
	if !ok {
		t.Fatalf("ParseError(%s) is not an error body", b)
	}
	want := &partnerd.Error{Code: e.Code, Message: e.Message, Fields: e.Fields, Details: map[string]any{
		"current_balance": json.Number("200.00"), "requested_amount": json.Number("500.00"), "currency": "INR",
		"request_id": "req_1",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error round trip through %s (-want +got):\n%s", b, diff)
	}
	if v, err := wire.DetailMoney(got, "current_balance", "INR"); err != nil || v != 20000 {
		t.Errorf("DetailMoney(current_balance) = %d, %v; want 20000", v, err)
	}
	for _, body := range []string{`<html>Bad Gateway</html>`, `{"message":"oops"}`, `{"error":""}`, `{"error":1}`} {
		if e, ok := wire.ParseError([]byte(body)); ok {
			t.Errorf("ParseError(%s) = %v, want not an error body", body, e)
		}
	}
}

// TestAccountBalanceAppendJSON checks that the hand-built balance body is
// what encoding/json writes for it.
func TestAccountBalanceAppendJSON(t *testing.T) {
	at := time.Date(2026, 3, 25, 15, 30, 0, 987654321, time.FixedZone("IST", 5*3600+1800))
	for _, a := range []partnerd.Account{
		{AuthID: "MA_48149cf4", Name: "Credresolve", Balance: 245000, Currency: "INR", BalanceUpdatedAt: at},
		{AuthID: "MA_00000000", Name: `<b>"Tom" & Jerry's</b> \ é` + "\u2028\u2029\x00\x1f\x7f\xff\n", Balance: -1245, Currency: "JPY", BalanceUpdatedAt: at},
		{AuthID: "MA_ffffffff", Name: "", Balance: 0, Currency: "USD"},
	} {
		b := wire.NewAccountBalance(&a)
		want, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b.AppendJSON(nil)); got != string(want)+"\n" {
			t.Errorf("AppendJSON:\n got %s want %s", got, want)
		}
	}
}
