package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		r := e.get(t, path, noCreds)
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200; body: %s", path, r.status, r.raw)
		}
		if diff := cmp.Diff(map[string]any{"status": want}, r.body); diff != "" {
			t.Errorf("GET %s body mismatch (-want +got):\n%s", path, diff)
		}
	}

	// With the database gone, /readyz says so and /healthz does not care.
	e.db.Close()
	r := e.send(t, http.MethodGet, "/readyz", noCreds, nil, nil)
	wantError(t, r, http.StatusServiceUnavailable, partnerd.ECUnavailable)
	if got := str(r.body["request_id"]); got == "" || got != r.header.Get("X-Request-ID") {
		t.Errorf("503 request_id = %q, want X-Request-ID %q", got, r.header.Get("X-Request-ID"))
	}
	if r := e.get(t, "/healthz", noCreds); r.status != http.StatusOK {
		t.Errorf("GET /healthz with the database closed = %d, want 200", r.status)
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	paths := []string{
		"/", "/api", "/api/v1/partner", "/api/v1/partner/nope", "/api/v1/partner/accounts/MA_00000000/nope",
		"/api/v1/partner/accounts/MA_00000000/balance/extra", "/api/v2/partner/accounts", "/API/V1/PARTNER/ACCOUNTS",
		"/api/v1/partner/me/", "/healthz/x",
	}
	for _, path := range paths {
		for _, c := range []creds{noCreds, p} {
			r := e.get(t, path, c)
			wantError(t, r, http.StatusNotFound, partnerd.ECRouteNotFound)
			if diff := cmp.Diff([]string{"error", "message", "request_id"}, keys(r.body)); diff != "" {
				t.Errorf("GET %s body keys mismatch (-want +got):\n%s", path, diff)
			}
		}
	}
}

func TestWrongMethod(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	tests := []struct {
		method, path string
		wantAllow    []string // methods Allow must include
	}{
		{http.MethodDelete, base + "/accounts", []string{"GET", "POST"}},
		{http.MethodPut, base + "/accounts", []string{"GET", "POST"}},
		{http.MethodPut, base + "/accounts/MA_00000000", []string{"GET"}},
		{http.MethodPut, base + "/accounts/MA_00000000/balance", []string{"GET"}},
		{http.MethodPost, base + "/accounts/MA_00000000/balance", []string{"GET"}},
		{http.MethodPut, base + "/me", []string{"GET"}},
		{http.MethodPost, "/healthz", []string{"GET"}},
		{http.MethodDelete, "/readyz", []string{"GET"}},
		{"OPTIONS", base + "/accounts", []string{"GET", "POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.doJSON(t, tt.method, tt.path, p, nil, nil)
			wantError(t, r, http.StatusMethodNotAllowed, partnerd.ECMethodNotAllowed)
			var allow []string
			for m := range strings.SplitSeq(r.header.Get("Allow"), ",") {
				allow = append(allow, strings.TrimSpace(m))
			}
			for _, m := range tt.wantAllow {
				if !slices.Contains(allow, m) {
					t.Errorf("Allow = %q, want it to include %s", r.header.Get("Allow"), m)
				}
			}
			if slices.Contains(allow, tt.method) {
				t.Errorf("Allow = %q includes the refused method %s", r.header.Get("Allow"), tt.method)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	tests := []struct {
		contentType string // "" sends none
		wantStatus  int
	}{
		{"text/plain", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"application/jsonx", http.StatusUnsupportedMediaType},
		{"application/json; charset", http.StatusUnsupportedMediaType},
		{"text/json", http.StatusUnsupportedMediaType},
		{"application/json; charset=utf-8", http.StatusCreated},
		{"Application/JSON", http.StatusCreated},
	}
	created := 0
	for i, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			body := seedAccount(t, fmt.Sprintf("ct%d@example.com", i))
			hdr := map[string]string{"Content-Type": tt.contentType}
			r := e.doJSON(t, http.MethodPost, base+"/accounts", p, mustMarshal(t, body), hdr)
			if tt.wantStatus == http.StatusCreated {
				created++
				if r.status != http.StatusCreated {
					t.Errorf("status = %d, want 201; body: %s", r.status, r.raw)
				}
				return
			}
			wantError(t, r, tt.wantStatus, partnerd.ECUnsupportedMedia)
		})
	}
	if got, want := metaOf(t, e.get(t, base+"/accounts", p)).Total, fmt.Sprint(created); got != want {
		t.Errorf("accounts after the content-type cases = %s, want %s (only the JSON ones)", got, want)
	}
}

func TestBodySize(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	// bodyOf returns a create body of exactly n bytes whose description
	// pads it out; a description this long is invalid, so a body the
	// server reads gets 400, never 201.
	bodyOf := func(n int) string {
		head := `{"name":"Big","email":"big@example.com","password":"Str0ng!pass","phone":"9431538535","country":"IN","description":"`
		tail := `"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		size       int
		wantStatus int
		wantCode   string
	}{
		{64 << 10, http.StatusBadRequest, partnerd.ECValidation},
		{64<<10 + 1, http.StatusRequestEntityTooLarge, partnerd.ECPayloadTooLarge},
		{65 << 10, http.StatusRequestEntityTooLarge, partnerd.ECPayloadTooLarge},
		{1 << 20, http.StatusRequestEntityTooLarge, partnerd.ECPayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			body := bodyOf(tt.size)
			if len(body) != tt.size {
				t.Fatalf("body is %d bytes, want %d", len(body), tt.size)
			}
			r := e.post(t, base+"/accounts", p, body)
			wantError(t, r, tt.wantStatus, tt.wantCode)
			if tt.wantCode == partnerd.ECValidation {
				if diff := cmp.Diff([]fieldCode{{"description", partnerd.FCTooLong}}, fieldCodes(t, r)); diff != "" {
					t.Errorf("fields mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestInvalidJSON(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	valid := `{"name":"X","email":"x@example.com","password":"Str0ng!pass","phone":"9431538535","country":"IN"}`
	bodies := map[string]string{
		"empty":              ``,
		"whitespace":         "  \n ",
		"truncated":          `{"name":"X"`,
		"array":              `[` + valid + `]`,
		"empty array":        `[]`,
		"trailing garbage":   valid + `garbage`,
		"two objects":        valid + `{}`,
		"trailing comma":     `{"name":"X",}`,
		"single quotes":      `{'name':'X'}`,
		"null":               `null`,
		"string":             `"hello"`,
		"number":             `42`,
		"true":               `true`,
		"unquoted key":       `{name:"X"}`,
		"NaN":                `{"name":NaN}`,
		"comment":            `{"name":"X" /* hi */}`,
		"bare word":          `hello`,
		"bad escape":         `{"name":"\x"}`,
		"control char":       "{\"name\":\"a\x01b\"}",
		"deeply nested":      strings.Repeat("[", 30000) + strings.Repeat("]", 30000),
		"deeply nested in":   `{"name":` + strings.Repeat(`{"a":`, 10500) + `1` + strings.Repeat(`}`, 10500) + `}`,
		"utf-16 BOM":         "\xfe\xff" + valid,
		"utf-8 BOM":          "\xef\xbb\xbf" + valid,
		"hex number":         `{"name":0x10}`,
		"leading zero":       `{"name":01}`,
		"plus number":        `{"name":+1}`,
		"unterminated array": `{"name":[1,2}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			r := e.post(t, base+"/accounts", p, body)
			wantError(t, r, http.StatusBadRequest, partnerd.ECInvalidJSON)
		})
	}
	if got := metaOf(t, e.get(t, base+"/accounts", p)).Total; got != "0" {
		t.Errorf("accounts after invalid bodies = %s, want 0", got)
	}
}

// TestCreateValidation checks every rule of API.md §3, one case at a
// time on the published body: nil want means the body is valid.
func TestCreateValidation(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	long := func(n int) string { return strings.Repeat("x", n) }
	fc := func(field, code string) []fieldCode { return []fieldCode{{field, code}} }
	const (
		required = partnerd.FCRequired
		format   = partnerd.FCInvalidFormat
		value    = partnerd.FCInvalidValue
		tooLong  = partnerd.FCTooLong
		weak     = partnerd.FCTooWeak
		typ      = partnerd.FCInvalidType
		unknown  = partnerd.FCUnknownField
		notAllow = partnerd.FCNotAllowed
	)
	tests := []struct {
		name   string
		modify func(m map[string]any)
		want   []fieldCode
	}{
		{"optional fields null", func(m map[string]any) {
			for _, k := range []string{"description", "company", "address", "city", "state", "zip_code", "timezone", "gstin", "gst_status", "account_type"} {
				m[k] = nil
			}
		}, nil},
		// Required fields: absent, null, blank.
		{"name missing", func(m map[string]any) { delete(m, "name") }, fc("name", required)},
		{"name null", func(m map[string]any) { m["name"] = nil }, fc("name", required)},
		{"name blank", func(m map[string]any) { m["name"] = " \u00a0\u200b " }, fc("name", required)},
		{"name with a tab", func(m map[string]any) { m["name"] = " \t " }, fc("name", format)},
		{"name 101 chars", func(m map[string]any) { m["name"] = long(101) }, fc("name", tooLong)},
		{"name 100 runes", func(m map[string]any) { m["name"] = strings.Repeat("é", 100) }, nil},
		{"email missing", func(m map[string]any) { delete(m, "email") }, fc("email", required)},
		{"email null", func(m map[string]any) { m["email"] = nil }, fc("email", required)},
		{"email malformed", func(m map[string]any) { m["email"] = "not-an-email" }, fc("email", format)},
		{"email no domain dot (net/mail's)", func(m map[string]any) { m["email"] = "admin@localhost" }, nil},
		{"email display name", func(m map[string]any) { m["email"] = "Admin <admin@example.com>" }, fc("email", format)},
		{"email two addresses", func(m map[string]any) { m["email"] = "a@example.com, b@example.com" }, fc("email", format)},
		{"email 255 chars", func(m map[string]any) { m["email"] = long(64) + "@" + long(186) + ".com" }, fc("email", tooLong)},
		{"password missing", func(m map[string]any) { delete(m, "password") }, fc("password", required)},
		{"password null", func(m map[string]any) { m["password"] = nil }, fc("password", required)},
		{"password 7 chars", func(m map[string]any) { m["password"] = "Abcd@12" }, fc("password", weak)},
		{"password no digit", func(m map[string]any) { m["password"] = "SecurePass@abc" }, fc("password", weak)},
		{"password no special", func(m map[string]any) { m["password"] = "SecurePass123" }, fc("password", weak)},
		{"password letters only", func(m map[string]any) { m["password"] = "passwordpassword" }, fc("password", weak)},
		{"password 129 chars", func(m map[string]any) { m["password"] = "@1" + long(127) }, fc("password", tooLong)},
		{"password 8 chars", func(m map[string]any) { m["password"] = "Abcd@123" }, nil},
		{"phone missing", func(m map[string]any) { delete(m, "phone") }, fc("phone", required)},
		{"phone blank", func(m map[string]any) { m["phone"] = "  " }, fc("phone", required)},
		{"phone too short", func(m map[string]any) { m["phone"] = "12345" }, fc("phone", format)},
		{"phone letters", func(m map[string]any) { m["phone"] = "call me" }, fc("phone", format)},
		{"phone of another country", func(m map[string]any) { m["phone"] = "+14155552671" }, fc("phone", format)},
		{"phone invalid for GB", func(m map[string]any) {
			m["country"] = "GB"
			delete(m, "gstin")
			delete(m, "gst_status")
		}, fc("phone", format)},
		{"country missing", func(m map[string]any) { delete(m, "country") }, fc("country", required)},
		{"country unknown", func(m map[string]any) { m["country"] = "XX" }, fc("country", value)},
		{"country alpha-3", func(m map[string]any) { m["country"] = "IND" }, fc("country", value)},
		{"description 501 chars", func(m map[string]any) { m["description"] = long(501) }, fc("description", tooLong)},
		{"company 501 chars", func(m map[string]any) { m["company"] = long(501) }, fc("company", tooLong)},
		{"address 501 chars", func(m map[string]any) { m["address"] = long(501) }, fc("address", tooLong)},
		{"city 501 chars", func(m map[string]any) { m["city"] = long(501) }, fc("city", tooLong)},
		{"state 501 chars", func(m map[string]any) { m["state"] = long(501) }, fc("state", tooLong)},
		{"zip_code 21 chars", func(m map[string]any) { m["zip_code"] = long(21) }, fc("zip_code", tooLong)},
		{"timezone unknown", func(m map[string]any) { m["timezone"] = "Mars/Olympus_Mons" }, fc("timezone", value)},
		{"timezone empty is absent", func(m map[string]any) { m["timezone"] = "" }, nil},
		{"timezone Local", func(m map[string]any) { m["timezone"] = "Local" }, fc("timezone", value)},
		{"timezone path", func(m map[string]any) { m["timezone"] = "../../etc/passwd" }, fc("timezone", value)},
		{"timezone absolute path", func(m map[string]any) { m["timezone"] = "/etc/localtime" }, fc("timezone", value)},
		{"timezone offset", func(m map[string]any) { m["timezone"] = "+05:30" }, fc("timezone", value)},
		// GSTIN: shape only; the published example fails the checksum and
		// must pass.
		{"gstin state 97", func(m map[string]any) { m["gstin"] = "97AAPFU0939F1ZV" }, nil},
		{"gstin state 38", func(m map[string]any) { m["gstin"] = "38AAPFU0939F1ZV" }, nil},
		{"gstin entity letter, other check char", func(m map[string]any) { m["gstin"] = "01AAPFU0939FAZA" }, nil},
		{"gstin state 00", func(m map[string]any) { m["gstin"] = "00AAPFU0939F1ZV" }, fc("gstin", format)},
		{"gstin state 39", func(m map[string]any) { m["gstin"] = "39AAPFU0939F1ZV" }, fc("gstin", format)},
		{"gstin state 98", func(m map[string]any) { m["gstin"] = "98AAPFU0939F1ZV" }, fc("gstin", format)},
		{"gstin 14 chars", func(m map[string]any) { m["gstin"] = "29AAPFU0939F1Z" }, fc("gstin", format)},
		{"gstin 16 chars", func(m map[string]any) { m["gstin"] = "29AAPFU0939F1ZVV" }, fc("gstin", format)},
		{"gstin PAN digit in letters", func(m map[string]any) { m["gstin"] = "29AAPF10939F1ZV" }, fc("gstin", format)},
		{"gstin PAN letter in digits", func(m map[string]any) { m["gstin"] = "29AAPFUA939F1ZV" }, fc("gstin", format)},
		{"gstin PAN ends in digit", func(m map[string]any) { m["gstin"] = "29AAPFU093991ZV" }, fc("gstin", format)},
		{"gstin entity 0", func(m map[string]any) { m["gstin"] = "29AAPFU0939F0ZV" }, fc("gstin", format)},
		{"gstin no Z", func(m map[string]any) { m["gstin"] = "29AAPFU0939F1YV" }, fc("gstin", format)},
		{"gstin bad check char", func(m map[string]any) { m["gstin"] = "29AAPFU0939F1Z-" }, fc("gstin", format)},
		{"gstin outside India", func(m map[string]any) {
			m["country"], m["phone"] = "US", "+12024561111"
		}, fc("gstin", notAllow)},
		{"gst_status unknown", func(m map[string]any) { m["gst_status"] = "pending" }, fc("gst_status", value)},
		{"gst_status without gstin", func(m map[string]any) { delete(m, "gstin") }, fc("gst_status", notAllow)},
		{"account_type unknown", func(m map[string]any) { m["account_type"] = "gold" }, fc("account_type", value)},
		// The other allowed values, in one body: each valid account costs an
		// argon2id hash.
		{"other allowed values", func(m map[string]any) {
			m["timezone"], m["gst_status"], m["account_type"] = "America/New_York", "inactive", "enterprise"
		}, nil},
		// Types and unknown fields.
		{"unknown field", func(m map[string]any) { m["nmae"] = "typo" }, fc("nmae", unknown)},
		{"unknown fields", func(m map[string]any) { m["Name"] = "x"; m["balance"] = 100 }, []fieldCode{{"Name", unknown}, {"balance", unknown}}},
		{"name number", func(m map[string]any) { m["name"] = 5 }, fc("name", typ)},
		{"gst_status bool", func(m map[string]any) { m["gst_status"] = true }, fc("gst_status", typ)},
		{"email object", func(m map[string]any) { m["email"] = map[string]any{"$ne": ""} }, fc("email", typ)},
		{"password array", func(m map[string]any) { m["password"] = []string{"SecurePass@123"} }, fc("password", typ)},
		{"phone number", func(m map[string]any) { m["phone"] = 9431538535 }, fc("phone", typ)},
		{"country number", func(m map[string]any) { m["country"] = 91 }, fc("country", typ)},
		{"timezone number", func(m map[string]any) { m["timezone"] = 5.5 }, fc("timezone", typ)},
		{"account_type bool", func(m map[string]any) { m["account_type"] = false }, fc("account_type", typ)},
		{"zip_code number", func(m map[string]any) { m["zip_code"] = 560001 }, fc("zip_code", typ)},
		{"everything required missing", func(m map[string]any) { clear(m) },
			[]fieldCode{{"country", required}, {"email", required}, {"name", required}, {"password", required}, {"phone", required}}},
	}
	created := 0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := seedAccount(t, fmt.Sprintf("case%03d@example.com", i))
			tt.modify(body)
			r := e.post(t, base+"/accounts", p, body)
			if tt.want == nil {
				if r.status != http.StatusCreated {
					t.Fatalf("status = %d, want 201; body: %s", r.status, r.raw)
				}
				created++
				return
			}
			wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
			if diff := cmp.Diff(sortedFields(tt.want...), fieldCodes(t, r)); diff != "" {
				t.Errorf("fields mismatch (-want +got):\n%s", diff)
			}
			if pw, ok := body["password"].(string); ok && len(pw) >= 4 && strings.Contains(r.raw, pw) {
				t.Errorf("400 body echoes the password: %s", r.raw)
			}
		})
	}
	if got, want := metaOf(t, e.get(t, base+"/accounts", p)).Total, fmt.Sprint(created); got != want {
		t.Errorf("accounts after validation cases = %s, want %s (only the valid ones)", got, want)
	}
}

// TestCreateAllInvalid checks that every bad field is listed at once.
func TestCreateAllInvalid(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	long := strings.Repeat("y", 501)
	body := map[string]any{
		"name": "  ", "email": "nope", "password": "weak", "phone": "", "country": "ZZ",
		"description": long, "company": 5, "address": long, "city": long, "state": long,
		"zip_code": strings.Repeat("9", 21), "timezone": "Nowhere/City", "gstin": "BAD", "gst_status": "maybe",
		"account_type": "gold", "extra": 1, "another": nil,
	}
	r := e.post(t, base+"/accounts", p, body)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	want := sortedFields(
		fieldCode{"name", partnerd.FCRequired},
		fieldCode{"email", partnerd.FCInvalidFormat},
		fieldCode{"password", partnerd.FCTooWeak},
		fieldCode{"phone", partnerd.FCRequired},
		fieldCode{"country", partnerd.FCInvalidValue},
		fieldCode{"description", partnerd.FCTooLong},
		fieldCode{"company", partnerd.FCInvalidType},
		fieldCode{"address", partnerd.FCTooLong},
		fieldCode{"city", partnerd.FCTooLong},
		fieldCode{"state", partnerd.FCTooLong},
		fieldCode{"zip_code", partnerd.FCTooLong},
		fieldCode{"timezone", partnerd.FCInvalidValue},
		fieldCode{"gstin", partnerd.FCInvalidFormat},
		fieldCode{"gst_status", partnerd.FCInvalidValue},
		fieldCode{"account_type", partnerd.FCInvalidValue},
		fieldCode{"extra", partnerd.FCUnknownField},
		fieldCode{"another", partnerd.FCUnknownField},
	)
	if diff := cmp.Diff(want, fieldCodes(t, r)); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"error", "fields", "message", "request_id"}, keys(r.body)); diff != "" {
		t.Errorf("error body keys mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(r.raw, `"weak"`) {
		t.Errorf("400 body echoes the password: %s", r.raw)
	}
}

// TestHostileInputs throws odd bodies, queries, paths and headers at the
// server: none may get a 5xx (doJSON fails the test on one).
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	acct := str(e.mustCreateAccount(t, p, validAccount("Target", "target@example.com"))["auth_id"])

	n := 0
	withEmail := func(body string) string {
		n++
		return strings.ReplaceAll(body, "EMAIL", fmt.Sprintf("hostile%d@example.com", n))
	}
	// Valid bodies cost an argon2id hash each, so only the ones whose
	// point is what gets stored carry a password; the rest fail
	// validation on it (and on whatever else they break) cheaply.
	okFields := `"password":"Str0ng!pass","phone":"9431538535","country":"IN"`
	cheap := `"phone":"9431538535","country":"IN"`
	bodies := map[string]string{
		"weird name":           `{"name":"Ünïcødé 名前 🚀 \u202e\u200b<script>alert(1)</script> '); DROP TABLE accounts; --","email":"EMAIL",` + okFields + `}`,
		"NUL in name":          `{"name":"a\u0000b","email":"EMAIL",` + okFields + `}`,
		"invalid utf-8":        "{\"name\":\"\xff\xfe\xfd\",\"email\":\"EMAIL\"," + okFields + "}",
		"lone surrogate":       `{"name":"\ud800","email":"EMAIL",` + okFields + `}`,
		"unicode email":        `{"name":"U","email":"ünï@exämple.com",` + okFields + `}`,
		"empty object":         `{}`,
		"huge number name":     `{"name":1e999999,"email":"EMAIL",` + cheap + `}`,
		"huge integer":         `{"name":` + strings.Repeat("9", 5000) + `,"email":"EMAIL",` + cheap + `}`,
		"negative zero":        `{"name":-0,"email":"EMAIL",` + cheap + `}`,
		"number edge":          `{"name":1.7976931348623157e309}`,
		"nested name":          `{"name":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `,"email":"EMAIL",` + cheap + `}`,
		"nested unknown":       `{"x":` + strings.Repeat(`{"x":`, 5000) + `null` + strings.Repeat("}", 5000) + `}`,
		"all null":             `{"name":null,"email":null,"password":null,"phone":null,"country":null}`,
		"email 60KB":           `{"name":"U","email":"` + strings.Repeat("a", 60000) + `@example.com",` + cheap + `}`,
		"phone 60KB":           `{"name":"U","email":"EMAIL","phone":"` + strings.Repeat("9", 60000) + `","country":"IN"}`,
		"timezone 60KB":        `{"name":"U","email":"EMAIL",` + cheap + `,"timezone":"` + strings.Repeat("A/", 30000) + `"}`,
		"password 60KB":        `{"name":"U","email":"EMAIL","password":"1!` + strings.Repeat("p", 60000) + `","phone":"9431538535","country":"IN"}`,
		"duplicate keys":       `{"name":"A","name":7,"email":"EMAIL",` + cheap + `}`,
		"sql in email":         `{"name":"S","email":"x'or'1'='1@example.com",` + cheap + `}`,
		"gstin unicode":        `{"name":"G","email":"EMAIL",` + cheap + `,"gstin":"２９AAPFU0939F1ZV"}`,
		"country unicode":      `{"name":"C","email":"EMAIL","phone":"9431538535","country":"ＩＮ"}`,
		"object as everything": `{"name":{},"email":{},"password":{},"phone":{},"country":{},"timezone":{},"gstin":{},"gst_status":{},"account_type":{}}`,
		"many unknown fields":  `{` + strings.TrimSuffix(strings.Repeat(`"k":1,`, 5000), ",") + `}`,
		"empty key":            `{"":"x"}`,
		"long key":             `{"` + strings.Repeat("k", 30000) + `":1}`,
		"escaped key":          `{"n\u0061me":"Escaped","email":"EMAIL",` + cheap + `}`,
		"nul byte outside":     "{\"name\":\"x\"}\x00",
	}
	for name, body := range bodies {
		t.Run("body/"+name, func(t *testing.T) {
			r := e.post(t, base+"/accounts", p, withEmail(body))
			switch r.status {
			case http.StatusCreated, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge:
			default:
				t.Errorf("status = %d, want 201, 400, 409 or 413; body: %s", r.status, r.raw)
			}
			if r.status == http.StatusCreated {
				// Whatever was stored reads back.
				g := e.get(t, base+"/accounts/"+str(r.body["auth_id"]), p)
				if g.status != http.StatusOK {
					t.Errorf("reading the account back = %d; body: %s", g.status, g.raw)
				}
			}
		})
	}

	queries := []string{
		"search=%00", "search=%00%00", "search=%ff%fe%fd", "search=%ff", "search=%22", "search=%22%22%22",
		"search=%22%20OR%20%22", "search=*", "search=***", "search=NEAR(a%20b)", "search=a%20AND%20b",
		"search=%5E", "search=%5Eabc", "search=-abc", "search=+abc", "search=(((", "search=)))",
		"search=%25%25%25", "search=___", "search=%5C", "search=%5C%5C%5C", "search=%27%3B--",
		"search=%E2%80%AE%E2%80%8B", "search=%F0%9F%9A%80", "search=" + strings.Repeat("%F0%9F%9A%80", 63),
		"search=" + strings.Repeat("a", 254), "search=a&search=b", "search=" + strings.Repeat("%22", 254),
		"page=1&page=2", "page=%00", "page=1%00", "page=0x10", "page=+1", "page=%20%201",
		"size=%EF%BC%91", "per_page=1&per_page=2", "page=1000000", "page=1000001", "page=2147483648&size=100",
		"size=100&page=1000000", "unknown=1", "%zz=1", "=", "&&&", "search",
	}
	for _, q := range queries {
		t.Run("query/"+q, func(t *testing.T) {
			r := e.get(t, base+"/accounts?"+q, p)
			if r.status != http.StatusOK && r.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 200 or 400; body: %s", r.status, r.raw)
			}
		})
	}

	paths := []string{
		"/accounts/%00", "/accounts/MA_%00", "/accounts/%2e%2e", "/accounts/..%2fme", "/accounts/" + acct + "%2fbalance",
		"/accounts/" + acct + "%00", "/accounts/" + strings.Repeat("x", 4000), "/accounts/%F0%9F%9A%80",
		"/accounts/%ff", "/accounts/MA_48149cf4%20", "/accounts/'%20OR%201=1", "/accounts/" + acct + "/balance%00",
		"/accounts//balance", "/accounts/", "//accounts", "/accounts/./" + acct, "/accounts/" + acct + "/../me",
		"/accounts?page=1#frag",
	}
	for _, path := range paths {
		t.Run("path/"+path, func(t *testing.T) {
			e.get(t, base+path, p)
		})
	}

	headers := []map[string]string{
		{"X-Auth-ID": strings.Repeat("P", 8000)},
		{"X-Auth-Token": strings.Repeat("t", 8000)},
		{"X-Auth-ID": "PA_ÄÖÜ"},
		{"X-Request-ID": strings.Repeat("r", 8000)},
		{"Content-Length": "0"},
		{"Accept": "text/csv"},
		{"Content-Type": "application/json; charset=utf-16"},
		{"Transfer-Encoding": "chunked"},
	}
	for i, h := range headers {
		t.Run(fmt.Sprintf("header/%d", i), func(t *testing.T) {
			e.doJSON(t, http.MethodGet, base+"/accounts", p, nil, h)
			e.doJSON(t, http.MethodPost, base+"/accounts", p, withEmail(`{"name":"H","email":"EMAIL",`+cheap+`}`), h)
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Acme Telecom")
	sane128 := strings.Repeat("a", 127) + "Z"
	tests := []struct {
		sent string
		echo bool
	}{
		{"client-req-123", true},
		{"A.b_c-D.0", true},
		{sane128, true},
		{"x", true},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("b", 200), false},
		{"has space", false},
		{"semi;colon", false},
		{"slash/y", false},
		{"ünï", false},
		{"<script>", false},
		{"", false},
	}
	// The same rules hold on a success, an error from a handler, and an
	// error from the router.
	requests := []struct {
		name   string
		method string
		path   string
		c      creds
	}{
		{"success", http.MethodGet, base + "/accounts", p},
		{"401", http.MethodGet, base + "/accounts", noCreds},
		{"404 route", http.MethodGet, "/nope", noCreds},
		{"405", http.MethodDelete, base + "/me", p},
	}
	for _, rq := range requests {
		for _, tt := range tests {
			t.Run(rq.name+"/"+tt.sent, func(t *testing.T) {
				r := e.doJSON(t, rq.method, rq.path, rq.c, nil, map[string]string{"X-Request-ID": tt.sent})
				got := r.header.Get("X-Request-ID")
				if tt.echo && got != tt.sent {
					t.Errorf("X-Request-ID = %q, want the client's %q echoed", got, tt.sent)
				}
				if !tt.echo && (got == tt.sent || got == "") {
					t.Errorf("X-Request-ID = %q, want a generated id replacing %q", got, tt.sent)
				}
			})
		}
	}
	// Generated ids are unique.
	a := e.get(t, base+"/accounts", p).header.Get("X-Request-ID")
	b := e.get(t, base+"/accounts", p).header.Get("X-Request-ID")
	if a == b {
		t.Errorf("two requests got the same generated id %q", a)
	}
}

// TestLongIDsEchoedShort: a 404 repeats the id it could not find, cut to
// a bounded length, never the whole of what the caller sent.
func TestLongIDsEchoedShort(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Long ids")
	for _, path := range []string{
		base + "/accounts/MA_" + strings.Repeat("A", 5000),
		base + "/events/evt_" + strings.Repeat("é", 3000),
		base + "/webhook-endpoints/we_" + strings.Repeat("w", 5000),
	} {
		r := e.get(t, path, p)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %.40s… = %d, want 404", path, r.status)
			continue
		}
		m := str(r.body["message"])
		if len(m) > 300 || !strings.Contains(m, "…") || !utf8.ValidString(m) {
			t.Errorf("GET %.40s…: message of %d bytes %q, want a short valid one marking the cut", path, len(m), m)
		}
	}
}
