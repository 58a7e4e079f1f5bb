package httpapi_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// strictCase is one request of TestInputStrictness and what it must get.
type strictCase struct {
	name   string
	method string // GET when empty
	path   string // under base
	body   string // sent as is with a POST
	hdr    map[string]string
	status int
	code   string      // the error code; "" for a success
	fields []fieldCode // the fields a validation_error names, sorted by field
	key    string      // the duplicated key an invalid_json names
	check  func(t *testing.T, r reply)
}

// TestInputStrictness holds every case of API.md §1's "bad input is
// refused, never guessed" (issue 9, Input strictness): bodies, text
// fields, query strings and content headers, each with the status, the
// error code and the field, parameter or key it names.
func TestInputStrictness(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Strict Input")
	e.mustFund(t, p, 100_000_000, nil)
	id := str(e.mustCreateAccount(t, p, validAccount("Strict Customer", emailOf(p, "strict")))["auth_id"])
	transfer := "/accounts/" + id + "/transfer-balance"
	withdraw := "/accounts/" + id + "/withdraw-balance"

	// create returns a valid POST /accounts body with an email of its
	// own, whose fields raw replaces or adds (values are raw JSON).
	n := 0
	create := func(raw map[string]string) string {
		n++
		fields := map[string]string{"name": `"Strict"`, "email": `"` + emailOf(p, fmt.Sprintf("s%d", n)) + `"`,
			"password": `"Str0ng!pass"`, "phone": `"9431538535"`, "country": `"IN"`}
		for k, v := range raw {
			fields[k] = v
		}
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%s", k, fields[k])
		}
		return "{" + b.String() + "}"
	}
	name := func(raw string) string { return create(map[string]string{"name": raw}) }
	invalid := func(field ...string) []fieldCode {
		var out []fieldCode
		for _, f := range field {
			out = append(out, fieldCode{f, partnerd.FCInvalidFormat})
		}
		return sortedFields(out...)
	}
	one := func(field, code string) []fieldCode { return []fieldCode{{field, code}} }

	// profile reads back the account a 201 created.
	profile := func(t *testing.T, r reply) map[string]any {
		t.Helper()
		g := e.get(t, base+"/accounts/"+str(r.body["auth_id"]), p)
		if g.status != http.StatusOK {
			t.Fatalf("GET the new account = %d; body: %s", g.status, g.raw)
		}
		return g.body
	}
	wantProfile := func(want map[string]any) func(t *testing.T, r reply) {
		return func(t *testing.T, r reply) {
			got := profile(t, r)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("profile %s = %#v, want %#v", k, got[k], v)
				}
			}
		}
	}
	wantDescription := func(want any) func(t *testing.T, r reply) {
		return func(t *testing.T, r reply) {
			if got := r.body["description"]; got != want {
				t.Errorf("description = %#v, want %#v", got, want)
			}
		}
	}
	wantPage := func(page, size string) func(t *testing.T, r reply) {
		return func(t *testing.T, r reply) {
			if m := metaOf(t, r); m.Page != page || m.Size != size {
				t.Errorf("meta page, size = %s, %s; want %s, %s", m.Page, m.Size, page, size)
			}
		}
	}
	wantRows := func(want ...string) func(t *testing.T, r reply) {
		return func(t *testing.T, r reply) {
			if diff := cmp.Diff(want, authIDs(data(t, r))); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
		}
	}
	// wantAll checks that a list answered every account, as no search does.
	wantAll := func(t *testing.T, r reply) {
		all := e.get(t, base+"/accounts", p)
		if got, want := metaOf(t, r).Total, metaOf(t, all).Total; got != want {
			t.Errorf("total = %s, want %s (every account)", got, want)
		}
	}
	optionalFields := []string{"description", "company", "address", "city", "state", "zip_code", "gstin", "gst_status"}
	allOptional := func(raw string) map[string]string {
		m := map[string]string{}
		for _, k := range append(slices.Clone(optionalFields), "timezone", "account_type") {
			m[k] = raw
		}
		return m
	}
	allNull := map[string]any{"timezone": "UTC", "account_type": "standard"}
	for _, k := range optionalFields {
		allNull[k] = nil
	}

	tests := []strictCase{
		// Duplicate keys: encoding/json would keep the last one.
		{name: "duplicate amount", method: "POST", path: transfer, body: `{"amount":1,"amount":900000}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "amount"},
		{name: "duplicate amount on withdraw", method: "POST", path: withdraw, body: `{"amount":900000,"amount":1}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "amount"},
		{name: "duplicate email", method: "POST", path: "/accounts",
			body:   `{"name":"Dup","email":"dup1@example.com","password":"Str0ng!pass","phone":"9431538535","country":"IN","email":"dup2@example.com"}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "email"},
		{name: "duplicate key spelled with an escape", method: "POST", path: transfer, body: `{"amount":1,"\u0061mount":2}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "amount"},
		{name: "duplicate unknown key", method: "POST", path: transfer, body: `{"amount":1,"memo":1,"memo":2}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "memo"},
		{name: "duplicate key in a nested object", method: "POST", path: transfer, body: `{"amount":1,"description":{"a":1,"a":2}}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "description.a"},
		{name: "duplicate key in an array's object", method: "POST", path: transfer, body: `{"amount":1,"description":[{"a":1},{"b":{"c":1,"c":2}}]}`,
			status: 400, code: partnerd.ECInvalidJSON, key: "description[1].b.c"},
		{name: "one key in two objects", method: "POST", path: transfer, body: `{"amount":{"a":1},"description":{"a":1}}`,
			status: 400, code: partnerd.ECValidation,
			fields: sortedFields(fieldCode{"amount", partnerd.FCInvalidType}, fieldCode{"description", partnerd.FCInvalidType})},

		// Text that is not Unicode: encoding/json would store U+FFFD.
		{name: "invalid UTF-8 in a value", method: "POST", path: transfer, body: "{\"amount\":1,\"description\":\"caf\xe9\"}",
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "invalid UTF-8 in a key", method: "POST", path: transfer, body: "{\"amount\":1,\"descr\xffiption\":\"x\"}",
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "overlong UTF-8", method: "POST", path: "/accounts", body: name("\"Bob\xc0\xaf\""),
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "lone high surrogate", method: "POST", path: transfer, body: `{"amount":1,"description":"a\ud800b"}`,
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "lone low surrogate", method: "POST", path: "/accounts", body: name(`"Bob\udc00"`),
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "high surrogate then a letter escape", method: "POST", path: transfer, body: `{"amount":1,"description":"\ud800\u0041"}`,
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "surrogates reversed", method: "POST", path: transfer, body: `{"amount":1,"description":"\udc00\ud800"}`,
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "lone surrogate in a key", method: "POST", path: transfer, body: `{"amount":1,"\ud800":1}`,
			status: 400, code: partnerd.ECInvalidJSON},
		{name: "an escaped backslash is not an escape", method: "POST", path: transfer, body: `{"amount":1,"description":"\\ud800"}`,
			status: 200, check: wantDescription(`\ud800`)},
		{name: "a surrogate pair is one character", method: "POST", path: "/accounts", body: name(`"\ud83d\ude80 Rocket"`),
			status: 201, check: wantProfile(map[string]any{"name": "\U0001F680 Rocket"})},

		// Names of nothing visible are empty.
		{name: "name of zero-width characters", method: "POST", path: "/accounts", body: name(`"\u200b\u200c\u200d\u2060\ufeff"`),
			status: 400, code: partnerd.ECValidation, fields: one("name", partnerd.FCRequired)},
		{name: "name of invisible characters and spaces", method: "POST", path: "/accounts", body: name(`" \u00a0\u200b \u00ad\u3000\u180e "`),
			status: 400, code: partnerd.ECValidation, fields: one("name", partnerd.FCRequired)},
		{name: "name of Hangul fillers", method: "POST", path: "/accounts", body: name(`"\u3164\u115f"`),
			status: 400, code: partnerd.ECValidation, fields: one("name", partnerd.FCRequired)},
		{name: "a joiner inside a name", method: "POST", path: "/accounts", body: name(`"\u0915\u094d\u200d\u0937 Rao"`),
			status: 201, check: wantProfile(map[string]any{"name": "\u0915\u094d\u200d\u0937 Rao"})},
		// Control characters and bidi overrides in single-line fields.
		{name: "ESC in a name", method: "POST", path: "/accounts", body: name(`"Bob\u001b[31m"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "newline in a name", method: "POST", path: "/accounts", body: name(`"Bob\nEve"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "trailing newline in a name", method: "POST", path: "/accounts", body: name(`"Bob\n"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "tab in a name", method: "POST", path: "/accounts", body: name(`"Bob\tEve"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "NUL in a name", method: "POST", path: "/accounts", body: name(`"Bob\u0000"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "DEL in a name", method: "POST", path: "/accounts", body: name(`"Bob\u007f"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "C1 control in a name", method: "POST", path: "/accounts", body: name(`"Bob\u009b31m"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "next line in a name", method: "POST", path: "/accounts", body: name(`"Bob\u0085Eve"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "line separator in a name", method: "POST", path: "/accounts", body: name(`"Bob\u2028Eve"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "right-to-left override in a name", method: "POST", path: "/accounts", body: name(`"Bob\u202egnp.exe"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "left-to-right embedding in a name", method: "POST", path: "/accounts", body: name(`"\u202aBob"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "isolate in a name", method: "POST", path: "/accounts", body: name(`"\u2066Bob\u2069"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "override only", method: "POST", path: "/accounts", body: name(`"\u202e"`),
			status: 400, code: partnerd.ECValidation, fields: invalid("name")},
		{name: "header injection in an email", method: "POST", path: "/accounts",
			body:   create(map[string]string{"email": `"a@example.com\r\nBcc: b@example.com"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("email")},
		{name: "override in an email", method: "POST", path: "/accounts", body: create(map[string]string{"email": `"moc.elpmaxe\u202e@x.example"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("email")},
		{name: "trailing newline in an email", method: "POST", path: "/accounts", body: create(map[string]string{"email": `"nl@example.com\n"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("email")},
		{name: "trailing newline in a phone", method: "POST", path: "/accounts", body: create(map[string]string{"phone": `"9431538535\n"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("phone")},
		{name: "ESC in a phone", method: "POST", path: "/accounts", body: create(map[string]string{"phone": `"9431538535\u001b"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("phone")},
		{name: "isolate in a phone", method: "POST", path: "/accounts", body: create(map[string]string{"phone": `"\u20669431538535\u2069"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("phone")},
		{name: "ESC in a password", method: "POST", path: "/accounts", body: create(map[string]string{"password": `"Str0ng!pass\u001b"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("password")},
		{name: "newlines in single-line optional fields", method: "POST", path: "/accounts",
			body: create(map[string]string{"company": `"A\nB"`, "address": `"1 Road\n2 Lane"`, "city": `"Bangalore\t"`,
				"state": `"K\u202eA"`, "zip_code": `"560001\r"`, "timezone": `"Asia/Kolkata\n"`, "gstin": `"29AAPFU0939F1ZV\u0000"`,
				"gst_status": `"active\u001b"`, "account_type": `"\u2066standard"`}),
			status: 400, code: partnerd.ECValidation,
			fields: invalid("company", "address", "city", "state", "zip_code", "timezone", "gstin", "gst_status", "account_type")},
		{name: "every bad field at once", method: "POST", path: "/accounts",
			body:   create(map[string]string{"name": `"\u200b"`, "email": `"a\u0085@example.com"`, "description": `"\u202e"`}),
			status: 400, code: partnerd.ECValidation,
			fields: sortedFields(fieldCode{"name", partnerd.FCRequired}, fieldCode{"email", partnerd.FCInvalidFormat},
				fieldCode{"description", partnerd.FCInvalidFormat})},

		// Descriptions may hold newlines and tabs, nothing else.
		{name: "description with newlines and tabs", method: "POST", path: "/accounts",
			body:   create(map[string]string{"description": `"Line one\n\tLine two\r\nLine three"`}),
			status: 201, check: wantProfile(map[string]any{"description": "Line one\n\tLine two\r\nLine three"})},
		{name: "ESC in a description", method: "POST", path: "/accounts", body: create(map[string]string{"description": `"a\u001b[2Jb"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("description")},
		{name: "lone carriage return in a description", method: "POST", path: "/accounts", body: create(map[string]string{"description": `"a\rb"`}),
			status: 400, code: partnerd.ECValidation, fields: invalid("description")},
		{name: "transfer description with newline", method: "POST", path: transfer, body: `{"amount":1,"description":"April\nrecharge"}`,
			status: 200, check: wantDescription("April\nrecharge")},
		{name: "transfer description with override", method: "POST", path: transfer, body: `{"amount":1,"description":"April\u202e"}`,
			status: 400, code: partnerd.ECValidation, fields: invalid("description")},
		{name: "transfer description with NUL", method: "POST", path: withdraw, body: `{"amount":1,"description":"a\u0000b"}`,
			status: 400, code: partnerd.ECValidation, fields: invalid("description")},
		{name: "transfer description with BEL", method: "POST", path: withdraw, body: `{"amount":1,"description":"a\u0007b"}`,
			status: 400, code: partnerd.ECValidation, fields: invalid("description")},

		// "" and null are the same for an optional string: null.
		{name: "optional fields empty", method: "POST", path: "/accounts", body: create(allOptional(`""`)),
			status: 201, check: wantProfile(allNull)},
		{name: "optional fields null", method: "POST", path: "/accounts", body: create(allOptional(`null`)),
			status: 201, check: wantProfile(allNull)},
		{name: "optional fields blank", method: "POST", path: "/accounts", body: create(allOptional(`" \u200b "`)),
			status: 201, check: wantProfile(allNull)},
		{name: "transfer description empty", method: "POST", path: transfer, body: `{"amount":1,"description":""}`,
			status: 200, check: wantDescription(nil)},
		{name: "transfer description blank", method: "POST", path: withdraw, body: `{"amount":1,"description":"  "}`,
			status: 200, check: wantDescription(nil)},
		// A currency given is a code, not a blank to read as none (§4).
		{name: "transfer currency empty", method: "POST", path: transfer, body: `{"amount":1,"currency":""}`,
			status: 400, code: partnerd.ECValidation, fields: one("currency", partnerd.FCInvalidValue)},

		// Query strings: unknown, repeated and malformed parameters.
		{name: "unknown parameter", path: "/accounts?serach=bob",
			status: 400, code: partnerd.ECValidation, fields: one("serach", partnerd.FCUnknownField)},
		{name: "parameter names are case-sensitive", path: "/accounts?Page=2",
			status: 400, code: partnerd.ECValidation, fields: one("Page", partnerd.FCUnknownField)},
		{name: "another list's parameter", path: "/transactions?search=bob",
			status: 400, code: partnerd.ECValidation, fields: one("search", partnerd.FCUnknownField)},
		{name: "unknown parameter on the partner log", path: "/me/transactions?type=fund",
			status: 400, code: partnerd.ECValidation, fields: one("type", partnerd.FCUnknownField)},
		{name: "unknown parameter on a customer log", path: "/accounts/" + id + "/transactions?from=2026-01-01",
			status: 400, code: partnerd.ECValidation, fields: one("from", partnerd.FCUnknownField)},
		{name: "unknown parameter with bad ones", path: "/accounts?x=1&page=0&y",
			status: 400, code: partnerd.ECValidation,
			fields: sortedFields(fieldCode{"x", partnerd.FCUnknownField}, fieldCode{"y", partnerd.FCUnknownField}, fieldCode{"page", partnerd.FCOutOfRange})},
		{name: "parameter on a profile", path: "/accounts/" + id + "?fields=all",
			status: 400, code: partnerd.ECValidation, fields: one("fields", partnerd.FCUnknownField)},
		{name: "parameter on a balance", path: "/accounts/" + id + "/balance?currency=USD",
			status: 400, code: partnerd.ECValidation, fields: one("currency", partnerd.FCUnknownField)},
		{name: "parameter on me", path: "/me?verbose=1",
			status: 400, code: partnerd.ECValidation, fields: one("verbose", partnerd.FCUnknownField)},
		{name: "parameter on a create", method: "POST", path: "/accounts?dry_run=1", body: create(nil),
			status: 400, code: partnerd.ECValidation, fields: one("dry_run", partnerd.FCUnknownField)},
		{name: "parameter on a transfer", method: "POST", path: transfer + "?amount=900000", body: `{"amount":1}`,
			status: 400, code: partnerd.ECValidation, fields: one("amount", partnerd.FCUnknownField)},
		{name: "repeated page", path: "/accounts?page=1&page=2",
			status: 400, code: partnerd.ECValidation, fields: one("page", partnerd.FCNotAllowed)},
		{name: "repeated page of one value", path: "/accounts?page=1&page=1",
			status: 400, code: partnerd.ECValidation, fields: one("page", partnerd.FCNotAllowed)},
		{name: "repeated search", path: "/accounts?search=a&search=b",
			status: 400, code: partnerd.ECValidation, fields: one("search", partnerd.FCNotAllowed)},
		{name: "repeated transaction_type", path: "/transactions?transaction_type=recharge&transaction_type=debit",
			status: 400, code: partnerd.ECValidation, fields: one("transaction_type", partnerd.FCNotAllowed)},
		{name: "repeated empty", path: "/accounts?search=&search=",
			status: 400, code: partnerd.ECValidation, fields: one("search", partnerd.FCNotAllowed)},
		{name: "bad escape in a value", path: "/accounts?search=%zz",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},
		{name: "cut escape in a value", path: "/accounts?search=ab%2",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},
		{name: "bad escape in a name", path: "/accounts?%zz=1",
			status: 400, code: partnerd.ECValidation, fields: invalid("%zz")},
		{name: "semicolon in a value", path: "/accounts?search=a;page=2",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},
		{name: "bad escape on a log", path: "/me/transactions?from_date=2026-01-01%",
			status: 400, code: partnerd.ECValidation, fields: invalid("from_date")},
		{name: "control character in a search", path: "/accounts?search=ab%1Bc",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},
		{name: "invalid UTF-8 in a search", path: "/accounts?search=caf%E9",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},
		{name: "override in a search", path: "/accounts?search=%E2%80%AEabc",
			status: 400, code: partnerd.ECValidation, fields: invalid("search")},

		// An empty value is an absent parameter, everywhere.
		{name: "empty page", path: "/accounts?page=", status: 200, check: wantPage("1", "20")},
		{name: "empty size and per_page", path: "/accounts?size=&per_page=&page=1", status: 200, check: wantPage("1", "20")},
		{name: "empty search", path: "/accounts?search=", status: 200, check: wantAll},
		{name: "search without =", path: "/accounts?search", status: 200, check: wantAll},
		{name: "empty log filters", path: "/transactions?transaction_type=&from_date=&to_date=&page=", status: 200},
		{name: "empty partner log filters", path: "/me/transactions?transaction_type=&size=", status: 200, check: wantPage("1", "20")},

		// Paging: a non-integer is a format error, an integer out of range a range error.
		{name: "page abc", path: "/accounts?page=abc", status: 400, code: partnerd.ECValidation, fields: invalid("page")},
		{name: "page 1.5", path: "/accounts?page=1.5", status: 400, code: partnerd.ECValidation, fields: invalid("page")},
		{name: "page 1e3", path: "/transactions?page=1e3", status: 400, code: partnerd.ECValidation, fields: invalid("page")},
		{name: "size abc", path: "/me/transactions?size=abc", status: 400, code: partnerd.ECValidation, fields: invalid("size")},
		{name: "per_page x", path: "/accounts?per_page=x", status: 400, code: partnerd.ECValidation, fields: invalid("per_page")},
		{name: "page 0", path: "/accounts?page=0", status: 400, code: partnerd.ECValidation, fields: one("page", partnerd.FCOutOfRange)},
		{name: "page -1", path: "/accounts?page=-1", status: 400, code: partnerd.ECValidation, fields: one("page", partnerd.FCOutOfRange)},
		{name: "page beyond int64", path: "/accounts?page=99999999999999999999", status: 400, code: partnerd.ECValidation,
			fields: one("page", partnerd.FCOutOfRange)},
		{name: "size 101", path: "/accounts?size=101", status: 400, code: partnerd.ECValidation, fields: one("size", partnerd.FCOutOfRange)},

		// An exact auth_id matches in any case, like the rest of search.
		{name: "auth_id search as stored", path: "/accounts?search=" + id, status: 200, check: wantRows(id)},
		{name: "auth_id search lower-case prefix", path: "/accounts?search=ma_" + id[3:], status: 200, check: wantRows(id)},
		{name: "auth_id search upper-case", path: "/accounts?search=" + strings.ToUpper(id), status: 200, check: wantRows(id)},
		{name: "auth_id search mixed case", path: "/accounts?search=Ma_" + strings.ToUpper(id[3:]), status: 200, check: wantRows(id)},

		// Content headers.
		{name: "charset latin1", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Type": "application/json; charset=latin1"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "charset ISO-8859-1", method: "POST", path: "/accounts", body: create(nil),
			hdr: map[string]string{"Content-Type": "application/json; charset=ISO-8859-1"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "charset utf-16", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Type": "application/json; charset=utf-16"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "charset UTF-8", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Type": "application/json; charset=UTF-8"}, status: 200},
		{name: "charset quoted utf-8", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Type": `application/json;charset="utf-8"`}, status: 200},
		{name: "gzip body", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Encoding": "gzip"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "deflate body", method: "POST", path: "/accounts", body: create(nil),
			hdr: map[string]string{"Content-Encoding": "deflate"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "gzip after identity", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Encoding": "identity, gzip"}, status: 415, code: partnerd.ECUnsupportedMedia},
		{name: "identity body", method: "POST", path: transfer, body: `{"amount":1}`,
			hdr: map[string]string{"Content-Encoding": "Identity"}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			var body any
			if method == http.MethodPost {
				body = tt.body
			}
			r := e.doJSON(t, method, base+tt.path, p, body, tt.hdr)
			if tt.code == "" {
				if r.status != tt.status {
					t.Fatalf("status = %d, want %d; body: %s", r.status, tt.status, r.raw)
				}
			} else {
				wantError(t, r, tt.status, tt.code)
				if diff := cmp.Diff(tt.fields, fieldCodes(t, r)); diff != "" {
					t.Errorf("fields mismatch (-want +got):\n%s", diff)
				}
				if got := str(r.body["key"]); got != tt.key {
					t.Errorf("key = %q, want %q; body: %s", got, tt.key, r.raw)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}
