package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// TestCustomerActions: numbers, SIP endpoints, auto top-up, profile,
// suspend, activate, token rotation and close, each through its form,
// each refusal in the API's words.
func TestCustomerActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Actions")
	a := e.mustCustomer(t, p.ID, "Busy Customer")
	path := "/console/customers/" + a.AuthID
	if _, err := e.db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264217", MonthlyCost: 10_000}); err != nil {
		t.Fatal(err)
	}
	// A number costing more than the customer holds.
	poor := b.wantStatus(b.submit(path, path+"/numbers", url.Values{"number": {"+912271264217"}}), http.StatusBadRequest)
	wantIn(t, poor, "insufficient")
	b.wantStatus(b.submit(path, path+"/transfer", url.Values{"amount": {"500"}}), http.StatusSeeOther)
	b.wantStatus(b.submit(path, path+"/numbers", url.Values{"number": {"+912271264217"}}), http.StatusSeeOther)
	wantIn(t, b.get(path+"?done=assigned"), "+912271264217", "The number was assigned.", "100.00 INR")
	nums := b.wantStatus(b.get("/console/numbers"), http.StatusOK)
	wantIn(t, nums, "+912271264217", "Busy Customer", "assigned")
	b.wantStatus(b.post(path+"/numbers/release", url.Values{"number": {"+912271264217"}}), http.StatusSeeOther)
	if n, _, _ := e.db.ListAccountNumbers(ctx, p.ID, a.AuthID, partnerd.NumberFilter{Page: partnerd.Page{Page: 1, Size: 10}}); len(n) != 0 {
		t.Errorf("numbers after release = %d, want 0", len(n))
	}

	weak := b.wantStatus(b.submit(path, path+"/sip-endpoints", url.Values{"username": {"desk.one"}, "password": {"short"}}), http.StatusBadRequest)
	wantIn(t, weak, "password must be at least 8 characters")
	b.wantStatus(b.submit(path, path+"/sip-endpoints", url.Values{"username": {"desk.one"}, "password": {"Sip@Secret9"}, "alias": {"Front desk"}}), http.StatusSeeOther)
	shown := b.get(path)
	wantIn(t, shown, "desk.one", "Front desk")
	if strings.Contains(shown.body, "Sip@Secret9") {
		t.Errorf("the customer page shows a SIP password")
	}
	eps, _, _ := e.db.ListSIPEndpoints(ctx, p.ID, a.AuthID, partnerd.Page{Page: 1, Size: 10})
	if len(eps) != 1 {
		t.Fatalf("SIP endpoints = %d, want 1", len(eps))
	}
	pwPath := path + "/sip-endpoints/" + eps[0].ID + "/password"
	weakPW := b.wantStatus(b.submit(path, pwPath, url.Values{"password": {"short"}}), http.StatusBadRequest)
	wantIn(t, weakPW, "password must be at least 8 characters")
	// The refusal shows on the endpoint's row, not on the create form.
	if i, j := strings.Index(weakPW.body, "password must be at least 8"), strings.Index(weakPW.body, `action="`+pwPath+`"`); i < 0 || j < 0 || i > j ||
		strings.Contains(weakPW.body[i:j], "</tr>") {
		t.Errorf("the password refusal is not shown on its endpoint's row:\n%s", excerpt(weakPW.body))
	}
	b.wantStatus(b.post(path+"/sip-endpoints/EP_00000000/password", url.Values{"password": {"Sip@Secret11"}}), http.StatusNotFound)
	b.wantStatus(b.submit(path, pwPath, url.Values{"password": {"Sip@Secret10"}}), http.StatusSeeOther)
	if c, err := e.db.SIPCredential(ctx, "desk.one"); err != nil || c.HA1 != mustHA1("desk.one", partnerd.DefaultSIPRealm, "Sip@Secret10") {
		t.Errorf("SIP credential after the password change = %+v, %v; want the new password's HA1", c, err)
	}
	b.wantStatus(b.post(path+"/sip-endpoints/"+eps[0].ID+"/delete", url.Values{}), http.StatusSeeOther)

	bad := b.wantStatus(b.post(path+"/auto-topup", url.Values{"threshold": {"100"}, "target_balance": {"50"}, "max_per_day": {"1000"},
		"max_per_month": {"5000"}, "max_count_per_day": {"3"}}), http.StatusBadRequest)
	wantIn(t, bad, "target_balance must be greater than threshold")
	b.wantStatus(b.post(path+"/auto-topup", url.Values{"threshold": {"100"}, "target_balance": {"500"}, "max_per_day": {"1000"},
		"max_per_month": {"5000"}, "max_count_per_day": {"3"}}), http.StatusSeeOther)
	wantIn(t, b.get(path), "On: below 100.00 INR the balance is brought back to 500.00 INR.", `id="topup-target_balance" name="target_balance" type="text" value="500.00"`)
	b.wantStatus(b.post(path+"/auto-topup/disable", url.Values{}), http.StatusSeeOther)

	badProfile := b.wantStatus(b.post(path+"/profile", url.Values{"name": {" "}, "email": {a.Email}, "phone": {"9431538535"},
		"timezone": {"Mars/Base"}, "account_type": {"standard"}}), http.StatusBadRequest)
	wantIn(t, badProfile, "2 fields are invalid.", "name is required")
	b.wantStatus(b.post(path+"/profile", url.Values{"name": {"Renamed Customer"}, "email": {a.Email}, "phone": {"9431538535"},
		"timezone": {"Asia/Kolkata"}, "account_type": {"premium"}, "company": {"Acme"}}), http.StatusSeeOther)
	if got, _ := e.db.Account(ctx, p.ID, a.AuthID); got.Name != "Renamed Customer" || got.AccountType != "premium" || got.Company == nil {
		t.Errorf("after the profile edit: %+v", got)
	}
	// The customer's own low-balance threshold: set, refused beside
	// another bad field in the API's words, and emptied back to the
	// partner's.
	profile := url.Values{"name": {"Renamed Customer"}, "email": {a.Email}, "phone": {"9431538535"},
		"timezone": {"Asia/Kolkata"}, "account_type": {"premium"}, "company": {"Acme"}}
	withThreshold := func(v string) url.Values {
		f := url.Values{}
		for k, vs := range profile {
			f[k] = vs
		}
		f.Set("low_balance_threshold", v)
		return f
	}
	b.wantStatus(b.post(path+"/profile", withThreshold("250.5")), http.StatusSeeOther)
	if got, _ := e.db.Account(ctx, p.ID, a.AuthID); !got.OwnLowBalance || got.LowBalanceThreshold != 250_50 {
		t.Errorf("threshold after setting 250.5: own %v, %d; want its own 250.50", got.OwnLowBalance, got.LowBalanceThreshold)
	}
	wantIn(t, b.get(path), `name="low_balance_threshold" type="text" value="250.50"`)
	badThreshold := withThreshold("abc")
	badThreshold.Set("name", " ")
	wantIn(t, b.wantStatus(b.post(path+"/profile", badThreshold), http.StatusBadRequest), "2 fields are invalid.", "name ", "low_balance_threshold must")
	b.wantStatus(b.post(path+"/profile", withThreshold("")), http.StatusSeeOther)
	if got, _ := e.db.Account(ctx, p.ID, a.AuthID); got.OwnLowBalance || got.LowBalanceThreshold != 100_00 {
		t.Errorf("threshold after emptying it: own %v, %d; want the partner's 100.00", got.OwnLowBalance, got.LowBalanceThreshold)
	}

	b.wantStatus(b.submit(path, path+"/suspend", url.Values{"reason": {"Unpaid invoice"}}), http.StatusSeeOther)
	wantIn(t, b.get(path), "suspended", "Unpaid invoice")
	e.mustCustomer(t, p.ID, "Low One") // 0.00: under the threshold of 100.00
	over := b.get("/console/")
	wantIn(t, over, "Low One", "Renamed Customer")
	if strings.Contains(over.body, "No customer is suspended.") || strings.Contains(over.body, "No active customer is under") {
		t.Errorf("the overview does not list the suspended and the low-balance customers")
	}
	b.wantStatus(b.submit(path, path+"/activate", nil), http.StatusSeeOther)
	before, _ := e.db.Account(ctx, p.ID, a.AuthID)
	b.wantStatus(b.submit(path, path+"/rotate-token", nil), http.StatusSeeOther)
	after, _ := e.db.Account(ctx, p.ID, a.AuthID)
	if after.AuthToken == before.AuthToken || !strings.Contains(b.get(path).body, after.AuthToken) {
		t.Errorf("rotate token: the token did not change, or the page does not show the new one")
	}

	unconfirmed := b.wantStatus(b.submit(path, path+"/close", url.Values{"confirm": {"yes"}}), http.StatusBadRequest)
	wantIn(t, unconfirmed, "type the customer&#39;s id "+a.AuthID+" to confirm")
	b.wantStatus(b.submit(path, path+"/close", url.Values{"confirm": {a.AuthID}}), http.StatusSeeOther)
	closed := b.get(path + "?done=closed")
	wantIn(t, closed, "closed", "The customer is closed")
	if strings.Contains(closed.body, path+"/transfer") {
		t.Errorf("a closed customer's page still offers a transfer")
	}
	if r := b.post(path+"/transfer", url.Values{"amount": {"1"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "is closed") {
		t.Errorf("transfer to a closed customer = %d, want 400 account_closed", r.status)
	}
	if me, _ := e.db.Partner(ctx, p.ID); me.Balance != 1_000_000-10_000 {
		t.Errorf("partner balance after close = %d, want all but the number's month", me.Balance)
	}
}

// TestListsAndCSV: calls (with every filter), transactions and numbers
// show the data, refuse a bad filter in the API's words, and their CSV
// links download every matching row.
func TestListsAndCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Lister")
	a := e.mustCustomer(t, p.ID, "Caller")
	if _, err := e.db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100_000}); err != nil {
		t.Fatal(err)
	}
	mustCall(t, e, p.ID, a.AuthID, "call-one-0001", 61)
	for _, path := range []string{"/console/calls", "/console/calls?account=" + a.AuthID, "/console/calls?call_direction=outbound&status=answered&min_duration=1&search=call-one"} {
		r := b.wantStatus(b.get(path), http.StatusOK)
		wantIn(t, r, "+14155550100", "answered", "2.00 INR", "calls.csv?")
	}
	wantIn(t, b.get("/console/calls?status=busy"), "No calls match")
	// A refused filter lists nothing, as the API refuses it: never rows
	// the filter shown did not choose.
	badFilter := b.wantStatus(b.get("/console/calls?status=busy&start_date=2026-13-01"), http.StatusBadRequest)
	wantIn(t, badFilter, "start_date must be", "No calls match")
	if strings.Contains(badFilter.body, "call-one-0001") {
		t.Errorf("a refused filter lists the calls it did not choose:\n%s", excerpt(badFilter.body))
	}
	csv := b.wantStatus(b.get("/console/calls.csv?account="+a.AuthID), http.StatusOK)
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(csv.body, "call_uuid,from_number") || !strings.Contains(csv.body, "call-one-0001") {
		t.Errorf("calls CSV = %q (%s)", csv.body, ct)
	}
	tx := b.wantStatus(b.get("/console/transactions"), http.StatusOK)
	wantIn(t, tx, "recharge", "1,000.00 INR", "debit", "transactions.csv?")
	csv = b.wantStatus(b.get("/console/transactions.csv?transaction_type=recharge"), http.StatusOK)
	if lines := strings.Count(csv.body, "\n"); lines != 2 || !strings.Contains(csv.body, "recharge") {
		t.Errorf("transactions CSV = %q, want the header and the recharge", csv.body)
	}
	wantIn(t, b.get("/console/transactions?transaction_type=bogus"), "transaction_type must be one of")
	over := b.wantStatus(b.get("/console/"), http.StatusOK)
	wantIn(t, over, "<svg class=\"chart\"", "Daily spend, last 30 days", "2.00 INR", "9,000.00 INR")
	wantIn(t, b.get("/console/customers/"+a.AuthID), "+14155550100", "answered", "1 in the last 30 days")
}

// mustCall charges one answered outbound call of billsec seconds at
// 2.00 a minute (60/60).
func mustCall(t *testing.T, e *env, partnerID, authID, uuid string, billsec int) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.ReplaceRateDeck(ctx, partnerID, []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1",
		PerMinute: 10_000, InitialIncrement: 60, SubsequentIncrement: 60}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	answer := start.Add(2 * time.Second)
	cause := "NORMAL_CLEARING"
	res, err := e.db.PostCDRs(ctx, []partnerd.CDRInput{{CallUUID: uuid, Direction: partnerd.DirectionOutbound, AccountAuthID: &authID,
		FromNumber: "+914000000001", ToNumber: "+14155550100", StartTime: start, AnswerTime: &answer,
		EndTime: answer.Add(time.Duration(billsec) * time.Second), DurationSeconds: billsec + 2, Billsec: billsec, HangupCause: &cause}}, make([]*partnerd.Error, 1))
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("PostCDRs = %+v, %v", res, err)
	}
}

func mustHA1(username, realm, password string) string {
	ha1, _ := partnerd.DigestHA1(username, realm, password)
	return ha1
}
