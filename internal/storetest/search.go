package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var searchTests = []test{
	{"Terms", testSearchTerms},
	{"Pages", testSearchPages},
	{"ShortNonASCII", testSearchShortNonASCII},
}

// searchFixture is one partner's customers, chosen so that every search
// term below matches a known subset. The contract: search is a
// case-insensitive substring match on name or email, or an exact auth_id;
// terms of 1–2 characters take a different path (a scan) from longer ones
// (a trigram index on SQLite), so both lengths are tested for each rule.
var searchFixture = []struct{ name, email string }{
	{"Zoë Müller", "zoe@mueller.example"},
	{"Acme Pvt Ltd", "billing@acme.in"},
	{"100% Real_Deal", "percent@deals.example"},
	{`Say "Hi" Ltd`, "quote@hi.example"},
	{"Bob Stone", "bob@stone.io"},
	{"ÜBER Kabel GmbH", "uber@kabel.example"},
	{"Percent Free", "free@deals.example"},
}

// mustSearchFixture creates searchFixture under p and returns the auth_ids
// by name.
func mustSearchFixture(t *testing.T, s Store, partnerID string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, f := range searchFixture {
		ids[f.name] = mustAccount(t, s, partnerID, f.name, f.email).AuthID
	}
	return ids
}

func testSearchTerms(t *testing.T, s Store) {
	p, _ := mustPartner(t, s, "search")
	other, _ := mustPartner(t, s, "lookalike")
	ids := mustSearchFixture(t, s, p.ID)
	// The neighbour has a customer every term below would match; it must
	// never appear.
	mustAccount(t, s, other.ID, `Zoë Müller Acme Pvt Ltd 100% Real_Deal Say "Hi" Bob Stone ÜBER`, "st-zo-ub@other.example")

	bob := ids["Bob Stone"]
	for _, tc := range []struct {
		name, term string
		want       []string // names, in any order; the list is checked newest first
	}{
		{"name, any case", "ACME", []string{"Acme Pvt Ltd"}},
		{"name with a space", "pvt ltd", []string{"Acme Pvt Ltd"}},
		{"several names", "Ltd", []string{"Acme Pvt Ltd", `Say "Hi" Ltd`}},
		{"email", "acme.in", []string{"Acme Pvt Ltd"}},
		{"email, upper case", "BILLING@", []string{"Acme Pvt Ltd"}},
		{"email domain", "@deals.", []string{"100% Real_Deal", "Percent Free"}},
		{"exact auth_id", bob, []string{"Bob Stone"}},
		{"exact auth_id, lower-case prefix", "ma_" + bob[3:], []string{"Bob Stone"}},
		{"exact auth_id, upper case", strings.ToUpper(bob), []string{"Bob Stone"}},
		{"exact auth_id, padded", " " + strings.ToUpper(bob) + " ", []string{"Bob Stone"}},
		{"auth_id prefix is no match", bob[:8], nil},
		{"no match", "nomatch", nil},
		{"two characters, name", "ZO", []string{"Zoë Müller"}},
		{"two characters, name and email", "st", []string{"Bob Stone"}},
		{"two characters, email only", "ub", []string{"ÜBER Kabel GmbH"}},
		{"one character", "Z", []string{"Zoë Müller"}},

		// Non-ASCII letters, matched without case on the trigram path. SQLite's
		// trigram tokenizer folds case with its Unicode tables (not only ASCII).
		{"non-ASCII, upper-case term", "MÜL", []string{"Zoë Müller"}},
		{"non-ASCII, lower-case term", "über", []string{"ÜBER Kabel GmbH"}},
		{"non-ASCII, diacritic kept", "zoë", []string{"Zoë Müller"}},
		{"non-ASCII, diacritic differs", "zoe m", nil},

		// LIKE wildcards and FTS5 syntax are plain characters.
		{"percent", "%", []string{"100% Real_Deal"}},
		{"underscore", "_", []string{"100% Real_Deal"}},
		{"percent, two characters", "0%", []string{"100% Real_Deal"}},
		{"underscore, three characters", "l_d", []string{"100% Real_Deal"}},
		{"percent, three characters", "% r", []string{"100% Real_Deal"}},
		{"backslash", `\%`, nil},
		{"double quote", `"`, []string{`Say "Hi" Ltd`}},
		{"quoted word", `"hi"`, []string{`Say "Hi" Ltd`}},
		{"quote inside", `y "h`, []string{`Say "Hi" Ltd`}},
		{"unbalanced quote", `"Hi`, []string{`Say "Hi" Ltd`}},
		{"FTS operator", "acme OR bob", nil},
		{"FTS prefix", "acm*", nil},
		{"FTS column filter", "name:acme", nil},
		{"FTS NEAR", "NEAR(acme bob)", nil},
	} {
		var want []string
		for i := len(searchFixture) - 1; i >= 0; i-- {
			for _, n := range tc.want {
				if searchFixture[i].name == n {
					want = append(want, ids[n])
				}
			}
		}
		got, total := mustList(t, s, p.ID, partnerd.AccountFilter{Search: tc.term})
		if total != len(want) {
			t.Errorf("%s: search %q: total = %d, want %d", tc.name, tc.term, total, len(want))
		}
		if diff := cmp.Diff(want, authIDs(got), cmpEmptyNil); diff != "" {
			t.Errorf("%s: search %q (-want +got), newest first:\n%s\nwant names %q", tc.name, tc.term, diff, tc.want)
		}
	}
}

func testSearchPages(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "searchpages")
	ids := mustSearchFixture(t, s, p.ID)
	want := []string{ids[`Say "Hi" Ltd`], ids["Acme Pvt Ltd"]}
	for _, term := range []string{"ltd", "lt"} {
		for page := 1; page <= 3; page++ {
			f := partnerd.AccountFilter{Search: term, Page: partnerd.Page{Page: page, Size: 1}}
			got, total, err := s.ListAccounts(ctx, p.ID, f)
			if err != nil {
				t.Fatalf("ListAccounts(%+v): %v", f, err)
			}
			if total != len(want) {
				t.Errorf("search %q page %d: total = %d, want %d", term, page, total, len(want))
			}
			var wantPage []string
			if page <= len(want) {
				wantPage = want[page-1 : page]
			}
			if diff := cmp.Diff(wantPage, authIDs(got), cmpEmptyNil); diff != "" {
				t.Errorf("search %q page %d (-want +got):\n%s", term, page, diff)
			}
		}
	}
}

// testSearchShortNonASCII checks that a 1–2 character term folds the case
// of non-ASCII letters like a longer term does ("üb" finds "ÜBER", as "übe"
// does), although the two take different paths (an index for 3+
// characters, a scan for fewer) that may fold case in different places.
func testSearchShortNonASCII(t *testing.T, s Store) {
	p, _ := mustPartner(t, s, "shortnonascii")
	a := mustAccount(t, s, p.ID, "ÜBER Kabel GmbH", "kabel@uber.example")
	mustAccount(t, s, p.ID, "Other", "other@shortnonascii.example")
	for _, term := range []string{"übe", "ÜBE", "üb", "ÜB", "Ü", "ü"} {
		got, total := mustList(t, s, p.ID, partnerd.AccountFilter{Search: term})
		if total != 1 || len(got) != 1 || got[0].AuthID != a.AuthID {
			t.Errorf("search %q: total %d, rows %q; want only %s (ÜBER Kabel GmbH)", term, total, authIDs(got), a.AuthID)
		}
	}
}
