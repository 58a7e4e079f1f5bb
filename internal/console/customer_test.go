package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
)

// hostile is a name a customer's partner might type, or an attacker
// might get into a name: it must show as text.
const hostile = `<script>alert("x")</script> O'Brien & "Sons"`

// TestCustomerCreate: the form refuses bad input with the API's messages
// beside each field and keeps what was typed; a good one creates the
// customer, whose hostile name is escaped wherever it shows.
func TestCustomerCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	_, _, b := e.mustPartner(t, "Creator")
	bad := b.submit("/console/customers", "/console/customers", url.Values{
		"name": {hostile}, "email": {"not-an-email"}, "password": {"weak"}, "phone": {"12"}, "country": {"IN"}})
	b.wantStatus(bad, http.StatusBadRequest)
	wantIn(t, bad, "fields are invalid.", "email must be a valid address",
		"password must be at least 8 characters and include a number and a special character",
		`value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien &amp; &#34;Sons&#34;"`)
	if strings.Contains(bad.body, "<script>alert") || strings.Contains(bad.body, `value="weak"`) {
		t.Errorf("the refused form echoes the name unescaped or the password")
	}
	ok := b.wantStatus(b.submit("/console/customers", "/console/customers", url.Values{
		"name": {hostile}, "email": {"hostile@customer.example"}, "password": {"SecurePass@123"}, "phone": {"9431538535"}, "country": {"in"}}),
		http.StatusSeeOther)
	loc := ok.header.Get("Location")
	if !strings.HasPrefix(loc, "/console/customers/MA_") {
		t.Fatalf("create redirects to %q, want the customer", loc)
	}
	shown := b.wantStatus(b.get(loc), http.StatusOK)
	wantIn(t, shown, "<h1>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien &amp; &#34;Sons&#34;</h1>", "The customer was created.")
	list := b.wantStatus(b.get("/console/customers?search=hostile"), http.StatusOK)
	wantIn(t, list, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	for _, p := range []*page{shown, list} {
		if strings.Contains(p.body, "<script>alert") {
			t.Errorf("%s shows the hostile name unescaped", p.path)
		}
	}
	taken := b.submit("/console/customers", "/console/customers", url.Values{
		"name": {"Again"}, "email": {"hostile@customer.example"}, "password": {"SecurePass@123"}, "phone": {"9431538535"}, "country": {"IN"}})
	b.wantStatus(taken, http.StatusBadRequest)
	wantIn(t, taken, "hostile@customer.example already")

	// The customer's own low-balance threshold (API.md §8): a bad one is
	// named beside the other bad fields; a good one is the account's.
	badThreshold := b.submit("/console/customers", "/console/customers", url.Values{
		"name": {" "}, "email": {"threshold@customer.example"}, "password": {"SecurePass@123"}, "phone": {"9431538535"},
		"country": {"IN"}, "low_balance_threshold": {"-5"}})
	b.wantStatus(badThreshold, http.StatusBadRequest)
	wantIn(t, badThreshold, "2 fields are invalid.", "name is required", "low_balance_threshold must")
	own := b.wantStatus(b.submit("/console/customers", "/console/customers", url.Values{
		"name": {"Own Threshold"}, "email": {"threshold@customer.example"}, "password": {"SecurePass@123"}, "phone": {"9431538535"},
		"country": {"IN"}, "low_balance_threshold": {"250"}}), http.StatusSeeOther)
	wantIn(t, b.get(own.header.Get("Location")), `name="low_balance_threshold" type="text" value="250.00"`)
}

// TestCustomerMoney: transfers and withdrawals move money through the
// ledger with the API's messages; a double-submitted transfer form (the
// same rendered key twice) moves money once; a refused one can be fixed
// and sent again.
func TestCustomerMoney(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testCustomerMoney(t, driver)
		})
	}
}

func testCustomerMoney(t *testing.T, driver string) {
	e := newEnv(t, driver, 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Money")
	a := e.mustCustomer(t, p.ID, "Wallet Holder")
	path := "/console/customers/" + a.AuthID
	short := b.wantStatus(b.submit(path, path+"/transfer", url.Values{"amount": {"500.00"}}), http.StatusBadRequest)
	wantIn(t, short, "Partner balance 0.00 INR is insufficient for a transfer of 500.00 INR.")
	if _, err := e.db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil { // 10,000.00
		t.Fatal(err)
	}
	for _, tc := range []struct{ amount, msg string }{
		{"", "amount is required"}, {"1.001", "amount must have at most 2 decimals for INR"},
		{"-5", "amount must be greater than zero"}, {"abc", "amount must be a decimal number"},
	} {
		r := b.wantStatus(b.submit(path, path+"/transfer", url.Values{"amount": {tc.amount}}), http.StatusBadRequest)
		wantIn(t, r, tc.msg)
	}
	form := b.formOf(b.get(path), path+"/transfer")
	form.Set("amount", "2450.00")
	form.Set("description", "April recharge")
	first := b.wantStatus(b.post(path+"/transfer", form), http.StatusSeeOther)
	second := b.wantStatus(b.post(path+"/transfer", form), http.StatusSeeOther)
	if !strings.HasSuffix(first.header.Get("Location"), "done=transferred") || !strings.HasSuffix(second.header.Get("Location"), "done=replayed") {
		t.Errorf("redirects %q then %q, want transferred then replayed", first.header.Get("Location"), second.header.Get("Location"))
	}
	bal, err := e.db.AccountBalance(ctx, p.ID, a.AuthID)
	if err != nil || bal.Balance != 245_000 {
		t.Fatalf("balance after a double-submitted transfer of 2,450.00 = %v, %v; want 245000 (once)", bal, err)
	}
	// The audit log holds the transfer once, as the console session's
	// partner's, with the form's key; the audit page shows it.
	rows, n, err := e.db.AuditEvents(ctx, p.ID, partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 10},
		Action: partnerd.AuditBalanceTransfer, Account: a.AuthID})
	if err != nil || n != 1 || rows[0].Actor != (partnerd.Actor{Kind: partnerd.ActorConsole, ID: p.ID}) ||
		rows[0].IdempotencyKey == "" || rows[0].RequestID == "" {
		t.Fatalf("audit rows of the transfer = %d %+v, %v; want one, the console's, with its key and request id", n, rows, err)
	}
	wantIn(t, b.wantStatus(b.get("/console/audit?action=balance.transfer"), http.StatusOK), rows[0].Target, "balance.transfer")
	wantIn(t, b.wantStatus(b.get("/console/audit?action=console.sign_in"), http.StatusOK), "console.sign_in")
	wantIn(t, b.wantStatus(b.get("/console/audit?account=nope"), http.StatusBadRequest), "account must be a customer auth_id")
	shown := b.wantStatus(b.get(path+"?done=transferred"), http.StatusOK)
	wantIn(t, shown, "2,450.00 INR", "April recharge", "The money was transferred.")
	over := b.wantStatus(b.submit(path, path+"/withdraw", url.Values{"amount": {"9999"}}), http.StatusBadRequest)
	wantIn(t, over, "insufficient")
	b.wantStatus(b.submit(path, path+"/withdraw", url.Values{"amount": {"450"}}), http.StatusSeeOther)
	if bal, _ := e.db.AccountBalance(ctx, p.ID, a.AuthID); bal.Balance != 200_000 {
		t.Errorf("balance after withdrawing 450.00 = %d, want 200000", bal.Balance)
	}
	me, _ := e.db.Partner(ctx, p.ID)
	if me.Balance != 800_000 {
		t.Errorf("partner balance = %d, want 800000", me.Balance)
	}
	entries, total, err := e.db.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || total != 2 || entries[1].Type != partnerd.TxRecharge || entries[0].Type != partnerd.TxWithdrawal {
		t.Errorf("customer log = %d entries (%v), want one recharge and one withdrawal", total, err)
	}
}

// TestCrossOriginPostRefused: a form posted from another site is refused
// with 403 (the attack reached the server) and moves no money, though it
// carries the session cookie.
func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Guarded")
	a := e.mustCustomer(t, p.ID, "Target")
	if _, err := e.db.FundPartner(ctx, p.ID, 100_000, nil); err != nil {
		t.Fatal(err)
	}
	path := "/console/customers/" + a.AuthID
	form := b.formOf(b.get(path), path+"/transfer")
	form.Set("amount", "100")
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
	} {
		evil := e.browser(t, 0)
		evil.cookie = b.cookie
		for k, v := range h {
			evil.header.Set(k, v)
		}
		r := evil.post(path+"/transfer", form)
		if r.status != http.StatusForbidden {
			t.Errorf("cross-origin POST (%v) = %d, want 403", h, r.status)
		}
		wantIn(t, r, "This form was sent from another site, so it was refused.")
		if r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("the refusal lacks the CSP")
		}
	}
	if bal, _ := e.db.AccountBalance(ctx, p.ID, a.AuthID); bal.Balance != 0 {
		t.Errorf("balance after refused cross-origin transfers = %d, want 0", bal.Balance)
	}
	same := e.browser(t, 0)
	same.cookie = b.cookie
	same.header.Set("Sec-Fetch-Site", "same-origin")
	same.wantStatus(same.post(path+"/transfer", form), http.StatusSeeOther)
}

// TestTenancy: another partner's customer, in any console address, is
// the 404 page, and its money does not move.
func TestTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Mine")
	other, _, _ := e.mustPartner(t, "Theirs")
	theirs := e.mustCustomer(t, other.ID, "Not Yours")
	if _, err := e.db.FundPartner(ctx, p.ID, 100_000, nil); err != nil {
		t.Fatal(err)
	}
	base := "/console/customers/" + theirs.AuthID
	for _, path := range []string{base, "/console/customers/MA_00000000", "/console/customers/nonsense",
		"/console/calls?account=" + theirs.AuthID, "/console/transactions?account=" + theirs.AuthID, "/console/webhooks/we_0000000000000000"} {
		r := b.get(path)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.status)
		}
		wantIn(t, r, "<h1>Not found</h1>")
	}
	for _, action := range []string{"/transfer", "/withdraw", "/suspend", "/close", "/rotate-token", "/profile"} {
		if r := b.post(base+action, url.Values{"amount": {"10"}, "confirm": {theirs.AuthID}, "name": {"x"}}); r.status != http.StatusNotFound {
			t.Errorf("POST %s%s = %d, want 404", base, action, r.status)
		}
	}
	if a, _ := e.db.Account(ctx, other.ID, theirs.AuthID); a.Status != partnerd.StatusActive || a.Name != "Not Yours" {
		t.Errorf("the other partner's customer changed: %+v", a)
	}
}
