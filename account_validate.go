package partnerd

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezones must load the same on every host, even one without /usr/share/zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Account types.
const (
	AccountTypeStandard   = "standard"
	AccountTypePremium    = "premium"
	AccountTypeEnterprise = "enterprise"
)

// GST registration statuses.
const (
	GSTStatusActive   = "active"
	GSTStatusInactive = "inactive"
)

// Length limits of account fields, in characters (runes).
const (
	maxNameLen     = 100
	maxEmailLen    = 254 // RFC 5321 path limit
	minPasswordLen = 8
	maxPasswordLen = 128
	maxTextLen     = 500
	maxZipCodeLen  = 20
)

const passwordTooWeak = "password must be at least 8 characters and include a number and a special character"

// Validate normalizes the fields of in (trims the name, lower-cases the
// email, upper-cases country and gstin, fills default timezone and account
// type) and returns a validation_error listing every invalid field.
// The password never appears in a message.
func (in *AccountInput) Validate() error {
	var fe FieldErrors

	in.Name = validateName(&fe, in.Name)
	in.Email = validateEmail(&fe, in.Email)
	validatePassword(&fe, in.Password)

	country, countryOK := NormalizeCountry(in.Country)
	in.Country = country
	switch {
	case country == "":
		fe.Add("country", FCRequired, "country is required")
	case !countryOK:
		fe.Add("country", FCInvalidValue, "country must be an ISO 3166-1 alpha-2 code")
	}

	// The phone is stored as given; only surrounding spaces go. Without a
	// valid country there is nothing to check it against, so the country
	// error alone is reported.
	in.Phone = strings.TrimSpace(in.Phone)
	switch {
	case in.Phone == "":
		fe.Add("phone", FCRequired, "phone is required")
	case countryOK && !validPhone(in.Phone, country):
		fe.Add("phone", FCInvalidFormat, "phone must be a valid phone number for country "+country)
	}

	validateText(&fe, "description", in.Description, maxTextLen)
	validateText(&fe, "company", in.Company, maxTextLen)
	validateText(&fe, "address", in.Address, maxTextLen)
	validateText(&fe, "city", in.City, maxTextLen)
	validateText(&fe, "state", in.State, maxTextLen)
	validateText(&fe, "zip_code", in.ZipCode, maxZipCodeLen)

	if in.Timezone == nil {
		utc := "UTC"
		in.Timezone = &utc
	} else {
		tz := strings.TrimSpace(*in.Timezone)
		in.Timezone = &tz
		if !validTimezone(tz) {
			fe.Add("timezone", FCInvalidValue, "timezone must be an IANA time zone name such as Asia/Kolkata")
		}
	}

	if in.GSTIN != nil {
		g := strings.ToUpper(strings.TrimSpace(*in.GSTIN))
		in.GSTIN = &g
		switch {
		case countryOK && country != "IN":
			fe.Add("gstin", FCNotAllowed, "gstin is only allowed when country is IN")
		case !validGSTIN(g):
			fe.Add("gstin", FCInvalidFormat, "gstin must be a 15-character GSTIN such as 29AAPFU0939F1ZV")
		}
	}

	if in.GSTStatus != nil {
		switch {
		case in.GSTIN == nil:
			fe.Add("gst_status", FCNotAllowed, "gst_status is only allowed with gstin")
		case *in.GSTStatus != GSTStatusActive && *in.GSTStatus != GSTStatusInactive:
			fe.Add("gst_status", FCInvalidValue, "gst_status must be active or inactive")
		}
	}

	if in.AccountType == nil {
		standard := AccountTypeStandard
		in.AccountType = &standard
	} else {
		switch *in.AccountType {
		case AccountTypeStandard, AccountTypePremium, AccountTypeEnterprise:
		default:
			fe.Add("account_type", FCInvalidValue, "account_type must be one of standard, premium, enterprise")
		}
	}

	return fe.Err()
}

// validateName checks a required display name and returns it trimmed.
func validateName(fe *FieldErrors, name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		fe.Add("name", FCRequired, "name is required")
	case utf8.RuneCountInString(name) > maxNameLen:
		fe.Add("name", FCTooLong, "name must be at most 100 characters")
	}
	return name
}

// validateEmail checks a required bare email address and returns it trimmed
// and lower-cased.
func validateEmail(fe *FieldErrors, email string) string {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		fe.Add("email", FCRequired, "email is required")
	case utf8.RuneCountInString(email) > maxEmailLen:
		fe.Add("email", FCTooLong, "email must be at most 254 characters")
	case !validEmail(email):
		fe.Add("email", FCInvalidFormat, "email must be a valid address")
	}
	return strings.ToLower(email)
}

// validEmail accepts only a bare address (no display name, no angle
// brackets, no comments) whose domain has at least one dot.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

func validatePassword(fe *FieldErrors, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		fe.Add("password", FCRequired, "password is required")
	case n > maxPasswordLen:
		fe.Add("password", FCTooLong, "password must be at most 128 characters")
	case n < minPasswordLen || !strings.ContainsFunc(pw, unicode.IsDigit) || !strings.ContainsFunc(pw, isSpecial):
		fe.Add("password", FCTooWeak, passwordTooWeak)
	}
}

func isSpecial(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// validPhone reports whether phone, in national form for country or in
// E.164 form, is a valid number of country. IsValidNumberForRegion also
// rejects an E.164 number that belongs to another country.
func validPhone(phone, country string) bool {
	num, err := phonenumbers.Parse(phone, country)
	return err == nil && phonenumbers.IsValidNumberForRegion(num, country)
}

// validateText checks an optional free-text field's length. The value is
// kept exactly as given.
func validateText(fe *FieldErrors, field string, v *string, max int) {
	if v != nil && utf8.RuneCountInString(*v) > max {
		fe.Add(field, FCTooLong, field+" must be at most "+strconv.Itoa(max)+" characters")
	}
}

// validTimezone accepts IANA names only: "" and "Local" would make
// time.LoadLocation return the server's zone, which is no customer's.
func validTimezone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// validGSTIN checks the shape of an upper-cased GSTIN. The final check
// character is not verified: the published example fails the checksum.
func validGSTIN(g string) bool {
	if len(g) != 15 {
		return false
	}
	switch g[:2] {
	case "97", "99":
	default:
		if !isDigit(g[0]) || !isDigit(g[1]) {
			return false
		}
		if st := int(g[0]-'0')*10 + int(g[1]-'0'); st < 1 || st > 38 {
			return false
		}
	}
	pan := g[2:12]
	for i := range 5 {
		if !isUpper(pan[i]) {
			return false
		}
	}
	for i := 5; i < 9; i++ {
		if !isDigit(pan[i]) {
			return false
		}
	}
	if !isUpper(pan[9]) {
		return false
	}
	entity := g[12]
	if !isUpper(entity) && (entity < '1' || entity > '9') {
		return false
	}
	return g[13] == 'Z' && (isUpper(g[14]) || isDigit(g[14]))
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
