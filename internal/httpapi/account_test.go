package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// fixedClock returns a clock stopped at 2026-03-25T10:00:00.987654321Z,
// given in India's zone so the API must convert it to UTC and drop the
// fraction.
func fixedClock() func() time.Time {
	ist := time.FixedZone("IST", 5*3600+1800)
	t := time.Date(2026, 3, 25, 15, 30, 0, 987654321, ist)
	return func() time.Time { return t }
}

func TestAccountCreateSeed(t *testing.T) {
	t.Parallel()
	e := frozenEnv(t)
	p := e.mustPartner(t, "Acme Telecom")

	r := e.post(t, base+"/accounts", p, seedCreateBody)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /accounts with the published body = %d, want 201; body: %s", r.status, r.raw)
	}
	wantKeys := []string{"auth_id", "auth_token", "balance", "country", "created_at", "currency", "email", "name", "status", "timezone"}
	if diff := cmp.Diff(wantKeys, keys(r.body)); diff != "" {
		t.Errorf("201 body keys mismatch (-want +got):\n%s", diff)
	}
	authID, token := str(r.body["auth_id"]), str(r.body["auth_token"])
	if !reAuthID.MatchString(authID) {
		t.Errorf("auth_id = %q, want MA_ and 8 lower-case hex digits", authID)
	}
	if !reToken.MatchString(token) {
		t.Errorf("auth_token = %q, want sk_live_ and at least 32 base62 characters", token)
	}
	want := map[string]any{
		"name": "Credresolve", "email": "admin@credresolve.com", "status": "active",
		"balance": json.Number("0.00"), "currency": "INR", "country": "IN", "timezone": "Asia/Kolkata",
		"created_at": "2026-03-25T10:00:00Z",
	}
	if diff := cmp.Diff(want, withoutKeys(r.body, "auth_id", "auth_token")); diff != "" {
		t.Errorf("201 body mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.raw, `"balance":0.00`) {
		t.Errorf("201 body %s does not write balance as 0.00", r.raw)
	}
	if strings.Contains(r.raw, seedPassword) {
		t.Errorf("201 body contains the password: %s", r.raw)
	}

	// The full profile: the published fields, auth_token again, and every
	// other stored field.
	g := e.get(t, base+"/accounts/"+authID, p)
	if g.status != http.StatusOK {
		t.Fatalf("GET /accounts/%s = %d, want 200; body: %s", authID, g.status, g.raw)
	}
	wantProfile := map[string]any{
		"auth_id": authID, "auth_token": token, "name": "Credresolve", "email": "admin@credresolve.com",
		"phone": "9431538535", "company": "Credresolve Private Limited", "status": "active", "status_reason": nil,
		"balance": json.Number("0.00"), "currency": "INR", "gstin": "29AAPFU0939F1ZV", "gst_status": "active",
		"country": "IN", "timezone": "Asia/Kolkata", "created_at": "2026-03-25T10:00:00Z",
		"description": "Outbound collections calling team", "address": "123 Brigade Road", "city": "Bangalore",
		"state": "Karnataka", "zip_code": "560001", "account_type": "standard", "updated_at": "2026-03-25T10:00:00Z",
		"low_balance_threshold": json.Number("100.00"),
	}
	if diff := cmp.Diff(wantProfile, g.body); diff != "" {
		t.Errorf("profile mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(g.raw, `"balance":0.00`) {
		t.Errorf("profile %s does not write balance as 0.00", g.raw)
	}
	if strings.Contains(g.raw, seedPassword) || strings.Contains(g.raw, "argon2") {
		t.Errorf("profile reveals the password or its hash: %s", g.raw)
	}

	b := e.get(t, base+"/accounts/"+authID+"/balance", p)
	if b.status != http.StatusOK {
		t.Fatalf("GET /accounts/%s/balance = %d, want 200; body: %s", authID, b.status, b.raw)
	}
	wantBalance := map[string]any{
		"auth_id": authID, "name": "Credresolve", "balance": json.Number("0.00"), "currency": "INR",
		"last_updated": "2026-03-25T10:00:00Z", "reserved": json.Number("0.00"), "available": json.Number("0.00"),
	}
	if diff := cmp.Diff(wantBalance, b.body); diff != "" {
		t.Errorf("balance mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(b.raw, `"balance":0.00`) {
		t.Errorf("balance body %s does not write balance as 0.00", b.raw)
	}
}

func TestAccountProfileNulls(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	a := e.mustCreateAccount(t, p, validAccount("Minimal", "minimal@example.com"))

	g := e.get(t, base+"/accounts/"+str(a["auth_id"]), p)
	if g.status != http.StatusOK {
		t.Fatalf("GET profile = %d, want 200; body: %s", g.status, g.raw)
	}
	for _, k := range []string{"description", "company", "address", "city", "state", "zip_code", "gstin", "gst_status"} {
		v, ok := g.body[k]
		if !ok || v != nil {
			t.Errorf("profile[%q] = %v (present %v), want null", k, v, ok)
		}
	}
	if got, want := str(g.body["timezone"]), "UTC"; got != want {
		t.Errorf("default timezone = %q, want %q", got, want)
	}
	if got, want := str(g.body["account_type"]), "standard"; got != want {
		t.Errorf("default account_type = %q, want %q", got, want)
	}
	if got, want := str(g.body["auth_token"]), str(a["auth_token"]); got != want {
		t.Errorf("profile auth_token = %q, want the one from create %q", got, want)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if !reTime.MatchString(str(g.body[k])) {
			t.Errorf("profile %s = %q, want RFC 3339 UTC with seconds and Z", k, g.body[k])
		}
	}
	if !reTime.MatchString(str(a["created_at"])) {
		t.Errorf("created_at = %q, want RFC 3339 UTC with seconds and Z", a["created_at"])
	}
}

func TestAccountCreateNormalizes(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	body := seedAccount(t, "  Mixed.Case@Example.COM ")
	body["name"] = "  Padded Name  "
	body["country"] = "in"
	body["phone"] = "+919431538535"
	body["gstin"] = "29aapfu0939f1zv"
	body["account_type"] = "premium"
	a := e.mustCreateAccount(t, p, body)

	g := e.get(t, base+"/accounts/"+str(a["auth_id"]), p)
	got := map[string]any{
		"name": g.body["name"], "email": g.body["email"], "country": g.body["country"], "phone": g.body["phone"],
		"gstin": g.body["gstin"], "account_type": g.body["account_type"],
	}
	want := map[string]any{
		"name": "Padded Name", "email": "mixed.case@example.com", "country": "IN", "phone": "+919431538535",
		"gstin": "29AAPFU0939F1ZV", "account_type": "premium",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalized profile mismatch (-want +got):\n%s", diff)
	}
}

// TestAccountCurrencies checks that money is written with the currency's
// own decimals: two for USD, none for JPY.
func TestAccountCurrencies(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	tests := []struct {
		currency    string // as given to the operator command
		want        string // as the API writes it
		wantBalance string
	}{
		{"usd", "USD", `"balance":0.00`},
		{"JPY", "JPY", `"balance":0,`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			p := e.mustPartnerWith(t, partnerd.PartnerInput{Name: "P " + tt.want, Email: tt.want + "@partner.example", Currency: tt.currency})
			a := e.post(t, base+"/accounts", p, validAccount("C", tt.want+"@customer.example"))
			if a.status != http.StatusCreated {
				t.Fatalf("POST /accounts = %d, want 201; body: %s", a.status, a.raw)
			}
			id := str(a.body["auth_id"])
			for _, r := range []reply{a, e.get(t, base+"/accounts/"+id, p), e.get(t, base+"/accounts/"+id+"/balance", p),
				e.get(t, base+"/me", p)} {
				if got := str(r.body["currency"]); got != tt.want {
					t.Errorf("currency = %q, want %q in %s", got, tt.want, r.raw)
				}
				if !strings.Contains(r.raw, tt.wantBalance) {
					t.Errorf("body %s does not contain %s", r.raw, tt.wantBalance)
				}
			}
		})
	}
}

// meta is the "meta" object of a list, for cmp.
type meta struct{ Total, Page, Size, PerPage, TotalPages string }

func metaOf(t *testing.T, r reply) meta {
	t.Helper()
	m, ok := r.body["meta"].(map[string]any)
	if !ok {
		t.Fatalf("list body has no meta object: %s", r.raw)
	}
	if diff := cmp.Diff([]string{"page", "per_page", "size", "total", "total_pages"}, keys(m)); diff != "" {
		t.Errorf("meta keys mismatch (-want +got):\n%s", diff)
	}
	return meta{num(m["total"]), num(m["page"]), num(m["size"]), num(m["per_page"]), num(m["total_pages"])}
}

func TestAccountListPagination(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	created := e.mustCreateAccounts(t, p, 47,
		func(i int) string { return fmt.Sprintf("Customer %02d", i) },
		func(i int) string { return fmt.Sprintf("customer%02d@example.com", i) })

	// The whole list in one page is the reference order.
	all := e.get(t, base+"/accounts?size=100", p)
	if all.status != http.StatusOK {
		t.Fatalf("GET /accounts?size=100 = %d; body: %s", all.status, all.raw)
	}
	if diff := cmp.Diff(meta{"47", "1", "100", "100", "1"}, metaOf(t, all)); diff != "" {
		t.Errorf("size=100 meta mismatch (-want +got):\n%s", diff)
	}
	allRows := data(t, all)
	order := authIDs(allRows)
	if diff := cmp.Diff(slices.Sorted(slices.Values(created)), slices.Sorted(slices.Values(order))); diff != "" {
		t.Errorf("listed accounts differ from created ones (-want +got):\n%s", diff)
	}
	// Concurrent creates commit in an order the test cannot know; the
	// order itself is checked by TestAccountListNewestFirst.

	tests := []struct {
		query    string
		wantMeta meta
		wantIDs  []string
	}{
		{"", meta{"47", "1", "20", "20", "3"}, order[0:20]},
		{"?page=1&size=20", meta{"47", "1", "20", "20", "3"}, order[0:20]},
		{"?page=2&size=20", meta{"47", "2", "20", "20", "3"}, order[20:40]},
		{"?page=3&size=20", meta{"47", "3", "20", "20", "3"}, order[40:47]},
		{"?page=4&size=20", meta{"47", "4", "20", "20", "3"}, []string{}},
		{"?page=1000&size=20", meta{"47", "1000", "20", "20", "3"}, []string{}},
		{"?page=2&per_page=20", meta{"47", "2", "20", "20", "3"}, order[20:40]},
		{"?page=3&per_page=7", meta{"47", "3", "7", "7", "7"}, order[14:21]},
		{"?page=2&size=10&per_page=10", meta{"47", "2", "10", "10", "5"}, order[10:20]},
		{"?size=1&page=47", meta{"47", "47", "1", "1", "47"}, order[46:47]},
		{"?size=1&page=48", meta{"47", "48", "1", "1", "47"}, []string{}},
		{"?size=47", meta{"47", "1", "47", "47", "1"}, order},
		{"?size=46&page=2", meta{"47", "2", "46", "46", "2"}, order[46:47]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.get(t, base+"/accounts"+tt.query, p)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", r.status, r.raw)
			}
			if diff := cmp.Diff(tt.wantMeta, metaOf(t, r)); diff != "" {
				t.Errorf("meta mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIDs, authIDs(data(t, r))); diff != "" {
				t.Errorf("page rows mismatch (-want +got):\n%s", diff)
			}
			if len(tt.wantIDs) == 0 && !strings.Contains(r.raw, `"data":[]`) {
				t.Errorf("empty page %s does not write data as []", r.raw)
			}
		})
	}

	// Pages 1–3 of 20 cover every account exactly once.
	seen := map[string]int{}
	for page := 1; page <= 4; page++ {
		r := e.get(t, fmt.Sprintf("%s/accounts?page=%d&size=20", base, page), p)
		for _, id := range authIDs(data(t, r)) {
			seen[id]++
		}
	}
	for _, id := range created {
		if seen[id] != 1 {
			t.Errorf("account %s appears on %d pages, want exactly 1", id, seen[id])
		}
	}

	// Row shape: exactly the published keys.
	first := e.get(t, base+"/accounts?size=1", p)
	rows := data(t, first)
	if len(rows) != 1 {
		t.Fatalf("size=1 returned %d rows", len(rows))
	}
	wantKeys := []string{"auth_id", "balance", "created_at", "currency", "email", "name", "status"}
	if diff := cmp.Diff(wantKeys, keys(rows[0])); diff != "" {
		t.Errorf("row keys mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(first.raw, `"balance":0.00`) {
		t.Errorf("row %s does not write balance as 0.00", first.raw)
	}
	if !reTime.MatchString(str(rows[0]["created_at"])) {
		t.Errorf("row created_at = %q, want RFC 3339 UTC with seconds and Z", rows[0]["created_at"])
	}
	if got := num(rows[0]["balance"]); got != "0.00" {
		t.Errorf("row balance = %q, want 0.00", got)
	}
}

func TestAccountListBadPaging(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	tests := []struct {
		query     string
		wantField string
	}{
		{"size=0", "size"},
		{"size=101", "size"},
		{"size=-1", "size"},
		{"size=abc", "size"},
		{"size=1.5", "size"},
		{"size=99999999999999999999999", "size"},
		{"page=0", "page"},
		{"page=-1", "page"},
		{"page=abc", "page"},
		{"page=1e3", "page"},
		{"page=99999999999999999999999", "page"},
		{"per_page=0", "per_page"},
		{"per_page=101", "per_page"},
		{"per_page=x", "per_page"},
		{"size=10&per_page=20", "per_page"},
		{"search=" + strings.Repeat("a", 255), "search"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.get(t, base+"/accounts?"+tt.query, p)
			wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
			fields := fieldCodes(t, r)
			if len(fields) != 1 || fields[0].Field != tt.wantField {
				t.Errorf("fields = %v, want one entry for %q", fields, tt.wantField)
			}
		})
	}

	// Every bad parameter is reported at once.
	r := e.get(t, base+"/accounts?page=0&size=0", p)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	var got []string
	for _, f := range fieldCodes(t, r) {
		got = append(got, f.Field)
	}
	if diff := cmp.Diff([]string{"page", "size"}, got); diff != "" {
		t.Errorf("fields of page=0&size=0 mismatch (-want +got):\n%s", diff)
	}
}

func TestAccountListEmpty(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	for _, tt := range []struct {
		query string
		want  meta
	}{
		{"", meta{"0", "1", "20", "20", "0"}},
		{"?page=2&size=5", meta{"0", "2", "5", "5", "0"}},
		{"?search=nothing", meta{"0", "1", "20", "20", "0"}},
	} {
		r := e.get(t, base+"/accounts"+tt.query, p)
		if r.status != http.StatusOK {
			t.Fatalf("GET /accounts%s = %d; body: %s", tt.query, r.status, r.raw)
		}
		if diff := cmp.Diff(tt.want, metaOf(t, r)); diff != "" {
			t.Errorf("GET /accounts%s meta mismatch (-want +got):\n%s", tt.query, diff)
		}
		if !strings.Contains(r.raw, `"data":[]`) {
			t.Errorf("GET /accounts%s = %s, want data []", tt.query, r.raw)
		}
	}
}

// TestAccountListNewestFirst creates accounts within one second: newest
// first must follow commit order, not the timestamp or the random id.
func TestAccountListNewestFirst(t *testing.T) {
	t.Parallel()
	e := frozenEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	var created []string
	for i := range 4 {
		a := e.mustCreateAccount(t, p, validAccount(fmt.Sprintf("Same Second %d", i), fmt.Sprintf("same%d@example.com", i)))
		created = append(created, str(a["auth_id"]))
	}
	slices.Reverse(created)
	for _, q := range []string{"", "?search=same", "?search=Sa"} {
		r := e.get(t, base+"/accounts"+q, p)
		if diff := cmp.Diff(created, authIDs(data(t, r))); diff != "" {
			t.Errorf("GET /accounts%s order mismatch (-want +got):\n%s", q, diff)
		}
	}
	for _, page := range []int{1, 2, 3} {
		r := e.get(t, fmt.Sprintf("%s/accounts?size=2&page=%d", base, page), p)
		end := min(page*2, len(created))
		if diff := cmp.Diff(created[(page-1)*2:end], authIDs(data(t, r))); diff != "" {
			t.Errorf("page %d of 2 mismatch (-want +got):\n%s", page, diff)
		}
	}
}

func TestAccountSearch(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	people := []struct{ name, email string }{
		{"Credresolve Private", "credresolve@example.com"}, // 0
		{"Acme Widgets", "sales@acme.example"},             // 1
		{"ACME Rockets", "rockets@corp.example"},           // 2
		{"100% Pure Juice", "juice@drinks.example"},        // 3
		{"100 Pure Water", "water@drinks.example"},         // 4
		{"snake_case Ltd", "snake@zoo.example"},            // 5
		{"snakeXcase Ltd", "snakex@zoo.example"},           // 6
		{`The "Quoted" Co`, "quoted@quotes.example"},       // 7
		{"Zebra", "zz@qq.example"},                         // 8
		{`Back\slash`, "back@slash.example"},               // 9
	}
	ids := e.mustCreateAccounts(t, p, len(people),
		func(i int) string { return people[i].name },
		func(i int) string { return people[i].email })

	tests := []struct {
		search string
		want   []int
	}{
		{"acme", []int{1, 2}},
		{"ACME", []int{1, 2}},
		{"cMe wId", []int{1}},
		{"ac", []int{1, 2, 9}}, // too short for the trigram index
		{"AC", []int{1, 2, 9}},
		{"z", []int{5, 6, 8}},
		{"Z", []int{5, 6, 8}},
		{"rockets@corp", []int{2}},
		{"CORP.EXAMPLE", []int{2}},
		{"qq", []int{8}},
		{"@qq.", []int{8}},
		{"credresolve@example.com", []int{0}},
		{"drinks", []int{3, 4}},
		{"100", []int{3, 4}},
		{"%", []int{3}},
		{"0%", []int{3}},
		{"00% p", []int{3}},
		{"_", []int{5}},
		{"e_", []int{5}},
		{"e_c", []int{5}},
		{"snake_case", []int{5}},
		{"snakex", []int{6}},
		{`"`, []int{7}},
		{`"q`, []int{7}},
		{`"Quoted"`, []int{7}},
		{`d" c`, []int{7}},
		{`\`, []int{9}},
		{`k\s`, []int{9}},
		{"  acme  ", []int{1, 2}},
		{"nomatch", []int{}},
		{"xyz%", []int{}},
		{"a%e", []int{}},
		{"*", []int{}},
		{"acme OR zebra", []int{}},
		{"NEAR(acme zebra)", []int{}},
		{"acm*", []int{}},
		{ids[4], []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.search, func(t *testing.T) {
			r := e.get(t, base+"/accounts?size=100&search="+url.QueryEscape(tt.search), p)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", r.status, r.raw)
			}
			want := []string{}
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			slices.Sort(want)
			got := authIDs(data(t, r))
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("search %q mismatch (-want +got):\n%s", tt.search, diff)
			}
			if got, want := metaOf(t, r).Total, fmt.Sprint(len(tt.want)); got != want {
				t.Errorf("meta.total = %s, want %s", got, want)
			}
		})
	}
}

// TestAccountSearchControlChars searches with NUL bytes: a term of three
// or more characters goes to the FTS5 trigram index, whose query parser
// stops at the NUL and fails on the unterminated phrase.
func TestAccountSearchControlChars(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Nul Telecom")
	for _, term := range []string{"\x00", "\x00\x00", "\x00\x00\x00", "a\x00b", "abc\x00", "\x00abc", "ab\x01c"} {
		r := e.get(t, base+"/accounts?search="+url.QueryEscape(term), p)
		if r.status != http.StatusOK && r.status != http.StatusBadRequest {
			t.Errorf("search %q = %d, want 200 or 400; body: %s", term, r.status, r.raw)
		}
	}
}

// TestAccountSearchLength checks the search limit in characters, as its
// message says, not in bytes.
func TestAccountSearchLength(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Long Search Telecom")
	for _, tt := range []struct {
		term string
		want int
	}{
		{strings.Repeat("名", 254), http.StatusOK},
		{strings.Repeat("名", 255), http.StatusBadRequest},
		{strings.Repeat("a", 254), http.StatusOK},
		{strings.Repeat("a", 255), http.StatusBadRequest},
	} {
		r := e.get(t, base+"/accounts?search="+url.QueryEscape(tt.term), p)
		if r.status != tt.want {
			t.Errorf("search of %d characters (%d bytes) = %d, want %d; body: %s",
				len([]rune(tt.term)), len(tt.term), r.status, tt.want, r.raw)
		}
	}
}

// TestAccountSearchUnicodeCase checks that case-insensitivity is not
// limited to ASCII, whichever path (trigram or short-term scan) answers.
func TestAccountSearchUnicodeCase(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	a := e.mustCreateAccount(t, p, validAccount("ÄRZTE Zentrum", "praxis@example.com"))
	for _, term := range []string{"ÄRZTE", "ärzte", "ÄR", "är", "Ä", "ä"} {
		r := e.get(t, base+"/accounts?search="+url.QueryEscape(term), p)
		if got, want := authIDs(data(t, r)), []string{str(a["auth_id"])}; !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", term, got, want)
		}
	}
}

func TestAccountDuplicateEmail(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	a := e.mustPartner(t, "Acme Telecom")
	b := e.mustPartner(t, "Beta Telecom")
	e.mustCreateAccount(t, a, seedCreateBody)
	tests := []struct {
		name  string
		p     creds
		email string
	}{
		{"same email", a, "admin@credresolve.com"},
		{"different case", a, "ADMIN@CredResolve.COM"},
		{"another partner", b, "Admin@credresolve.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(t, base+"/accounts", tt.p, seedAccount(t, tt.email))
			wantError(t, r, http.StatusConflict, partnerd.ECEmailTaken)
		})
	}
	for _, p := range []creds{a, b} {
		if got := metaOf(t, e.get(t, base+"/accounts", p)).Total; p == a && got != "1" || p == b && got != "0" {
			t.Errorf("partner %s has %s accounts after duplicates", p.ID, got)
		}
	}
}

func TestAccountConcurrentDuplicateEmail(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	emails := []string{
		"race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM",
		"race@example.com", "rAce@example.com", "raCe@example.com", "racE@example.com",
	}
	statuses := make([]int, len(emails))
	codes := make([]string, len(emails))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, email := range emails {
		wg.Go(func() {
			<-start
			r, err := e.request(http.MethodPost, base+"/accounts", p, validAccount(fmt.Sprintf("Racer %d", i), email), nil)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i], codes[i] = r.status, str(r.body["error"])
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range emails {
		switch {
		case statuses[i] == http.StatusCreated:
			created++
		case statuses[i] == http.StatusConflict && codes[i] == partnerd.ECEmailTaken:
		default:
			t.Errorf("request %d: status %d error %q, want 201 or 409 email_taken", i, statuses[i], codes[i])
		}
	}
	if created != 1 {
		t.Errorf("%d requests got 201, want exactly 1 (statuses %v)", created, statuses)
	}
	if got := metaOf(t, e.get(t, base+"/accounts", p)).Total; got != "1" {
		t.Errorf("total accounts = %s, want 1", got)
	}
}
