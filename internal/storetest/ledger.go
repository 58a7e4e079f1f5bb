package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// LedgerStore is what a backend must implement for the ledger suite: the
// services plus the operator's funding and verification.
type LedgerStore interface {
	Store
	partnerd.LedgerService
	partnerd.IdempotencyService
	FundPartner(ctx context.Context, partnerID string, amount int64, description *string) (*partnerd.Entry, error)
	VerifyLedger(ctx context.Context, out io.Writer) error
	PurgeIdempotencyKeys(ctx context.Context) (int64, error)
}

// RunLedger runs the ledger and idempotency suite; open must return a new,
// empty store per call.
func RunLedger(t *testing.T, open func(t *testing.T) LedgerStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s LedgerStore)
	}{
		{"TransferAndWithdraw", testTransferAndWithdraw},
		{"InsufficientBalance", testInsufficientBalance},
		{"ScopedToPartner", testTransferScopedToPartner},
		{"RejectsNonPositive", testTransferRejectsNonPositive},
		{"EntriesFilterAndPage", testEntriesFilterAndPage},
		{"EntriesSeq", testEntriesSeq},
		{"EntriesSeqStops", testEntriesSeqStops},
		{"EntriesSeqRefuses", testEntriesSeqRefuses},
		{"ConcurrentTransfers", testConcurrentTransfers},
		{"IdempotencyReplay", testIdempotencyReplay},
		{"IdempotencyInUseAndRelease", testIdempotencyInUseAndRelease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// mustFundedCustomer returns a partner funded with amount and one customer.
func mustFundedCustomer(t *testing.T, s LedgerStore, name string, amount int64) (*partnerd.Partner, *partnerd.Account) {
	t.Helper()
	p, _ := mustPartner(t, s, name)
	if _, err := s.FundPartner(context.Background(), p.ID, amount, nil); err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
	a := mustAccount(t, s, p.ID, name+" customer", fmt.Sprintf("c@%s.example", name))
	return p, a
}

// mustBalances returns the partner's and the customer's balances.
func mustBalances(t *testing.T, s LedgerStore, partnerID, authID string) (int64, int64) {
	t.Helper()
	p, err := s.Partner(context.Background(), partnerID)
	if err != nil {
		t.Fatalf("Partner: %v", err)
	}
	a, err := s.Account(context.Background(), partnerID, authID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	return p.Balance, a.Balance
}

func mustVerify(t *testing.T, s LedgerStore) {
	t.Helper()
	var out bytes.Buffer
	if err := s.VerifyLedger(context.Background(), &out); err != nil {
		t.Fatalf("VerifyLedger: %v\n%s", err, out.String())
	}
}

func testTransferAndWithdraw(t *testing.T, s LedgerStore) {
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s, "movers", 100000)
	desc := "April recharge"
	tr, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 50000, Description: &desc})
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	want := partnerd.Transfer{
		TransactionID: tr.TransactionID, FromAccount: p.ID, ToAccount: a.AuthID, Amount: 50000, Currency: "INR",
		Description: &desc, Status: "completed", PartnerBalanceAfter: 50000, CustomerBalanceAfter: 50000,
		Timestamp: tr.Timestamp,
	}
	if diff := cmp.Diff(want, *tr); diff != "" {
		t.Errorf("Transfer (-want +got):\n%s", diff)
	}
	wd, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1245})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	if wd.FromAccount != a.AuthID || wd.ToAccount != p.ID || wd.PartnerBalanceAfter != 51245 || wd.CustomerBalanceAfter != 48755 {
		t.Errorf("Withdraw = %+v, want from %s to %s, balances 51245/48755", wd, a.AuthID, p.ID)
	}
	if pb, cb := mustBalances(t, s, p.ID, a.AuthID); pb != 51245 || cb != 48755 {
		t.Errorf("balances = %d/%d, want 51245/48755", pb, cb)
	}

	page := partnerd.Page{Page: 1, Size: 10}
	cust, total, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: page})
	if err != nil || total != 2 {
		t.Fatalf("AccountEntries: total %d, err %v; want 2", total, err)
	}
	type row struct {
		ID, Type              string
		Amount, Before, After int64
		By                    string
	}
	rows := func(es []*partnerd.Entry) []row {
		var out []row
		for _, e := range es {
			out = append(out, row{e.TransactionID, e.Type, e.Amount, e.BalanceBefore, e.BalanceAfter, e.InitiatedBy})
		}
		return out
	}
	wantCust := []row{
		{wd.TransactionID, partnerd.TxWithdrawal, -1245, 50000, 48755, p.ID},
		{tr.TransactionID, partnerd.TxRecharge, 50000, 0, 50000, p.ID},
	}
	if diff := cmp.Diff(wantCust, rows(cust)); diff != "" {
		t.Errorf("customer log (-want +got):\n%s", diff)
	}
	own, _, err := s.PartnerEntries(ctx, p.ID, partnerd.EntryFilter{Page: page})
	if err != nil {
		t.Fatalf("PartnerEntries: %v", err)
	}
	if len(own) != 3 || own[0].TransactionID != wd.TransactionID || own[0].Type != partnerd.TxTransferIn ||
		own[1].TransactionID != tr.TransactionID || own[1].Type != partnerd.TxTransferOut || own[1].Amount != -50000 ||
		own[2].Type != partnerd.TxFund || own[2].InitiatedBy != partnerd.InitiatedByOperator {
		t.Errorf("partner log = %+v", rows(own))
	}
	all, total, err := s.CustomerEntries(ctx, p.ID, partnerd.EntryFilter{Page: page})
	if err != nil || total != 2 || all[0].AccountAuthID != a.AuthID {
		t.Errorf("CustomerEntries: total %d, err %v, rows %+v", total, err, rows(all))
	}
	mustVerify(t, s)
}

func testInsufficientBalance(t *testing.T, s LedgerStore) {
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s, "poor", 20000)
	_, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 50000})
	wantCode(t, "transfer beyond the partner's balance", err, partnerd.ECInsufficientBalance)
	if e, ok := err.(*partnerd.Error); ok {
		want := map[string]any{
			"current_balance":  partnerd.Money{Minor: 20000, Currency: "INR"},
			"requested_amount": partnerd.Money{Minor: 50000, Currency: "INR"},
			"currency":         "INR",
		}
		if diff := cmp.Diff(want, e.Details); diff != "" {
			t.Errorf("details (-want +got):\n%s", diff)
		}
	}
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 20000}); err != nil {
		t.Fatalf("Transfer of the whole balance: %v", err)
	}
	_, err = s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 20001})
	wantCode(t, "withdrawal beyond the customer's balance", err, partnerd.ECInsufficientBalance)
	if pb, cb := mustBalances(t, s, p.ID, a.AuthID); pb != 0 || cb != 20000 {
		t.Errorf("balances = %d/%d, want 0/20000: a refused move changed money", pb, cb)
	}
	mustVerify(t, s)
}

func testTransferScopedToPartner(t *testing.T, s LedgerStore) {
	ctx := context.Background()
	_, a := mustFundedCustomer(t, s, "owner", 10000)
	other, _ := mustFundedCustomer(t, s, "intruder", 10000)
	_, err := s.Transfer(ctx, other.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100})
	wantCode(t, "transfer to another partner's customer", err, partnerd.ECAccountNotFound)
	_, err = s.Withdraw(ctx, other.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100})
	wantCode(t, "withdrawal from another partner's customer", err, partnerd.ECAccountNotFound)
	_, _, err = s.AccountEntries(ctx, other.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	wantCode(t, "another partner's customer log", err, partnerd.ECAccountNotFound)
	_, err = s.Transfer(ctx, other.ID, partnerd.TransferInput{AuthID: "MA_00000000", Amount: 100})
	wantCode(t, "transfer to an unknown customer", err, partnerd.ECAccountNotFound)
}

func testTransferRejectsNonPositive(t *testing.T, s LedgerStore) {
	p, a := mustFundedCustomer(t, s, "zero", 10000)
	for _, amount := range []int64{0, -1} {
		_, err := s.Transfer(context.Background(), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount})
		wantCode(t, fmt.Sprintf("transfer of %d", amount), err, partnerd.ECValidation)
		_, err = s.Withdraw(context.Background(), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount})
		wantCode(t, fmt.Sprintf("withdrawal of %d", amount), err, partnerd.ECValidation)
	}
	// An operator's note is text like a transfer's description.
	for _, desc := range []string{"a\x1bb", "\u202eb", strings.Repeat("d", 501)} {
		_, err := s.FundPartner(context.Background(), p.ID, 1, &desc)
		wantCode(t, fmt.Sprintf("fund described %q", desc), err, partnerd.ECValidation)
	}
	blank := " "
	if e, err := s.FundPartner(context.Background(), p.ID, 1, &blank); err != nil || e.Description != nil {
		t.Errorf("fund with a blank description = %v, %v; want a null description", e, err)
	}
}

func testEntriesFilterAndPage(t *testing.T, s LedgerStore) {
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s, "pager", 1000000)
	var ids []string
	for i := range 7 {
		var tr *partnerd.Transfer
		var err error
		if i%3 == 2 {
			tr, err = s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1})
		} else {
			tr, err = s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: int64(100 + i)})
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{tr.TransactionID}, ids...) // newest first
	}
	var got []string
	for page := 1; page <= 3; page++ {
		es, total, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: page, Size: 3}})
		if err != nil || total != 7 {
			t.Fatalf("page %d: total %d, err %v", page, total, err)
		}
		for _, e := range es {
			got = append(got, e.TransactionID)
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("pages of 3, newest first (-want +got):\n%s", diff)
	}
	es, total, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Type: partnerd.TxWithdrawal, Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || total != 2 || len(es) != 2 {
		t.Errorf("withdrawals: total %d, %d rows, err %v; want 2", total, len(es), err)
	}
	for _, e := range es {
		if e.Type != partnerd.TxWithdrawal || e.Amount != -1 {
			t.Errorf("withdrawal filter returned %+v", e)
		}
	}
	es, total, err = s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 4, Size: 3}})
	if err != nil || total != 7 || len(es) != 0 {
		t.Errorf("page past the end: total %d, %d rows, err %v; want 7 and none", total, len(es), err)
	}
}

// testConcurrentTransfers runs transfers and withdrawals from many
// goroutines, some bound to fail, and checks that every success and only
// successes moved money.
func testConcurrentTransfers(t *testing.T, s LedgerStore) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "busy")
	if _, err := s.FundPartner(ctx, p.ID, 10000, nil); err != nil {
		t.Fatal(err)
	}
	var customers []*partnerd.Account
	for i := range 4 {
		customers = append(customers, mustAccount(t, s, p.ID, fmt.Sprintf("busy %d", i), fmt.Sprintf("c%d@busy.example", i)))
	}
	var mu sync.Mutex
	moved := make(map[string]int64)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				a := customers[(g+i)%len(customers)]
				amount := int64(50 + (g*7+i*13)%400)
				var err error
				sign := int64(1)
				if (g+i)%4 == 3 {
					sign = -1
					_, err = s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount})
				} else {
					_, err = s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount})
				}
				switch partnerd.ErrorCode(err) {
				case partnerd.ECInsufficientBalance:
				case partnerd.ECInternal:
					if err != nil {
						t.Errorf("move: %v", err)
						continue
					}
					mu.Lock()
					moved[a.AuthID] += sign * amount
					mu.Unlock()
				default:
					t.Errorf("move: unexpected %v", err)
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, a := range customers {
		_, cb := mustBalances(t, s, p.ID, a.AuthID)
		if cb != moved[a.AuthID] {
			t.Errorf("customer %s balance %d, want %d from acknowledged moves", a.AuthID, cb, moved[a.AuthID])
		}
		total += cb
	}
	if pb, _ := mustBalances(t, s, p.ID, customers[0].AuthID); pb+total != 10000 {
		t.Errorf("partner %d + customers %d = %d, want the funded 10000", pb, total, pb+total)
	}
	mustVerify(t, s)
}

// claim claims key for request body on the partner.
func claim(t *testing.T, s LedgerStore, partnerID, key, body string) (*partnerd.StoredResponse, *partnerd.IdempotencyClaim, error) {
	t.Helper()
	return s.ClaimIdempotencyKey(context.Background(), partnerd.IdempotencyRequest{
		PartnerID: partnerID, Key: key, Fingerprint: []byte("POST /x " + body),
	})
}

func testIdempotencyReplay(t *testing.T, s LedgerStore) {
	p, a := mustFundedCustomer(t, s, "replayer", 10000)
	stored, c, err := claim(t, s, p.ID, "k1", "a")
	if err != nil || stored != nil || c == nil {
		t.Fatalf("first claim = %v, %v, %v; want a claim", stored, c, err)
	}
	c.Respond = func(result any) (int, []byte, error) {
		return 200, []byte(result.(*partnerd.Transfer).TransactionID), nil
	}
	ctx := partnerd.WithIdempotencyClaim(context.Background(), c)
	tr, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 700})
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	stored, c2, err := claim(t, s, p.ID, "k1", "a")
	if err != nil || c2 != nil || stored == nil {
		t.Fatalf("retry = %v, %v, %v; want the stored response", stored, c2, err)
	}
	if stored.Status != 200 || string(stored.Body) != tr.TransactionID {
		t.Errorf("stored = %d %q, want 200 %q", stored.Status, stored.Body, tr.TransactionID)
	}
	_, _, err = claim(t, s, p.ID, "k1", "b")
	wantCode(t, "same key, different request", err, partnerd.ECIdempotencyReused)
	// Keys belong to a partner: another may use the same one.
	other, _ := mustPartner(t, s, "neighbour")
	if stored, c, err := claim(t, s, other.ID, "k1", "a"); err != nil || stored != nil || c == nil {
		t.Errorf("another partner's claim of k1 = %v, %v, %v; want a fresh claim", stored, c, err)
	}
	if _, pb := mustBalances(t, s, p.ID, a.AuthID); pb != 700 {
		t.Errorf("customer balance %d, want 700", pb)
	}
	// Completed keys younger than the retention survive a purge.
	if _, err := s.PurgeIdempotencyKeys(context.Background()); err != nil {
		t.Fatalf("PurgeIdempotencyKeys: %v", err)
	}
	if stored, _, err := claim(t, s, p.ID, "k1", "a"); err != nil || stored == nil {
		t.Errorf("after purge: %v, %v; want the stored response kept for 24 h", stored, err)
	}
	mustVerify(t, s)
}

func testIdempotencyInUseAndRelease(t *testing.T, s LedgerStore) {
	p, a := mustFundedCustomer(t, s, "holder", 100)
	ok := func(any) (int, []byte, error) { return 200, []byte("x"), nil }
	_, c, err := claim(t, s, p.ID, "k", "a")
	if err != nil || c == nil {
		t.Fatalf("claim: %v", err)
	}
	_, _, err = claim(t, s, p.ID, "k", "a")
	wantCode(t, "second claim while the first runs", err, partnerd.ECIdempotencyInUse)
	var e *partnerd.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Errorf("in-use error %v has no RetryAfter", err)
	}
	_, _, err = claim(t, s, p.ID, "k", "b")
	wantCode(t, "another request under a held key", err, partnerd.ECIdempotencyReused)

	// A failed effect leaves no response behind; releasing frees the key.
	c.Respond = ok
	ctx := partnerd.WithIdempotencyClaim(context.Background(), c)
	_, err = s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1000})
	wantCode(t, "transfer beyond the balance", err, partnerd.ECInsufficientBalance)
	if err := s.ReleaseIdempotencyKey(context.Background(), c); err != nil {
		t.Fatalf("Release: %v", err)
	}
	stale, c, err := claim(t, s, p.ID, "k", "a")
	if err != nil || stale != nil || c == nil {
		t.Fatalf("claim after release = %v, %v, %v; want a fresh claim", stale, c, err)
	}

	// A write under a claim that cannot render its response is refused,
	// so no effect ever exists without its stored response.
	_, err = s.Transfer(partnerd.WithIdempotencyClaim(context.Background(), c), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10})
	if err == nil {
		t.Errorf("a write under a claim without Respond succeeded; want it refused")
	}
	c.Respond = ok
	if _, err := s.Transfer(partnerd.WithIdempotencyClaim(context.Background(), c), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10}); err != nil {
		t.Fatalf("Transfer under the claim: %v", err)
	}
	if !c.Completed() {
		t.Errorf("the claim is not completed after its write committed")
	}
	// One request makes one write: a second write under the same claim
	// is refused.
	_, err = s.Transfer(partnerd.WithIdempotencyClaim(context.Background(), c), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10})
	if err == nil {
		t.Errorf("a second write under one completed claim succeeded; want it refused")
	}
	s.ReleaseIdempotencyKey(context.Background(), c)

	// Another holder of the same key (as another instance running the same
	// request would be) cannot complete it: its effect is refused.
	_, rival, err := claim(t, s, p.ID, "k2", "a")
	if err != nil || rival == nil {
		t.Fatalf("claim k2: %v", err)
	}
	s.ReleaseIdempotencyKey(context.Background(), rival) // as if held elsewhere
	_, first, err := claim(t, s, p.ID, "k2", "a")
	if err != nil || first == nil {
		t.Fatalf("claim k2 again: %v", err)
	}
	first.Respond, rival.Respond = ok, ok
	if _, err := s.Transfer(partnerd.WithIdempotencyClaim(context.Background(), first), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 5}); err != nil {
		t.Fatalf("Transfer under k2: %v", err)
	}
	_, err = s.Transfer(partnerd.WithIdempotencyClaim(context.Background(), rival), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 5})
	wantCode(t, "effect under a key another request completed", err, partnerd.ECIdempotencyInUse)
	if pb, cb := mustBalances(t, s, p.ID, a.AuthID); pb != 85 || cb != 15 {
		t.Errorf("balances %d/%d, want 85/15: a refused effect moved money", pb, cb)
	}
	mustVerify(t, s)
}

// RunIdempotencyInstances runs the idempotency tests that need several
// instances of a server: open returns n stores on one new, empty database.
func RunIdempotencyInstances(t *testing.T, open func(t *testing.T, n int) []LedgerStore) {
	t.Run("InFlightOnAnotherInstance", func(t *testing.T) {
		t.Parallel()
		testIdempotencyInFlightElsewhere(t, open(t, 2))
	})
}

// testIdempotencyInFlightElsewhere checks API.md §1's in-flight marker: a
// key claimed on one instance is in use (409) on another until its request
// ends; a request that failed leaves it unused there too, and one that
// succeeded is replayed there.
func testIdempotencyInFlightElsewhere(t *testing.T, s []LedgerStore) {
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s[0], "elsewhere", 100)
	ok := func(any) (int, []byte, error) { return 200, []byte(`{"moved":10}`), nil }

	_, c, err := claim(t, s[0], p.ID, "k", "a")
	if err != nil || c == nil {
		t.Fatalf("claim on the first instance: %v", err)
	}
	_, _, err = claim(t, s[1], p.ID, "k", "a")
	wantCode(t, "the same request on another instance while the first runs", err, partnerd.ECIdempotencyInUse)
	var e *partnerd.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Errorf("in-use error %v has no RetryAfter", err)
	}
	_, _, err = claim(t, s[1], p.ID, "k", "b")
	wantCode(t, "another request under the key on another instance", err, partnerd.ECIdempotencyReused)

	// The first request fails: the key is unused on every instance.
	c.Respond = ok
	_, err = s[0].Transfer(partnerd.WithIdempotencyClaim(ctx, c), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1000})
	wantCode(t, "transfer beyond the balance", err, partnerd.ECInsufficientBalance)
	if err := s[0].ReleaseIdempotencyKey(ctx, c); err != nil {
		t.Fatalf("Release: %v", err)
	}
	stored, c, err := claim(t, s[1], p.ID, "k", "b")
	if err != nil || stored != nil || c == nil {
		t.Fatalf("claim on the other instance after a failed request = %v, %v, %v; want a fresh claim", stored, c, err)
	}

	// This one succeeds: the first instance replays it.
	c.Respond = ok
	if _, err := s[1].Transfer(partnerd.WithIdempotencyClaim(ctx, c), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10}); err != nil {
		t.Fatalf("Transfer under the claim: %v", err)
	}
	if err := s[1].ReleaseIdempotencyKey(ctx, c); err != nil {
		t.Fatalf("Release: %v", err)
	}
	stored, c, err = claim(t, s[0], p.ID, "k", "b")
	if err != nil || c != nil || stored == nil || string(stored.Body) != `{"moved":10}` {
		t.Errorf("claim on the first instance after the request succeeded = %v, %v, %v; want its stored response", stored, c, err)
	}
	if pb, cb := mustBalances(t, s[0], p.ID, a.AuthID); pb != 90 || cb != 10 {
		t.Errorf("balances %d/%d, want 90/10", pb, cb)
	}
	mustVerify(t, s[0])
}
