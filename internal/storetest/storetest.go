package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/partnerd/partnerd"
)

// Store is what a backend must implement to be tested here.
type Store interface {
	partnerd.PartnerService
	partnerd.AccountService
}

// Run runs the whole suite. open is called once per subtest, possibly from
// parallel subtests at the same time, and must return a new, empty store
// whose cleanup it registers with t.
func Run(t *testing.T, open func(t *testing.T) Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Partner", partnerTests},
		{"Account", accountTests},
		{"Search", searchTests},
		{"Balance", balanceTests},
		{"Rate", rateTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					// Account creation hashes a password with argon2id, which
					// is slow on purpose; parallel subtests keep every core busy.
					t.Parallel()
					tc.fn(t, open(t))
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	fn   func(t *testing.T, s Store)
}

// mustPartner creates a partner with the given name and a matching email.
func mustPartner(t *testing.T, s Store, name string) (*partnerd.Partner, string) {
	t.Helper()
	p, token, err := s.CreatePartner(context.Background(), partnerd.PartnerInput{
		Name: name, Email: fmt.Sprintf("ops@%s.example", name),
	})
	if err != nil {
		t.Fatalf("CreatePartner(%q): %v", name, err)
	}
	return p, token
}

// accountInput returns a valid input with the given name and email and
// everything else taken from the published example.
func accountInput(name, email string) partnerd.AccountInput {
	return partnerd.AccountInput{
		Name: name, Email: email, Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	}
}

// mustAccount creates an account with the given name and email.
func mustAccount(t *testing.T, s Store, partnerID, name, email string) *partnerd.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), partnerID, accountInput(name, email))
	if err != nil {
		t.Fatalf("CreateAccount(%q, %q): %v", name, email, err)
	}
	return a
}

// mustList lists one page of accounts.
func mustList(t *testing.T, s Store, partnerID string, f partnerd.AccountFilter) ([]*partnerd.Account, int) {
	t.Helper()
	if f.Page == (partnerd.Page{}) {
		f.Page = partnerd.Page{Page: 1, Size: 100}
	}
	got, total, err := s.ListAccounts(context.Background(), partnerID, f)
	if err != nil {
		t.Fatalf("ListAccounts(%+v): %v", f, err)
	}
	if got == nil {
		// The HTTP layer renders it either way, but a nil page is a sign
		// of a path that skipped the query.
		t.Errorf("ListAccounts(%+v) returned a nil slice, want an empty one", f)
	}
	return got, total
}

// authIDs returns the auth_ids of accounts, in order.
func authIDs(accounts []*partnerd.Account) []string {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.AuthID
	}
	return ids
}

// wantCode fails the test unless err carries the error code want.
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %s", what, want)
		return
	}
	if got := partnerd.ErrorCode(err); got != want {
		t.Errorf("%s: error code %s (%v), want %s", what, got, err, want)
	}
}
