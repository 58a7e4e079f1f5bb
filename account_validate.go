package partnerd

import (
	"net/mail"
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
// type, turns blank optional fields into nil) and returns a
// validation_error listing every invalid field. Every text field passes
// checkText first. The password never appears in a message.
func (in *AccountInput) Validate() error {
	return in.validate(true)
}

// validate is Validate; without withPassword the password is not checked
// (an update that keeps the stored one).
func (in *AccountInput) validate(withPassword bool) error {
	var fe FieldErrors

	in.Name = validateName(&fe, in.Name)
	in.Email = validateEmail(&fe, in.Email)
	if withPassword {
		validatePassword(&fe, in.Password)
	}

	country, countryOK := in.Country, false
	if c, ok := requiredLine(&fe, "country", in.Country, 0); ok {
		country, countryOK = NormalizeCountry(c)
		if !countryOK {
			fe.Add("country", FCInvalidValue, "country must be an ISO 3166-1 alpha-2 code")
		}
	}
	in.Country = country

	// The phone is stored as given; only surrounding spaces go. Without a
	// valid country there is nothing to check it against, so the country
	// error alone is reported.
	phone, phoneOK := requiredLine(&fe, "phone", in.Phone, 0)
	in.Phone = phone
	if phoneOK && countryOK && !validPhone(phone, country) {
		fe.Add("phone", FCInvalidFormat, "phone must be a valid phone number for country "+country)
	}

	in.Description = optionalText(&fe, "description", in.Description, blockText, maxTextLen)
	in.Company = optionalText(&fe, "company", in.Company, lineText, maxTextLen)
	in.Address = optionalText(&fe, "address", in.Address, lineText, maxTextLen)
	in.City = optionalText(&fe, "city", in.City, lineText, maxTextLen)
	in.State = optionalText(&fe, "state", in.State, lineText, maxTextLen)
	in.ZipCode = optionalText(&fe, "zip_code", in.ZipCode, lineText, maxZipCodeLen)

	if in.LowBalanceThreshold != nil && *in.LowBalanceThreshold < 0 {
		fe.Add("low_balance_threshold", FCOutOfRange, "low_balance_threshold must not be negative")
	}

	in.Timezone = optionalText(&fe, "timezone", in.Timezone, lineText, 0)
	switch {
	case fe.Has("timezone"):
	case in.Timezone == nil:
		utc := "UTC"
		in.Timezone = &utc
	default:
		tz := strings.TrimSpace(*in.Timezone)
		in.Timezone = &tz
		if !validTimezone(tz) {
			fe.Add("timezone", FCInvalidValue, "timezone must be an IANA time zone name such as Asia/Kolkata")
		}
	}

	in.GSTIN = optionalText(&fe, "gstin", in.GSTIN, lineText, 0)
	if in.GSTIN != nil && !fe.Has("gstin") {
		g := strings.ToUpper(strings.TrimSpace(*in.GSTIN))
		in.GSTIN = &g
		switch {
		case countryOK && country != "IN":
			fe.Add("gstin", FCNotAllowed, "gstin is only allowed when country is IN")
		case !validGSTIN(g):
			fe.Add("gstin", FCInvalidFormat, "gstin must be a 15-character GSTIN such as 29AAPFU0939F1ZV")
		}
	}

	in.GSTStatus = optionalText(&fe, "gst_status", in.GSTStatus, lineText, 0)
	if in.GSTStatus != nil && !fe.Has("gst_status") {
		switch {
		case in.GSTIN == nil:
			fe.Add("gst_status", FCNotAllowed, "gst_status is only allowed with gstin")
		case *in.GSTStatus != GSTStatusActive && *in.GSTStatus != GSTStatusInactive:
			fe.Add("gst_status", FCInvalidValue, "gst_status must be active or inactive")
		}
	}

	in.AccountType = optionalText(&fe, "account_type", in.AccountType, lineText, 0)
	switch {
	case fe.Has("account_type"):
	case in.AccountType == nil:
		standard := AccountTypeStandard
		in.AccountType = &standard
	case *in.AccountType != AccountTypeStandard && *in.AccountType != AccountTypePremium && *in.AccountType != AccountTypeEnterprise:
		fe.Add("account_type", FCInvalidValue, "account_type must be one of standard, premium, enterprise")
	}

	return fe.Err()
}

// Filter returns the filter the parameters ask for, or a validation_error
// listing every bad parameter. A blank search is no search.
func (q AccountParams) Filter() (AccountFilter, error) {
	var fe FieldErrors
	f := AccountFilter{Page: q.Page.Parse(&fe)}
	// No name or email is longer than an email can be: a longer term
	// is a mistake, not a search for nothing.
	if s := optionalText(&fe, "search", q.Search, lineText, maxEmailLen); s != nil && !fe.Has("search") {
		f.Search = *s
	}
	if q.Status != nil {
		switch st := *q.Status; st {
		case StatusActive, StatusSuspended, StatusClosed:
			f.Status = st
		default:
			fe.Add("status", FCInvalidValue, "status must be one of active, suspended, closed")
		}
	}
	return f, fe.Err()
}

// validateName checks a required display name and returns it trimmed.
func validateName(fe *FieldErrors, name string) string {
	name, _ = requiredLine(fe, "name", name, maxNameLen)
	return name
}

// validateEmail checks a required bare email address and returns it trimmed
// and lower-cased.
func validateEmail(fe *FieldErrors, email string) string {
	email, ok := requiredLine(fe, "email", email, maxEmailLen)
	if ok && !validEmail(email) {
		fe.Add("email", FCInvalidFormat, "email must be a valid address")
	}
	return strings.ToLower(email)
}

// validEmail accepts an address net/mail accepts (API.md §3), given bare:
// no display name, angle brackets, comments or quoting, so that what is
// stored is the address itself. A domain without a dot (admin@localhost)
// is such an address.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func validatePassword(fe *FieldErrors, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case !checkText(fe, "password", pw, lineText):
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
