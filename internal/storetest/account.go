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
	"github.com/partnerd/partnerd"
)

var accountTests = []test{
	{"CreateNormalizes", testAccountCreateNormalizes},
	{"CreateDefaults", testAccountCreateDefaults},
	{"CreateValidates", testAccountCreateValidates},
	{"GetScopedToPartner", testAccountGetScopedToPartner},
	{"EmailTaken", testAccountEmailTaken},
	{"EmailTakenConcurrently", testAccountEmailTakenConcurrently},
	{"ListNewestFirst", testAccountListNewestFirst},
	{"ListPages", testAccountListPages},
	{"ListScopedToPartner", testAccountListScopedToPartner},
}

func ptr(s string) *string { return &s }

func testAccountCreateNormalizes(t *testing.T, s Store) {
	ctx := context.Background()
	p, _, err := s.CreatePartner(ctx, partnerd.PartnerInput{Name: "Norm", Email: "ops@norm.example", Currency: "USD"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	ownLow := int64(42_50) // an own low-balance threshold (API.md §8)
	in := partnerd.AccountInput{
		Name: "  Credresolve  ", Email: " Admin@CredResolve.COM ", Password: "SecurePass@123",
		Phone: " 9431538535 ", Country: "in",
		Description: ptr("Debt collection and recovery services"), Company: ptr("Credresolve Private Limited"),
		Address: ptr("123 Brigade Road"), City: ptr("Bangalore"), State: ptr("Karnataka"),
		ZipCode: ptr("560001"), Timezone: ptr("Asia/Kolkata"), GSTIN: ptr("29aapfu0939f1zv"),
		GSTStatus: ptr("active"), AccountType: ptr("premium"), LowBalanceThreshold: &ownLow,
	}
	before := time.Now()
	a, err := s.CreateAccount(ctx, p.ID, in)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if !partnerd.IsAccountID(a.AuthID) {
		t.Errorf("AuthID = %q, want MA_ and 8 lower-case hex digits", a.AuthID)
	}
	if !strings.HasPrefix(a.AuthToken, "sk_live_") || len(a.AuthToken) < len("sk_live_")+32 {
		t.Errorf("AuthToken = %q, want sk_live_ and at least 32 characters", a.AuthToken)
	}
	checkTimestamp(t, "CreatedAt", a.CreatedAt, before)
	want := &partnerd.Account{
		AuthID: a.AuthID, PartnerID: p.ID, Name: "Credresolve", Email: "admin@credresolve.com",
		Phone: "9431538535", Country: "IN",
		Description: ptr("Debt collection and recovery services"), Company: ptr("Credresolve Private Limited"),
		Address: ptr("123 Brigade Road"), City: ptr("Bangalore"), State: ptr("Karnataka"),
		ZipCode: ptr("560001"), Timezone: "Asia/Kolkata", GSTIN: ptr("29AAPFU0939F1ZV"),
		GSTStatus: ptr("active"), AccountType: "premium", Status: partnerd.StatusActive,
		Currency: "USD", Balance: 0, AuthToken: a.AuthToken, LowBalanceThreshold: ownLow, OwnLowBalance: true,
		CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt, BalanceUpdatedAt: a.CreatedAt,
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("CreateAccount returned (-want +got):\n%s", diff)
	}

	// Reading it back gives the same account, with the token decrypted.
	got, err := s.Account(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Account after create (-want +got):\n%s", diff)
	}

	// A list row carries the same fields; the token is only for Account.
	list, total := mustList(t, s, p.ID, partnerd.AccountFilter{})
	if total != 1 || len(list) != 1 {
		t.Fatalf("ListAccounts = %d rows of %d, want 1 of 1", len(list), total)
	}
	wantRow := *want
	wantRow.AuthToken = ""
	if diff := cmp.Diff(&wantRow, list[0]); diff != "" {
		t.Errorf("ListAccounts row (-want +got):\n%s", diff)
	}
}

// checkTimestamp checks a store time: UTC, whole seconds, and now.
func checkTimestamp(t *testing.T, what string, got, before time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v, want UTC", what, got)
	}
	if got.Nanosecond() != 0 {
		t.Errorf("%s = %v, want whole seconds", what, got)
	}
	if got.Before(before.Truncate(time.Second)) || got.After(time.Now()) {
		t.Errorf("%s = %v, want between %v and now", what, got, before)
	}
}

func testAccountCreateDefaults(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "defaults")
	a := mustAccount(t, s, p.ID, "Bare", "bare@defaults.example")
	got, err := s.Account(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	want := &partnerd.Account{
		AuthID: a.AuthID, PartnerID: p.ID, Name: "Bare", Email: "bare@defaults.example", Phone: "9431538535",
		Country: "IN", Timezone: "UTC", AccountType: partnerd.AccountTypeStandard, Status: partnerd.StatusActive,
		Currency: partnerd.DefaultCurrency, AuthToken: a.AuthToken,
		CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt, BalanceUpdatedAt: a.CreatedAt,
		LowBalanceThreshold: partnerd.DefaultLowBalance(partnerd.DefaultCurrency), // the partner's
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Account with only required fields (-want +got):\n%s", diff)
	}

	// Tokens and ids are per account.
	b := mustAccount(t, s, p.ID, "Other", "other@defaults.example")
	if b.AuthID == a.AuthID || b.AuthToken == a.AuthToken {
		t.Errorf("two accounts share an auth_id or a token: %s/%s", a.AuthID, b.AuthID)
	}
}

func testAccountCreateValidates(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "validates")
	in := accountInput("", "bad")
	in.Password = "short"
	_, err := s.CreateAccount(ctx, p.ID, in)
	wantCode(t, "CreateAccount(invalid)", err, partnerd.ECValidation)
	if _, total := mustList(t, s, p.ID, partnerd.AccountFilter{}); total != 0 {
		t.Errorf("total after a rejected create = %d, want 0", total)
	}
}

func testAccountGetScopedToPartner(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "owner")
	other, _ := mustPartner(t, s, "stranger")
	a := mustAccount(t, s, p.ID, "Owned", "owned@scope.example")

	// Another partner's customer is answered exactly like a missing one.
	for _, tc := range []struct{ name, partnerID, authID string }{
		{"foreign partner", other.ID, a.AuthID},
		{"unknown id", p.ID, "MA_00000000"},
		{"upper-case id", p.ID, strings.ToUpper(a.AuthID)},
		{"malformed id", p.ID, "nonsense"},
		{"unknown partner", "PA_ZZZZZZZZ", a.AuthID},
	} {
		if tc.partnerID == p.ID && tc.authID == a.AuthID {
			continue // an id of digits only has no upper-case form
		}
		got, err := s.Account(ctx, tc.partnerID, tc.authID)
		wantCode(t, "Account("+tc.name+")", err, partnerd.ECAccountNotFound)
		if got != nil {
			t.Errorf("Account(%s) returned %+v with the error, want nil", tc.name, got)
		}
	}
}

func testAccountEmailTaken(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "taken")
	other, _ := mustPartner(t, s, "elsewhere")
	mustAccount(t, s, p.ID, "First", "dup@taken.example")

	_, err := s.CreateAccount(ctx, p.ID, accountInput("Second", "DUP@Taken.Example"))
	wantCode(t, "CreateAccount(same email, other case)", err, partnerd.ECEmailTaken)
	// Emails are logins, so they are unique across partners too.
	_, err = s.CreateAccount(ctx, other.ID, accountInput("Third", "dup@taken.example"))
	wantCode(t, "CreateAccount(same email, other partner)", err, partnerd.ECEmailTaken)

	if _, total := mustList(t, s, p.ID, partnerd.AccountFilter{}); total != 1 {
		t.Errorf("total after rejected duplicates = %d, want 1", total)
	}
	if _, total := mustList(t, s, other.ID, partnerd.AccountFilter{}); total != 0 {
		t.Errorf("other partner's total = %d, want 0", total)
	}
}

func testAccountEmailTakenConcurrently(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "race")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			email := "Racer@Race.Example"
			if i%2 == 1 {
				email = strings.ToLower(email)
			}
			_, errs[i] = s.CreateAccount(ctx, p.ID, accountInput(fmt.Sprintf("Racer %d", i), email))
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantCode(t, fmt.Sprintf("CreateAccount #%d", i), err, partnerd.ECEmailTaken)
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent creates with one email succeeded, want exactly 1", ok, n)
	}
	if _, total := mustList(t, s, p.ID, partnerd.AccountFilter{}); total != 1 {
		t.Errorf("total after the race = %d, want 1", total)
	}
}

func testAccountListNewestFirst(t *testing.T, s Store) {
	p, _ := mustPartner(t, s, "order")
	if list, total := mustList(t, s, p.ID, partnerd.AccountFilter{}); total != 0 || len(list) != 0 {
		t.Errorf("empty partner: %d rows of %d, want none", len(list), total)
	}
	// Created one after another, most or all within one second: the order
	// must still be the commit order, not the timestamp's or the id's.
	const n = 6
	var created []string
	for i := range n {
		created = append(created, mustAccount(t, s, p.ID, fmt.Sprintf("Order %d", i), fmt.Sprintf("order%d@order.example", i)).AuthID)
	}
	slices.Reverse(created)
	list, total := mustList(t, s, p.ID, partnerd.AccountFilter{})
	if total != n {
		t.Errorf("total = %d, want %d", total, n)
	}
	if diff := cmp.Diff(created, authIDs(list)); diff != "" {
		t.Errorf("ListAccounts order (-want newest first +got):\n%s", diff)
	}
}

func testAccountListPages(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "pages")
	const n = 7
	var want []string
	for i := range n {
		want = append(want, mustAccount(t, s, p.ID, fmt.Sprintf("Page %d", i), fmt.Sprintf("page%d@pages.example", i)).AuthID)
	}
	slices.Reverse(want)

	for _, tc := range []struct {
		page, size int
		want       []string
	}{
		{1, 3, want[0:3]},
		{2, 3, want[3:6]},
		{3, 3, want[6:7]},
		{4, 3, nil}, // past the end: no rows, same total
		{1, 7, want},
		{1, 100, want},
		{2, 7, nil},
		{5, 1, want[4:5]},
		{1_000_000, 100, nil},
	} {
		f := partnerd.AccountFilter{Page: partnerd.Page{Page: tc.page, Size: tc.size}}
		got, total, err := s.ListAccounts(ctx, p.ID, f)
		if err != nil {
			t.Fatalf("ListAccounts(page %d, size %d): %v", tc.page, tc.size, err)
		}
		if total != n {
			t.Errorf("page %d size %d: total = %d, want %d", tc.page, tc.size, total, n)
		}
		if diff := cmp.Diff(tc.want, authIDs(got), cmpEmptyNil); diff != "" {
			t.Errorf("page %d size %d (-want +got):\n%s", tc.page, tc.size, diff)
		}
	}
	// Every page of every size, on both sides of the middle (a store may
	// read deep pages from the oldest end).
	for size := 1; size <= n+1; size++ {
		for page := 1; (page-1)*size <= n; page++ {
			got, _, err := s.ListAccounts(ctx, p.ID, partnerd.AccountFilter{Page: partnerd.Page{Page: page, Size: size}})
			if err != nil {
				t.Fatalf("ListAccounts(page %d, size %d): %v", page, size, err)
			}
			from := (page - 1) * size
			if diff := cmp.Diff(want[from:min(from+size, n)], authIDs(got), cmpEmptyNil); diff != "" {
				t.Errorf("page %d size %d (-want +got):\n%s", page, size, diff)
			}
		}
	}
}

// cmpEmptyNil treats nil and empty slices as equal.
var cmpEmptyNil = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

func testAccountListScopedToPartner(t *testing.T, s Store) {
	p, _ := mustPartner(t, s, "mine")
	other, _ := mustPartner(t, s, "theirs")
	mine := mustAccount(t, s, p.ID, "Shared Name", "mine@scope.example")
	theirs := mustAccount(t, s, other.ID, "Shared Name", "theirs@scope.example")

	for _, tc := range []struct {
		partnerID, search string
		want              []string
	}{
		{p.ID, "", []string{mine.AuthID}},
		{other.ID, "", []string{theirs.AuthID}},
		{p.ID, "shared", []string{mine.AuthID}},
		{p.ID, "sh", []string{mine.AuthID}},
		{p.ID, theirs.AuthID, nil},
		{other.ID, mine.AuthID, nil},
		{"PA_ZZZZZZZZ", "", nil},
	} {
		got, total := mustList(t, s, tc.partnerID, partnerd.AccountFilter{Search: tc.search})
		if total != len(tc.want) {
			t.Errorf("ListAccounts(%s, search %q): total = %d, want %d", tc.partnerID, tc.search, total, len(tc.want))
		}
		if diff := cmp.Diff(tc.want, authIDs(got), cmpEmptyNil); diff != "" {
			t.Errorf("ListAccounts(%s, search %q) (-want +got):\n%s", tc.partnerID, tc.search, diff)
		}
	}
}
