package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

// SIPStore is what a backend must implement for the SIP suite: the
// services plus switch tokens and SIP endpoints.
type SIPStore interface {
	Store
	partnerd.SwitchTokenService
	partnerd.SIPService
}

// SetStatus changes a customer's status as the account lifecycle will
// (suspend, close), for the suite to check what the switch then sees.
type SetStatus func(t *testing.T, s SIPStore, authID, status string)

// RunSIP runs the switch token and SIP endpoint suite; open must return a
// new, empty store per call.
func RunSIP(t *testing.T, open func(t *testing.T) SIPStore, setStatus SetStatus) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s SIPStore, setStatus SetStatus)
	}{
		{"SwitchTokens", testSwitchTokens},
		{"SwitchTokenValidates", testSwitchTokenValidates},
		{"EndpointCreateAndRead", testSIPEndpointCreateAndRead},
		{"EndpointValidates", testSIPEndpointValidates},
		{"UsernameTaken", testSIPUsernameTaken},
		{"ScopedToPartner", testSIPScopedToPartner},
		{"ListPages", testSIPListPages},
		{"Credential", testSIPCredential},
		{"CredentialRefused", testSIPCredentialRefused},
		{"CredentialConcurrent", testSIPCredentialConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t), setStatus)
		})
	}
}

const sipRealm = "sip.example.net"

// mustSIPEndpoint creates an endpoint with the published example password.
func mustSIPEndpoint(t *testing.T, s SIPStore, partnerID, authID, username string) *partnerd.SIPEndpoint {
	t.Helper()
	e, err := s.CreateSIPEndpoint(context.Background(), partnerID, authID, sipRealm,
		partnerd.SIPEndpointInput{Username: username, Password: "SecurePass@123"})
	if err != nil {
		t.Fatalf("CreateSIPEndpoint(%q): %v", username, err)
	}
	return e
}

// digest computes the expected hashes independently of the code under test.
func digest(username, realm, password string) (string, string) {
	m := md5.Sum([]byte(username + ":" + realm + ":" + password))
	h := sha256.Sum256([]byte(username + ":" + realm + ":" + password))
	return hex.EncodeToString(m[:]), hex.EncodeToString(h[:])
}

func testSwitchTokens(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	before := time.Now()
	name := "kamailio-1"
	st, token, err := s.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{Name: &name})
	if err != nil {
		t.Fatalf("CreateSwitchToken: %v", err)
	}
	if !partnerd.IsSwitchTokenID(st.ID) {
		t.Errorf("ID = %q, want ST_ and 8 upper-case alphanumerics", st.ID)
	}
	if !strings.HasPrefix(token, "sk_live_") || len(token) < len("sk_live_")+32 {
		t.Errorf("token = %q, want sk_live_ and at least 32 characters", token)
	}
	checkTimestamp(t, "CreatedAt", st.CreatedAt, before)
	second, token2, err := s.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{})
	if err != nil {
		t.Fatalf("CreateSwitchToken without name: %v", err)
	}
	if second.Name != nil || token2 == token || second.ID == st.ID {
		t.Errorf("second token: name %v, same token %v, same id %v; want nil, false, false", second.Name, token2 == token, second.ID == st.ID)
	}

	// Found by the hash of the token, and only by it.
	c, err := s.SwitchCredential(ctx, secret.HashToken(token))
	if err != nil {
		t.Fatalf("SwitchCredential: %v", err)
	}
	if diff := cmp.Diff(*st, c.Token); diff != "" || !bytes.Equal(c.TokenHash, secret.HashToken(token)) {
		t.Errorf("SwitchCredential (-want +got):\n%s", diff)
	}
	_, err = s.SwitchCredential(ctx, secret.HashToken(token+"x"))
	wantCode(t, "SwitchCredential(unknown token)", err, partnerd.ECNotFound)

	list, err := s.ListSwitchTokens(ctx)
	if err != nil {
		t.Fatalf("ListSwitchTokens: %v", err)
	}
	if diff := cmp.Diff([]*partnerd.SwitchToken{st, second}, list); diff != "" {
		t.Errorf("ListSwitchTokens, oldest first (-want +got):\n%s", diff)
	}

	revoked, err := s.RevokeSwitchToken(ctx, st.ID)
	if err != nil {
		t.Fatalf("RevokeSwitchToken: %v", err)
	}
	if revoked.RevokedAt == nil {
		t.Fatalf("RevokeSwitchToken returned RevokedAt nil")
	}
	checkTimestamp(t, "RevokedAt", *revoked.RevokedAt, before)
	c, err = s.SwitchCredential(ctx, secret.HashToken(token))
	if err != nil || c.Token.RevokedAt == nil || !c.Token.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("SwitchCredential after revoke = %+v, %v; want the token with RevokedAt %v", c, err, revoked.RevokedAt)
	}
	again, err := s.RevokeSwitchToken(ctx, st.ID)
	if err != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("revoking twice = %+v, %v; want the first RevokedAt kept", again, err)
	}
	_, err = s.RevokeSwitchToken(ctx, "ST_NOSUCH00")
	wantCode(t, "RevokeSwitchToken(unknown)", err, partnerd.ECNotFound)
	// The other token still works.
	if c, err := s.SwitchCredential(ctx, secret.HashToken(token2)); err != nil || c.Token.RevokedAt != nil {
		t.Errorf("the other token after a revoke: %+v, %v; want it unrevoked", c, err)
	}
}

func testSwitchTokenValidates(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	for _, name := range []string{"two\nlines", strings.Repeat("n", 101)} {
		_, _, err := s.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{Name: &name})
		wantCode(t, fmt.Sprintf("CreateSwitchToken(%q)", name), err, partnerd.ECValidation)
	}
	list, err := s.ListSwitchTokens(ctx)
	if err != nil || len(list) != 0 {
		t.Errorf("after refused creations: %d tokens, %v; want none", len(list), err)
	}
}

func testSIPEndpointCreateAndRead(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipread")
	a := mustAccount(t, s, p.ID, "Phones", "phones@sipread.example")
	before := time.Now()
	alias := "Front desk"
	e, err := s.CreateSIPEndpoint(ctx, p.ID, a.AuthID, sipRealm,
		partnerd.SIPEndpointInput{Username: "desk.100", Password: "SecurePass@123", Alias: &alias})
	if err != nil {
		t.Fatalf("CreateSIPEndpoint: %v", err)
	}
	if !partnerd.IsSIPEndpointID(e.ID) {
		t.Errorf("ID = %q, want EP_ and 8 upper-case alphanumerics", e.ID)
	}
	checkTimestamp(t, "CreatedAt", e.CreatedAt, before)
	want := &partnerd.SIPEndpoint{ID: e.ID, AccountID: a.AuthID, Username: "desk.100", Alias: &alias,
		Realm: sipRealm, Status: partnerd.SIPEndpointActive, CreatedAt: e.CreatedAt}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("CreateSIPEndpoint (-want +got):\n%s", diff)
	}
	got, err := s.SIPEndpoint(ctx, p.ID, a.AuthID, e.ID)
	if err != nil {
		t.Fatalf("SIPEndpoint: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SIPEndpoint (-want +got):\n%s", diff)
	}
	// A blank alias is no alias.
	blank := "  "
	e2, err := s.CreateSIPEndpoint(ctx, p.ID, a.AuthID, sipRealm, partnerd.SIPEndpointInput{Username: "desk-101", Password: "SecurePass@123", Alias: &blank})
	if err != nil || e2.Alias != nil {
		t.Fatalf("CreateSIPEndpoint(blank alias) = %+v, %v; want alias nil", e2, err)
	}
	list, total, err := s.ListSIPEndpoints(ctx, p.ID, a.AuthID, partnerd.Page{Page: 1, Size: 20})
	if err != nil {
		t.Fatalf("ListSIPEndpoints: %v", err)
	}
	if diff := cmp.Diff([]*partnerd.SIPEndpoint{e2, want}, list); diff != "" || total != 2 {
		t.Errorf("ListSIPEndpoints newest first, total %d (want 2) (-want +got):\n%s", total, diff)
	}

	// Deleting: gone from reads, a second delete is not_found.
	if err := s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, e.ID); err != nil {
		t.Fatalf("DeleteSIPEndpoint: %v", err)
	}
	_, err = s.SIPEndpoint(ctx, p.ID, a.AuthID, e.ID)
	wantCode(t, "SIPEndpoint after delete", err, partnerd.ECNotFound)
	wantCode(t, "DeleteSIPEndpoint twice", s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, e.ID), partnerd.ECNotFound)
	if _, total, _ := s.ListSIPEndpoints(ctx, p.ID, a.AuthID, partnerd.Page{Page: 1, Size: 20}); total != 1 {
		t.Errorf("total after delete = %d, want 1", total)
	}
}

func testSIPEndpointValidates(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipvalid")
	a := mustAccount(t, s, p.ID, "Valid", "valid@sipvalid.example")
	long := strings.Repeat("a", 101)
	cases := []struct {
		in   partnerd.SIPEndpointInput
		want []string // field:code
	}{
		{partnerd.SIPEndpointInput{}, []string{"username:required", "password:required"}},
		{partnerd.SIPEndpointInput{Username: "ab", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{partnerd.SIPEndpointInput{Username: strings.Repeat("a", 65), Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{partnerd.SIPEndpointInput{Username: "Desk100", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{partnerd.SIPEndpointInput{Username: "desk@100", Password: "weakpass"}, []string{"username:invalid_format", "password:too_weak"}},
		{partnerd.SIPEndpointInput{Username: "desk100", Password: "SecurePass@123", Alias: &long}, []string{"alias:too_long"}},
	}
	for _, c := range cases {
		_, err := s.CreateSIPEndpoint(ctx, p.ID, a.AuthID, sipRealm, c.in)
		wantCode(t, fmt.Sprintf("CreateSIPEndpoint(%q)", c.in.Username), err, partnerd.ECValidation)
		var e *partnerd.Error
		if errors.As(err, &e) {
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field+":"+f.Code)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("CreateSIPEndpoint(%q) fields (-want +got):\n%s", c.in.Username, diff)
			}
		}
	}
	// The exact bounds are accepted.
	mustSIPEndpoint(t, s, p.ID, a.AuthID, "a.b")
	mustSIPEndpoint(t, s, p.ID, a.AuthID, strings.Repeat("z", 64))
	e := mustSIPEndpoint(t, s, p.ID, a.AuthID, "x_y-z.0")
	_, err := s.SetSIPPassword(ctx, p.ID, a.AuthID, e.ID, sipRealm, partnerd.SIPPasswordInput{Password: "short1!"})
	wantCode(t, "SetSIPPassword(weak)", err, partnerd.ECValidation)
}

func testSIPUsernameTaken(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "siptaken")
	q, _ := mustPartner(t, s, "siptaken2")
	a := mustAccount(t, s, p.ID, "A", "a@siptaken.example")
	b := mustAccount(t, s, q.ID, "B", "b@siptaken2.example")
	e := mustSIPEndpoint(t, s, p.ID, a.AuthID, "shared")
	// Unique server-wide: the same customer, and another partner's.
	_, err := s.CreateSIPEndpoint(ctx, p.ID, a.AuthID, sipRealm, partnerd.SIPEndpointInput{Username: "shared", Password: "SecurePass@123"})
	wantCode(t, "same username, same customer", err, partnerd.ECUsernameTaken)
	_, err = s.CreateSIPEndpoint(ctx, q.ID, b.AuthID, sipRealm, partnerd.SIPEndpointInput{Username: "shared", Password: "SecurePass@123"})
	wantCode(t, "same username, another partner", err, partnerd.ECUsernameTaken)
	// Deleting frees the name.
	if err := s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, e.ID); err != nil {
		t.Fatal(err)
	}
	mustSIPEndpoint(t, s, q.ID, b.AuthID, "shared")
}

func testSIPScopedToPartner(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipowner")
	q, _ := mustPartner(t, s, "sipother")
	a := mustAccount(t, s, p.ID, "Mine", "mine@sipowner.example")
	a2 := mustAccount(t, s, p.ID, "Mine too", "mine2@sipowner.example")
	e := mustSIPEndpoint(t, s, p.ID, a.AuthID, "scoped")
	pw := partnerd.SIPPasswordInput{Password: "N3w-secret!"}
	// Another partner: the customer does not exist for it.
	_, err := s.CreateSIPEndpoint(ctx, q.ID, a.AuthID, sipRealm, partnerd.SIPEndpointInput{Username: "intruder", Password: "SecurePass@123"})
	wantCode(t, "create under another partner's customer", err, partnerd.ECAccountNotFound)
	_, _, err = s.ListSIPEndpoints(ctx, q.ID, a.AuthID, partnerd.Page{Page: 1, Size: 20})
	wantCode(t, "list another partner's customer", err, partnerd.ECAccountNotFound)
	_, err = s.SIPEndpoint(ctx, q.ID, a.AuthID, e.ID)
	wantCode(t, "get under another partner", err, partnerd.ECAccountNotFound)
	wantCode(t, "delete under another partner", s.DeleteSIPEndpoint(ctx, q.ID, a.AuthID, e.ID), partnerd.ECAccountNotFound)
	_, err = s.SetSIPPassword(ctx, q.ID, a.AuthID, e.ID, sipRealm, pw)
	wantCode(t, "password under another partner", err, partnerd.ECAccountNotFound)
	_, _, err = s.ListSIPEndpoints(ctx, p.ID, "MA_00000000", partnerd.Page{Page: 1, Size: 20})
	wantCode(t, "list unknown customer", err, partnerd.ECAccountNotFound)
	// The partner's other customer: the endpoint is not its.
	_, err = s.SIPEndpoint(ctx, p.ID, a2.AuthID, e.ID)
	wantCode(t, "get through another customer", err, partnerd.ECNotFound)
	wantCode(t, "delete through another customer", s.DeleteSIPEndpoint(ctx, p.ID, a2.AuthID, e.ID), partnerd.ECNotFound)
	_, err = s.SetSIPPassword(ctx, p.ID, a2.AuthID, e.ID, sipRealm, pw)
	wantCode(t, "password through another customer", err, partnerd.ECNotFound)
	// Still there, untouched.
	if got, err := s.SIPEndpoint(ctx, p.ID, a.AuthID, e.ID); err != nil || got.ID != e.ID {
		t.Errorf("SIPEndpoint after refused changes = %+v, %v", got, err)
	}
	c, err := s.SIPCredential(ctx, "scoped")
	if want, _ := digest("scoped", sipRealm, "SecurePass@123"); err != nil || c.HA1 != want {
		t.Errorf("credential after refused password changes = %+v, %v; want the first password's HA1", c, err)
	}
}

func testSIPListPages(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sippages")
	a := mustAccount(t, s, p.ID, "Pages", "pages@sippages.example")
	var ids []string
	for i := range 5 {
		ids = append(ids, mustSIPEndpoint(t, s, p.ID, a.AuthID, fmt.Sprintf("page%d", i)).ID)
	}
	// Newest first, across pages of 2, with a page past the end empty.
	want := [][]string{{ids[4], ids[3]}, {ids[2], ids[1]}, {ids[0]}, {}}
	for i, w := range want {
		list, total, err := s.ListSIPEndpoints(ctx, p.ID, a.AuthID, partnerd.Page{Page: i + 1, Size: 2})
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		got := []string{}
		for _, e := range list {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(w, got); diff != "" || total != 5 {
			t.Errorf("page %d: total %d (want 5) (-want +got):\n%s", i+1, total, diff)
		}
	}
	// A customer without endpoints lists none.
	b := mustAccount(t, s, p.ID, "Empty", "empty@sippages.example")
	list, total, err := s.ListSIPEndpoints(ctx, p.ID, b.AuthID, partnerd.Page{Page: 1, Size: 20})
	if err != nil || total != 0 || list == nil || len(list) != 0 {
		t.Errorf("empty customer: %v, %d, %v; want an empty page", list, total, err)
	}
}

func testSIPCredential(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipcred")
	a := mustAccount(t, s, p.ID, "Cred", "cred@sipcred.example")
	e := mustSIPEndpoint(t, s, p.ID, a.AuthID, "alice")
	ha1, ha1SHA := digest("alice", sipRealm, "SecurePass@123")
	want := &partnerd.SIPCredential{Username: "alice", Realm: sipRealm, HA1: ha1, HA1SHA256: ha1SHA, AccountAuthID: a.AuthID, EndpointID: e.ID}
	got, err := s.SIPCredential(ctx, "alice")
	if err != nil {
		t.Fatalf("SIPCredential: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SIPCredential (-want +got):\n%s", diff)
	}
	// A new password, in another realm: new hashes, same endpoint.
	changed, err := s.SetSIPPassword(ctx, p.ID, a.AuthID, e.ID, "other.example", partnerd.SIPPasswordInput{Password: "N3w-secret!"})
	if err != nil {
		t.Fatalf("SetSIPPassword: %v", err)
	}
	if changed.ID != e.ID || changed.Realm != "other.example" || !changed.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("SetSIPPassword returned %+v, want the endpoint in realm other.example", changed)
	}
	want.Realm = "other.example"
	want.HA1, want.HA1SHA256 = digest("alice", "other.example", "N3w-secret!")
	if got, err := s.SIPCredential(ctx, "alice"); err != nil || cmp.Diff(want, got) != "" {
		t.Errorf("SIPCredential after the password change = %+v, %v; want %+v", got, err, want)
	}
	// Deleted: no credential at once.
	if err := s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, e.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.SIPCredential(ctx, "alice")
	wantCode(t, "SIPCredential after delete", err, partnerd.ECNotFound)
	_, err = s.SIPCredential(ctx, "nobody")
	wantCode(t, "SIPCredential(unknown)", err, partnerd.ECNotFound)
}

func testSIPCredentialRefused(t *testing.T, s SIPStore, setStatus SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipstatus")
	a := mustAccount(t, s, p.ID, "Status", "status@sipstatus.example")
	e := mustSIPEndpoint(t, s, p.ID, a.AuthID, "bob")
	for _, status := range []string{partnerd.StatusSuspended, partnerd.StatusClosed} {
		setStatus(t, s, a.AuthID, status)
		_, err := s.SIPCredential(ctx, "bob")
		wantCode(t, "SIPCredential of a "+status+" account", err, partnerd.ECNotFound)
	}
	// A closed account takes no new endpoint, no new password and no
	// deletion (API.md §6: every change is account_closed), but its
	// endpoints stay readable.
	_, err := s.CreateSIPEndpoint(ctx, p.ID, a.AuthID, sipRealm, partnerd.SIPEndpointInput{Username: "bob2", Password: "SecurePass@123"})
	wantCode(t, "CreateSIPEndpoint on a closed account", err, partnerd.ECAccountClosed)
	_, err = s.SetSIPPassword(ctx, p.ID, a.AuthID, e.ID, sipRealm, partnerd.SIPPasswordInput{Password: "N3w-secret!"})
	wantCode(t, "SetSIPPassword on a closed account", err, partnerd.ECAccountClosed)
	wantCode(t, "DeleteSIPEndpoint on a closed account", s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, e.ID), partnerd.ECAccountClosed)
	if _, err := s.SIPEndpoint(ctx, p.ID, a.AuthID, e.ID); err != nil {
		t.Errorf("SIPEndpoint of a closed account: %v", err)
	}
	// Active again: it authenticates again.
	setStatus(t, s, a.AuthID, partnerd.StatusActive)
	if _, err := s.SIPCredential(ctx, "bob"); err != nil {
		t.Errorf("SIPCredential after reactivation: %v", err)
	}
}

// testSIPCredentialConcurrent looks up many usernames at once (a store may
// share queries between concurrent lookups): each gets its own answer,
// and an unknown one among them not_found.
func testSIPCredentialConcurrent(t *testing.T, s SIPStore, _ SetStatus) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "sipmany")
	a := mustAccount(t, s, p.ID, "Many", "many@sipmany.example")
	const n = 24
	ids := make([]string, n)
	for i := range n {
		ids[i] = mustSIPEndpoint(t, s, p.ID, a.AuthID, fmt.Sprintf("many%02d", i)).ID
	}
	var wg sync.WaitGroup
	for round := range 4 {
		for i := range n + 1 {
			wg.Go(func() {
				name := fmt.Sprintf("many%02d", i)
				c, err := s.SIPCredential(ctx, name)
				if i == n {
					if partnerd.ErrorCode(err) != partnerd.ECNotFound {
						t.Errorf("round %d: SIPCredential(%s) = %+v, %v; want not_found", round, name, c, err)
					}
					return
				}
				ha1, _ := digest(name, sipRealm, "SecurePass@123")
				if err != nil || c.Username != name || c.EndpointID != ids[i] || c.HA1 != ha1 {
					t.Errorf("round %d: SIPCredential(%s) = %+v, %v; want endpoint %s", round, name, c, err, ids[i])
				}
			})
		}
	}
	wg.Wait()
}
