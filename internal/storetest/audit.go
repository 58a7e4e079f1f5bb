package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/partnerd/partnerd"
)

// AuditStore is what a backend must implement for the audit suite
// (API.md §7): the ledger suite's store plus the audit log.
type AuditStore interface {
	LedgerStore
	partnerd.AuditService
}

// RunAudit runs the audit log suite. open returns n stores on one new,
// empty database (n > 1: as many instances of a server share one).
func RunAudit(t *testing.T, open func(t *testing.T, n int) []AuditStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []AuditStore)
	}{
		{"EachChangeRecordsItsRow", testAuditRows},
		{"RefusalsRecordNothing", testAuditRefusals},
		{"NoContextNoRow", testAuditNoContext},
		{"FiltersAndPages", testAuditFilters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []AuditStore { return open(t, n) })
		})
	}
}

// asPartner is ctx as a partner's request with id and key.
func asPartner(partnerID, requestID, key string) context.Context {
	return partnerd.WithAudit(context.Background(), partnerd.AuditContext{
		Actor: partnerd.Actor{Kind: partnerd.ActorPartner, ID: partnerID}, RequestID: requestID, IdempotencyKey: key})
}

// allAudit returns every audit row of the partner matching f, oldest first.
func allAudit(t *testing.T, s AuditStore, partnerID string, f partnerd.AuditFilter) []*partnerd.AuditEvent {
	t.Helper()
	var out []*partnerd.AuditEvent
	for page := 1; ; page++ {
		f.Page = partnerd.Page{Page: page, Size: partnerd.MaxPageSize}
		es, total, err := s.AuditEvents(context.Background(), partnerID, f)
		if err != nil {
			t.Fatalf("AuditEvents(%+v): %v", f, err)
		}
		out = append(out, es...)
		if len(es) == 0 || len(out) >= total {
			if len(out) != total {
				t.Fatalf("AuditEvents: read %d rows, total says %d", len(out), total)
			}
			break
		}
	}
	slices.Reverse(out)
	return out
}

// ignoreGenerated leaves out what the store makes up (id, time).
var ignoreGenerated = cmpopts.IgnoreFields(partnerd.AuditEvent{}, "ID", "At")

func testAuditRows(t *testing.T, open func(n int) []AuditStore) {
	s := open(1)[0]
	op := partnerd.WithAudit(context.Background(), partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorOperator}})
	p, _, err := s.CreatePartner(op, partnerd.PartnerInput{Name: "Audited", Email: "ops@audited.example"})
	if err != nil {
		t.Fatal(err)
	}
	fund, err := s.FundPartner(op, p.ID, 10_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(asPartner(p.ID, "req_1", "key-1"), p.ID, accountInput("Audited", "audited@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.Transfer(asPartner(p.ID, "req_2", ""), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 500})
	if err != nil {
		t.Fatal(err)
	}
	wd, err := s.Withdraw(asPartner(p.ID, "req_3", "key-3"), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 200})
	if err != nil {
		t.Fatal(err)
	}
	got := allAudit(t, s, p.ID, partnerd.AuditFilter{})
	operator := partnerd.Actor{Kind: partnerd.ActorOperator}
	partner := partnerd.Actor{Kind: partnerd.ActorPartner, ID: p.ID}
	want := []*partnerd.AuditEvent{
		{Actor: operator, PartnerID: p.ID, Action: partnerd.AuditPartnerCreate, Target: p.ID, Outcome: partnerd.AuditOK},
		{Actor: operator, PartnerID: p.ID, Action: partnerd.AuditPartnerFund, Target: fund.TransactionID, Outcome: partnerd.AuditOK},
		{Actor: partner, PartnerID: p.ID, Account: a.AuthID, Action: partnerd.AuditAccountCreate, Target: a.AuthID,
			RequestID: "req_1", IdempotencyKey: "key-1", Outcome: partnerd.AuditOK},
		{Actor: partner, PartnerID: p.ID, Account: a.AuthID, Action: partnerd.AuditBalanceTransfer, Target: tr.TransactionID,
			RequestID: "req_2", Outcome: partnerd.AuditOK},
		{Actor: partner, PartnerID: p.ID, Account: a.AuthID, Action: partnerd.AuditBalanceWithdraw, Target: wd.TransactionID,
			RequestID: "req_3", IdempotencyKey: "key-3", Outcome: partnerd.AuditOK},
	}
	if diff := cmp.Diff(want, got, ignoreGenerated); diff != "" {
		t.Errorf("audit rows (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if !partnerd.IsAuditID(e.ID) || e.At.IsZero() || e.At.Location() != time.UTC {
			t.Errorf("row %+v: want an aud_ id and a UTC time", e)
		}
	}
	// A token never appears in a row: targets are ids.
	for _, e := range got {
		if strings.Contains(fmt.Sprintf("%+v", *e), a.AuthToken) {
			t.Errorf("row %+v holds the customer's token", e)
		}
	}
}

// testAuditRefusals checks that a refused change records nothing, also
// when it shares its writer batch with changes that commit: every row has
// its effect and every effect its row.
func testAuditRefusals(t *testing.T, open func(n int) []AuditStore) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	p, _ := mustPartner(t, s, "refusals")
	if _, err := s.FundPartner(ctx, p.ID, 1000, nil); err != nil {
		t.Fatal(err)
	}
	a := mustAccount(t, s, p.ID, "Refused", "refused@audit.example")
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1000}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []string
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half withdraw more than the wallet holds: refused.
			amount := int64(10)
			if i%2 == 1 {
				amount = 1_000_000
			}
			tr, err := stores[i%2].Withdraw(asPartner(p.ID, fmt.Sprintf("req_%d", i), ""), p.ID,
				partnerd.TransferInput{AuthID: a.AuthID, Amount: amount})
			if err == nil {
				mu.Lock()
				committed = append(committed, tr.TransactionID)
				mu.Unlock()
			} else if partnerd.ErrorCode(err) != partnerd.ECInsufficientBalance {
				t.Errorf("Withdraw(%d): %v", amount, err)
			}
		}()
	}
	wg.Wait()
	var targets []string
	for _, e := range allAudit(t, s, p.ID, partnerd.AuditFilter{}) {
		targets = append(targets, e.Target)
	}
	slices.Sort(committed)
	slices.Sort(targets)
	if len(committed) != 30 {
		t.Errorf("%d withdrawals committed, want 30", len(committed))
	}
	if diff := cmp.Diff(committed, targets); diff != "" {
		t.Errorf("audit targets differ from the committed withdrawals (-committed +rows):\n%s", diff)
	}
}

// testAuditNoContext checks that a change made without an audit context
// (a store-level tool) writes no row, and that the server's own sweeps
// (ActorSystem) may make writes that record none.
func testAuditNoContext(t *testing.T, open func(n int) []AuditStore) {
	s := open(1)[0]
	p, _ := mustPartner(t, s, "quiet")
	mustAccount(t, s, p.ID, "Quiet", "quiet@audit.example")
	if got := allAudit(t, s, p.ID, partnerd.AuditFilter{}); len(got) != 0 {
		t.Errorf("rows without an audit context: %+v", got)
	}
	es, total, err := s.AuditLog(context.Background(), partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || total != 0 || len(es) != 0 {
		t.Errorf("AuditLog = %d rows of %d, %v; want none", len(es), total, err)
	}
	system := partnerd.WithAudit(context.Background(), partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorSystem}})
	if _, err := s.PurgeIdempotencyKeys(system); err != nil {
		t.Errorf("a system write that records no row: %v", err)
	}
}

func testAuditFilters(t *testing.T, open func(n int) []AuditStore) {
	s := open(1)[0]
	p, _ := mustPartner(t, s, "filters")
	other, _ := mustPartner(t, s, "others")
	if _, err := s.FundPartner(context.Background(), p.ID, 10_000, nil); err != nil {
		t.Fatal(err)
	}
	ctx := asPartner(p.ID, "", "")
	var accounts []string
	for i := range 3 {
		a, err := s.CreateAccount(ctx, p.ID, accountInput(fmt.Sprint("F", i), fmt.Sprintf("f%d@audit.example", i)))
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a.AuthID)
		for range i + 1 {
			if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.CreateAccount(asPartner(other.ID, "", ""), other.ID, accountInput("Other", "other@audit.example")); err != nil {
		t.Fatal(err)
	}
	all := allAudit(t, s, p.ID, partnerd.AuditFilter{})
	if len(all) != 3+6 {
		t.Fatalf("%d rows, want 9", len(all))
	}
	for _, e := range all {
		if e.PartnerID != p.ID {
			t.Errorf("partner %s sees row %+v of another partner", p.ID, e)
		}
	}
	if got := allAudit(t, s, p.ID, partnerd.AuditFilter{Action: partnerd.AuditAccountCreate}); len(got) != 3 {
		t.Errorf("action filter: %d rows, want 3", len(got))
	}
	got := allAudit(t, s, p.ID, partnerd.AuditFilter{Account: accounts[2]})
	if len(got) != 1+3 {
		t.Errorf("account filter: %d rows, want 4", len(got))
	}
	for _, e := range got {
		if e.Account != accounts[2] {
			t.Errorf("account filter returned %+v", e)
		}
	}
	// Pages are newest first and never overlap.
	var paged []string
	for page := 1; page <= 3; page++ {
		es, total, err := s.AuditEvents(context.Background(), p.ID, partnerd.AuditFilter{Page: partnerd.Page{Page: page, Size: 4}})
		if err != nil || total != 9 {
			t.Fatalf("page %d: total %d, %v", page, total, err)
		}
		for _, e := range es {
			paged = append(paged, e.ID)
		}
	}
	var want []string
	for i := len(all) - 1; i >= 0; i-- {
		want = append(want, all[i].ID)
	}
	if diff := cmp.Diff(want, paged); diff != "" {
		t.Errorf("pages of 4 (-want +got):\n%s", diff)
	}
	// Days (UTC here): the rows' days hold every row, the day before none.
	first, last := all[0].At.Truncate(24*time.Hour), all[len(all)-1].At.Truncate(24*time.Hour)
	if got := allAudit(t, s, p.ID, partnerd.AuditFilter{From: first, To: last}); len(got) != 9 {
		t.Errorf("%s to %s: %d rows, want 9", first, last, len(got))
	}
	yesterday := first.AddDate(0, 0, -1)
	if got := allAudit(t, s, p.ID, partnerd.AuditFilter{From: yesterday, To: yesterday}); len(got) != 0 {
		t.Errorf("yesterday: %d rows, want 0", len(got))
	}
	// The operator sees both partners' rows, or one partner's.
	_, total, err := s.AuditLog(context.Background(), partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil || total != 10 {
		t.Errorf("AuditLog total = %d, %v; want 10", total, err)
	}
	_, total, err = s.AuditLog(context.Background(), partnerd.AuditFilter{Partner: other.ID, Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil || total != 1 {
		t.Errorf("AuditLog of %s total = %d, %v; want 1", other.ID, total, err)
	}
}
