package partnerd

import "strings"

// Validate normalizes the fields of in (trims the name, lower-cases the
// email, upper-cases the currency, defaulting it to DefaultCurrency) and
// returns a validation_error listing every invalid field.
func (in *PartnerInput) Validate() error {
	var fe FieldErrors
	in.Name = validateName(&fe, in.Name)
	in.Email = validateEmail(&fe, in.Email)
	validateText(&fe, "company", in.Company, maxTextLen)
	if strings.TrimSpace(in.Currency) == "" {
		in.Currency = DefaultCurrency
	}
	cur, ok := NormalizeCurrency(in.Currency)
	in.Currency = cur
	if !ok {
		fe.Add("currency", FCInvalidValue, "currency must be a supported ISO 4217 code such as INR")
	}
	return fe.Err()
}
