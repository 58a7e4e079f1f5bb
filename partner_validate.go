package partnerd

// Validate normalizes the fields of in (trims the name, lower-cases the
// email, upper-cases the currency, defaulting a blank one to
// DefaultCurrency, turns a blank company into nil) and returns a
// validation_error listing every invalid field.
func (in *PartnerInput) Validate() error {
	var fe FieldErrors
	in.Name = validateName(&fe, in.Name)
	in.Email = validateEmail(&fe, in.Email)
	in.Company = optionalText(&fe, "company", in.Company, lineText, maxTextLen)
	if checkText(&fe, "currency", in.Currency, lineText) {
		if isBlank(in.Currency) {
			in.Currency = DefaultCurrency
		}
		cur, ok := NormalizeCurrency(in.Currency)
		in.Currency = cur
		if !ok {
			fe.Add("currency", FCInvalidValue, "currency must be a supported ISO 4217 code such as INR")
		}
	}
	return fe.Err()
}
