package partnerd

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validAccountInput is the example body of the published page.
func validAccountInput() AccountInput {
	s := func(v string) *string { return &v }
	return AccountInput{
		Name:        "Credresolve",
		Email:       "admin@credresolve.com",
		Password:    "SecurePass@123",
		Phone:       "9431538535",
		Country:     "IN",
		Description: s("Debt collection and recovery services"),
		Company:     s("Credresolve Private Limited"),
		Address:     s("123 Brigade Road"),
		City:        s("Bangalore"),
		State:       s("Karnataka"),
		ZipCode:     s("560001"),
		Timezone:    s("Asia/Kolkata"),
		GSTIN:       s("29AAPFU0939F1ZV"),
		GSTStatus:   s("active"),
		AccountType: s("standard"),
	}
}

// fieldCode is what a test asserts about one invalid field.
type fieldCode struct{ Field, Code string }

// mustFieldCodes returns the (field, code) pairs of a validation error, or
// nil for a nil error, failing the test on any other kind of error.
func mustFieldCodes(t *testing.T, err error) []fieldCode {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T (%v), want *Error", err, err)
	}
	if e.Code != ECValidation {
		t.Fatalf("error code = %q, want %q", e.Code, ECValidation)
	}
	if len(e.Fields) == 0 {
		t.Fatalf("validation error lists no fields")
	}
	var got []fieldCode
	for _, f := range e.Fields {
		if f.Message == "" {
			t.Errorf("field %q has an empty message", f.Field)
		}
		got = append(got, fieldCode{f.Field, f.Code})
	}
	return got
}

func strPtr(s string) *string { return &s }

func TestAccountInputValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(in *AccountInput)
		want   []fieldCode // nil: valid
	}{
		{"published example", func(in *AccountInput) {}, nil},
		{"only required fields", func(in *AccountInput) {
			in.Description, in.Company, in.Address, in.City, in.State, in.ZipCode = nil, nil, nil, nil, nil, nil
			in.Timezone, in.GSTIN, in.GSTStatus, in.AccountType = nil, nil, nil, nil
		}, nil},

		// name
		{"name 100 runes", func(in *AccountInput) { in.Name = strings.Repeat("é", 100) }, nil},
		{"name 101 runes", func(in *AccountInput) { in.Name = strings.Repeat("é", 101) }, []fieldCode{{"name", FCTooLong}}},
		{"name 100 runes with padding", func(in *AccountInput) { in.Name = "  " + strings.Repeat("a", 100) + "  " }, nil},
		{"name 1 rune", func(in *AccountInput) { in.Name = "X" }, nil},
		{"name empty", func(in *AccountInput) { in.Name = "" }, []fieldCode{{"name", FCRequired}}},
		{"name whitespace", func(in *AccountInput) { in.Name = " \u00a0\u3000 " }, []fieldCode{{"name", FCRequired}}},
		{"name zero-width", func(in *AccountInput) { in.Name = "\u200b\ufeff" }, []fieldCode{{"name", FCRequired}}},
		{"name tab and newline", func(in *AccountInput) { in.Name = " \t\n " }, []fieldCode{{"name", FCInvalidFormat}}},
		{"name override", func(in *AccountInput) { in.Name = "Cred\u202eresolve" }, []fieldCode{{"name", FCInvalidFormat}}},

		// email
		{"email empty", func(in *AccountInput) { in.Email = "" }, []fieldCode{{"email", FCRequired}}},
		{"email 254 chars", func(in *AccountInput) { in.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" }, nil},
		{"email 255 chars", func(in *AccountInput) { in.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com" }, []fieldCode{{"email", FCTooLong}}},
		{"email display name", func(in *AccountInput) { in.Email = "Admin <admin@credresolve.com>" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email angle brackets", func(in *AccountInput) { in.Email = "<admin@credresolve.com>" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email comment", func(in *AccountInput) { in.Email = "admin@credresolve.com (Admin)" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email no at", func(in *AccountInput) { in.Email = "admin.credresolve.com" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email dotless domain (net/mail's)", func(in *AccountInput) { in.Email = "admin@localhost" }, nil},
		{"email two addresses", func(in *AccountInput) { in.Email = "a@b.com, c@d.com" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email padded", func(in *AccountInput) { in.Email = "  admin@credresolve.com " }, nil},
		{"email newline", func(in *AccountInput) { in.Email = "admin@credresolve.com\n" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"email isolate", func(in *AccountInput) { in.Email = "admin\u2066@credresolve.com" }, []fieldCode{{"email", FCInvalidFormat}}},

		// password
		{"password empty", func(in *AccountInput) { in.Password = "" }, []fieldCode{{"password", FCRequired}}},
		{"password 7 chars", func(in *AccountInput) { in.Password = "Abcd@12" }, []fieldCode{{"password", FCTooWeak}}},
		{"password 8 chars", func(in *AccountInput) { in.Password = "Abcd@123" }, nil},
		{"password no digit", func(in *AccountInput) { in.Password = "SecurePass@abc" }, []fieldCode{{"password", FCTooWeak}}},
		{"password no special", func(in *AccountInput) { in.Password = "SecurePass123" }, []fieldCode{{"password", FCTooWeak}}},
		{"password 128 chars", func(in *AccountInput) { in.Password = "@1" + strings.Repeat("a", 126) }, nil},
		{"password ESC", func(in *AccountInput) { in.Password = "Secure\x1bPass@123" }, []fieldCode{{"password", FCInvalidFormat}}},
		{"password with spaces", func(in *AccountInput) { in.Password = " Secure Pass@123 " }, nil},
		{"password 129 chars", func(in *AccountInput) { in.Password = "@1" + strings.Repeat("a", 127) }, []fieldCode{{"password", FCTooLong}}},

		// country and phone
		{"country empty", func(in *AccountInput) { in.Country = "" }, []fieldCode{{"country", FCRequired}}},
		{"country unknown", func(in *AccountInput) { in.Country = "XX"; in.GSTIN, in.GSTStatus = nil, nil }, []fieldCode{{"country", FCInvalidValue}}},
		{"country alpha-3", func(in *AccountInput) { in.Country = "IND" }, []fieldCode{{"country", FCInvalidValue}}},
		{"country lowercase", func(in *AccountInput) { in.Country = "in" }, nil},
		{"phone empty", func(in *AccountInput) { in.Phone = "" }, []fieldCode{{"phone", FCRequired}}},
		{"phone empty and country unknown", func(in *AccountInput) { in.Phone, in.Country = " ", "XX"; in.GSTIN, in.GSTStatus = nil, nil },
			[]fieldCode{{"country", FCInvalidValue}, {"phone", FCRequired}}},
		{"phone blank", func(in *AccountInput) { in.Phone = "\u200b" }, []fieldCode{{"phone", FCRequired}}},
		{"phone tab", func(in *AccountInput) { in.Phone = "94315\t38535" }, []fieldCode{{"phone", FCInvalidFormat}}},
		{"country newline", func(in *AccountInput) { in.Country = "IN\n" }, []fieldCode{{"country", FCInvalidFormat}}},
		{"phone too short", func(in *AccountInput) { in.Phone = "12345" }, []fieldCode{{"phone", FCInvalidFormat}}},
		{"phone not a number", func(in *AccountInput) { in.Phone = "call me" }, []fieldCode{{"phone", FCInvalidFormat}}},
		{"phone E.164 of country", func(in *AccountInput) { in.Phone = "+919431538535" }, nil},
		{"phone E.164 of another country", func(in *AccountInput) { in.Phone = "+14155552671" }, []fieldCode{{"phone", FCInvalidFormat}}},
		{"phone US number for US", func(in *AccountInput) {
			in.Phone, in.Country, in.GSTIN, in.GSTStatus = "+1 415 555 2671", "US", nil, nil
		}, nil},
		{"phone not checked without a valid country", func(in *AccountInput) {
			in.Phone, in.Country, in.GSTIN, in.GSTStatus = "12345", "XX", nil, nil
		}, []fieldCode{{"country", FCInvalidValue}}},

		// optional text
		{"description 500 chars", func(in *AccountInput) { in.Description = strPtr(strings.Repeat("d", 500)) }, nil},
		{"description 501 chars", func(in *AccountInput) { in.Description = strPtr(strings.Repeat("d", 501)) }, []fieldCode{{"description", FCTooLong}}},
		{"company 501 chars", func(in *AccountInput) { in.Company = strPtr(strings.Repeat("c", 501)) }, []fieldCode{{"company", FCTooLong}}},
		{"address 501 chars", func(in *AccountInput) { in.Address = strPtr(strings.Repeat("a", 501)) }, []fieldCode{{"address", FCTooLong}}},
		{"city 501 chars", func(in *AccountInput) { in.City = strPtr(strings.Repeat("c", 501)) }, []fieldCode{{"city", FCTooLong}}},
		{"state 500 runes", func(in *AccountInput) { in.State = strPtr(strings.Repeat("ś", 500)) }, nil},
		{"state 501 chars", func(in *AccountInput) { in.State = strPtr(strings.Repeat("s", 501)) }, []fieldCode{{"state", FCTooLong}}},
		{"zip_code 20 chars", func(in *AccountInput) { in.ZipCode = strPtr(strings.Repeat("9", 20)) }, nil},
		{"zip_code 21 chars", func(in *AccountInput) { in.ZipCode = strPtr(strings.Repeat("9", 21)) }, []fieldCode{{"zip_code", FCTooLong}}},
		{"empty optional text", func(in *AccountInput) { in.Description, in.ZipCode = strPtr(""), strPtr("   ") }, nil},
		{"description newlines and tabs", func(in *AccountInput) { in.Description = strPtr("a\n\tb\r\nc\u2028d") }, nil},
		{"description ESC", func(in *AccountInput) { in.Description = strPtr("a\x1b[2J") }, []fieldCode{{"description", FCInvalidFormat}}},
		{"description NUL", func(in *AccountInput) { in.Description = strPtr("a\x00b") }, []fieldCode{{"description", FCInvalidFormat}}},
		{"description isolate", func(in *AccountInput) { in.Description = strPtr("a\u2067b") }, []fieldCode{{"description", FCInvalidFormat}}},
		{"address newline", func(in *AccountInput) { in.Address = strPtr("1 Road\n2 Lane") }, []fieldCode{{"address", FCInvalidFormat}}},
		{"company C1", func(in *AccountInput) { in.Company = strPtr("Cred\u0085") }, []fieldCode{{"company", FCInvalidFormat}}},

		// timezone
		{"timezone bad", func(in *AccountInput) { in.Timezone = strPtr("Mars/Olympus") }, []fieldCode{{"timezone", FCInvalidValue}}},
		{"timezone Local", func(in *AccountInput) { in.Timezone = strPtr("Local") }, []fieldCode{{"timezone", FCInvalidValue}}},
		{"timezone empty is UTC", func(in *AccountInput) { in.Timezone = strPtr("") }, nil},
		{"timezone newline", func(in *AccountInput) { in.Timezone = strPtr("UTC\n") }, []fieldCode{{"timezone", FCInvalidFormat}}},
		{"timezone path", func(in *AccountInput) { in.Timezone = strPtr("../../etc/passwd") }, []fieldCode{{"timezone", FCInvalidValue}}},
		{"timezone UTC", func(in *AccountInput) { in.Timezone = strPtr("UTC") }, nil},
		{"timezone America/New_York", func(in *AccountInput) { in.Timezone = strPtr("America/New_York") }, nil},

		// gstin and gst_status
		{"gstin with country US", func(in *AccountInput) { in.Country, in.Phone = "US", "+14155552671" }, []fieldCode{{"gstin", FCNotAllowed}}},
		{"gstin state 00", func(in *AccountInput) { in.GSTIN = strPtr("00AAPFU0939F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin state 01", func(in *AccountInput) { in.GSTIN = strPtr("01AAPFU0939F1ZV") }, nil},
		{"gstin state 38", func(in *AccountInput) { in.GSTIN = strPtr("38AAPFU0939F1ZV") }, nil},
		{"gstin state 39", func(in *AccountInput) { in.GSTIN = strPtr("39AAPFU0939F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin state 96", func(in *AccountInput) { in.GSTIN = strPtr("96AAPFU0939F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin state 97", func(in *AccountInput) { in.GSTIN = strPtr("97AAPFU0939F1ZV") }, nil},
		{"gstin state 98", func(in *AccountInput) { in.GSTIN = strPtr("98AAPFU0939F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin state 99", func(in *AccountInput) { in.GSTIN = strPtr("99AAPFU0939F1ZV") }, nil},
		{"gstin lowercase", func(in *AccountInput) { in.GSTIN = strPtr("29aapfu0939f1zv") }, nil},
		{"gstin 14 chars", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1Z") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin 16 chars", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1ZVV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin digit in PAN letters", func(in *AccountInput) { in.GSTIN = strPtr("29AAPF10939F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin letter in PAN digits", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU09X9F1ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin digit as PAN last", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU093911ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin entity 0", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F0ZV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin entity letter", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939FAZV") }, nil},
		{"gstin no Z", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1YV") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin check digit", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1Z5") }, nil},
		{"gstin check symbol", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1Z-") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gstin empty", func(in *AccountInput) { in.GSTIN, in.GSTStatus = strPtr(""), nil }, nil},
		{"gstin empty with gst_status", func(in *AccountInput) { in.GSTIN = strPtr("") }, []fieldCode{{"gst_status", FCNotAllowed}}},
		{"gstin multibyte", func(in *AccountInput) { in.GSTIN = strPtr("29AAPFU0939F1Zé") }, []fieldCode{{"gstin", FCInvalidFormat}}},
		{"gst_status without gstin", func(in *AccountInput) { in.GSTIN = nil }, []fieldCode{{"gst_status", FCNotAllowed}}},
		{"gst_status inactive", func(in *AccountInput) { in.GSTStatus = strPtr("inactive") }, nil},
		{"gst_status bad", func(in *AccountInput) { in.GSTStatus = strPtr("pending") }, []fieldCode{{"gst_status", FCInvalidValue}}},
		{"gstin without gst_status", func(in *AccountInput) { in.GSTStatus = nil }, nil},

		// account_type
		{"account_type premium", func(in *AccountInput) { in.AccountType = strPtr("premium") }, nil},
		{"account_type enterprise", func(in *AccountInput) { in.AccountType = strPtr("enterprise") }, nil},
		{"account_type bad", func(in *AccountInput) { in.AccountType = strPtr("gold") }, []fieldCode{{"account_type", FCInvalidValue}}},
		{"account_type empty is standard", func(in *AccountInput) { in.AccountType = strPtr("") }, nil},
		{"account_type override", func(in *AccountInput) { in.AccountType = strPtr("\u202estandard") }, []fieldCode{{"account_type", FCInvalidFormat}}},

		// every bad field at once
		{"many bad fields", func(in *AccountInput) {
			in.Name = ""
			in.Email = "Admin <admin@credresolve.com>"
			in.Password = "short"
			in.Phone = "12345"
			in.ZipCode = strPtr(strings.Repeat("9", 21))
			in.Timezone = strPtr("Local")
			in.GSTIN = strPtr("39AAPFU0939F1ZV")
			in.GSTStatus = strPtr("pending")
			in.AccountType = strPtr("gold")
		}, []fieldCode{
			{"name", FCRequired},
			{"email", FCInvalidFormat},
			{"password", FCTooWeak},
			{"phone", FCInvalidFormat},
			{"zip_code", FCTooLong},
			{"timezone", FCInvalidValue},
			{"gstin", FCInvalidFormat},
			{"gst_status", FCInvalidValue},
			{"account_type", FCInvalidValue},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validAccountInput()
			tt.modify(&in)
			got := mustFieldCodes(t, in.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccountInputValidateNormalizes(t *testing.T) {
	in := validAccountInput()
	in.Name = "  Credresolve \u3000"
	in.Email = " Admin@CredResolve.COM "
	in.Country = " in"
	in.Phone = "  +91 94315 38535 "
	in.GSTIN = strPtr("29aapfu0939f1zv")
	in.Timezone = nil
	in.AccountType = nil
	in.ZipCode = strPtr(" 560001 ")
	if err := in.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	want := validAccountInput()
	want.Email = "admin@credresolve.com"
	want.Phone = "+91 94315 38535" // as given, less surrounding spaces
	want.Timezone = strPtr("UTC")
	want.ZipCode = strPtr(" 560001 ") // optional text is kept as given
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("normalized input mismatch (-want +got):\n%s", diff)
	}
}

func TestAccountInputValidateNeverShowsPassword(t *testing.T) {
	for _, pw := range []string{"weakpass", "Qz9!", "@1" + strings.Repeat("s3cr3t", 30)} {
		in := validAccountInput()
		in.Password = pw
		in.Email = pw // a password pasted into the wrong field is not echoed either
		err := in.Validate()
		if err == nil {
			t.Fatalf("Validate() with password %q = nil, want an error", pw)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error is %T, want *Error", err)
		}
		texts := []string{err.Error(), e.Message}
		for _, f := range e.Fields {
			texts = append(texts, f.Message)
		}
		for _, s := range texts {
			if strings.Contains(s, pw) {
				t.Errorf("error text %q contains the password", s)
			}
		}
	}
}

func TestPartnerInputValidate(t *testing.T) {
	valid := func() PartnerInput {
		return PartnerInput{Name: "Acme Telecom", Email: "ops@acme.example", Company: strPtr("Acme Pvt Ltd"), Currency: "INR"}
	}
	tests := []struct {
		name   string
		modify func(in *PartnerInput)
		want   []fieldCode
	}{
		{"valid", func(in *PartnerInput) {}, nil},
		{"no company", func(in *PartnerInput) { in.Company = nil }, nil},
		{"no currency", func(in *PartnerInput) { in.Currency = "" }, nil},
		{"lowercase currency", func(in *PartnerInput) { in.Currency = "usd" }, nil},
		{"unknown currency", func(in *PartnerInput) { in.Currency = "XYZ" }, []fieldCode{{"currency", FCInvalidValue}}},
		{"name empty", func(in *PartnerInput) { in.Name = "  " }, []fieldCode{{"name", FCRequired}}},
		{"name 100 runes", func(in *PartnerInput) { in.Name = strings.Repeat("n", 100) }, nil},
		{"name 101 runes", func(in *PartnerInput) { in.Name = strings.Repeat("n", 101) }, []fieldCode{{"name", FCTooLong}}},
		{"email empty", func(in *PartnerInput) { in.Email = "" }, []fieldCode{{"email", FCRequired}}},
		{"email display name", func(in *PartnerInput) { in.Email = "Ops <ops@acme.example>" }, []fieldCode{{"email", FCInvalidFormat}}},
		{"company 500 chars", func(in *PartnerInput) { in.Company = strPtr(strings.Repeat("c", 500)) }, nil},
		{"company 501 chars", func(in *PartnerInput) { in.Company = strPtr(strings.Repeat("c", 501)) }, []fieldCode{{"company", FCTooLong}}},
		{"all bad", func(in *PartnerInput) {
			in.Name, in.Email, in.Company, in.Currency = "", "nope", strPtr(strings.Repeat("c", 501)), "ZZZ"
		}, []fieldCode{{"name", FCRequired}, {"email", FCInvalidFormat}, {"company", FCTooLong}, {"currency", FCInvalidValue}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.modify(&in)
			got := mustFieldCodes(t, in.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPartnerInputValidateNormalizes(t *testing.T) {
	tests := []struct {
		in, want PartnerInput
	}{
		{PartnerInput{Name: " Acme ", Email: "OPS@Acme.Example", Currency: "usd"},
			PartnerInput{Name: "Acme", Email: "ops@acme.example", Currency: "USD"}},
		{PartnerInput{Name: "Acme", Email: "ops@acme.example"},
			PartnerInput{Name: "Acme", Email: "ops@acme.example", Currency: DefaultCurrency}},
	}
	for _, tt := range tests {
		in := tt.in
		if err := in.Validate(); err != nil {
			t.Fatalf("Validate(%+v) = %v, want nil", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, in); diff != "" {
			t.Errorf("normalized input mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestNormalizeCountry(t *testing.T) {
	if n := len(strings.Fields(isoCountryCodes)); n != 249 {
		t.Errorf("isoCountryCodes has %d codes, want 249", n)
	}
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"IN", "IN", true},
		{"in", "IN", true},
		{" us ", "US", true},
		{"ZW", "ZW", true},
		{"AD", "AD", true},
		{"XX", "XX", false},
		{"UK", "UK", false}, // reserved, not assigned
		{"EU", "EU", false},
		{"IND", "IND", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeCountry(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeCountry(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
