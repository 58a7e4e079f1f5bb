package partnerd_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

func TestNumberInputValidate(t *testing.T) {
	region := "  Mumbai "
	blank := " "
	bad := "a\x00b"
	for _, c := range []struct {
		name       string
		in         partnerd.NumberInput
		want       partnerd.NumberInput
		wantFields []string
	}{
		{"defaults", partnerd.NumberInput{Number: "+912271264217"},
			partnerd.NumberInput{Number: "+912271264217", Type: partnerd.NumberLocal}, nil},
		{"spaced E.164 is normalized", partnerd.NumberInput{Number: " +91 22 7126 4217", Type: "tollfree", Region: &region, MonthlyCost: 100},
			partnerd.NumberInput{Number: "+912271264217", Type: "tollfree", Region: textPtr("Mumbai"), MonthlyCost: 100}, nil},
		{"blank region is none", partnerd.NumberInput{Number: "+14155550100", Region: &blank},
			partnerd.NumberInput{Number: "+14155550100", Type: partnerd.NumberLocal}, nil},
		{"national form", partnerd.NumberInput{Number: "02271264217"}, partnerd.NumberInput{}, []string{"number"}},
		{"invalid number", partnerd.NumberInput{Number: "+9100"}, partnerd.NumberInput{}, []string{"number"}},
		{"missing number", partnerd.NumberInput{}, partnerd.NumberInput{}, []string{"number"}},
		{"everything wrong", partnerd.NumberInput{Number: "x", Type: "landline", Region: &bad, MonthlyCost: -1},
			partnerd.NumberInput{}, []string{"number", "type", "region", "monthly_cost"}},
	} {
		in := c.in
		err := in.Validate()
		var got []string
		if err != nil {
			if partnerd.ErrorCode(err) != partnerd.ECValidation {
				t.Errorf("%s: error %v, want validation_error", c.name, err)
			}
			var pe *partnerd.Error
			errors.As(err, &pe)
			for _, f := range pe.Fields {
				got = append(got, f.Field)
			}
		}
		if diff := cmp.Diff(c.wantFields, got); diff != "" {
			t.Errorf("%s: bad fields (-want +got):\n%s", c.name, diff)
		}
		if c.wantFields == nil {
			if diff := cmp.Diff(c.want, in); diff != "" {
				t.Errorf("%s: normalized (-want +got):\n%s", c.name, diff)
			}
		}
	}
}

func TestNumberCountry(t *testing.T) {
	for n, want := range map[string]string{"+912271264217": "IN", "+14155550100": "US", "+442071838750": "GB", "junk": ""} {
		if got := partnerd.NumberCountry(n); got != want {
			t.Errorf("NumberCountry(%s) = %q, want %q", n, got, want)
		}
	}
}

func TestNumberParamsFilter(t *testing.T) {
	f, err := partnerd.NumberParams{Status: textPtr("assigned"), Search: textPtr(" 2271 ")}.Filter()
	if err != nil || f.Status != "assigned" || f.Search != "2271" || f.Page != (partnerd.Page{Page: 1, Size: 20}) {
		t.Errorf("Filter = %+v, %v", f, err)
	}
	_, err = partnerd.NumberParams{Status: textPtr("gone"), Page: partnerd.PageParams{Size: textPtr("0")}}.Filter()
	var pe *partnerd.Error
	if !errors.As(err, &pe) || pe.Code != partnerd.ECValidation || len(pe.Fields) != 2 {
		t.Errorf("Filter(bad status and size) = %v, want two bad fields", err)
	}
}

func textPtr(s string) *string { return &s }

func TestParseMonthlyCost(t *testing.T) {
	for _, c := range []struct {
		text, currency string
		want           int64
		bad            bool
	}{
		{"25.00", "INR", 2500, false},
		{" 0 ", "INR", 0, false},
		{"7", "JPY", 7, false},
		{"1.5", "JPY", 0, true},
		{"1.234", "INR", 0, true},
		{"-1", "INR", 0, true},
		{"", "INR", 0, true},
		{"abc", "INR", 0, true},
	} {
		var fe partnerd.FieldErrors
		got := partnerd.ParseMonthlyCost(&fe, "monthly_cost", c.text, c.currency)
		if got != c.want || fe.Has("monthly_cost") != c.bad {
			t.Errorf("ParseMonthlyCost(%q, %s) = %d, errors %v; want %d, bad %v", c.text, c.currency, got, fe, c.want, c.bad)
		}
	}
	// ValidateWith reports the reading's errors beside the input's own.
	in := partnerd.NumberInput{Number: "+912271264217", Type: "fax"}
	err := in.ValidateWith(partnerd.FieldErrors{{Field: "monthly_cost", Code: partnerd.FCInvalidFormat, Message: "bad"}})
	var pe *partnerd.Error
	if !errors.As(err, &pe) || len(pe.Fields) != 2 {
		t.Errorf("ValidateWith = %v, want monthly_cost and type", err)
	}
}

// TestParseMonthlyCostMessage: a bad cost's message shows an amount of
// the currency's own form.
func TestParseMonthlyCostMessage(t *testing.T) {
	for currency, want := range map[string]string{
		"INR": "monthly_cost must be an amount with at most 2 decimals of INR from 0, as 25.00",
		"JPY": "monthly_cost must be a whole amount of JPY from 0, as 25",
		"KWD": "monthly_cost must be an amount with at most 3 decimals of KWD from 0, as 25.000",
	} {
		var fe partnerd.FieldErrors
		if v := partnerd.ParseMonthlyCost(&fe, "monthly_cost", "2.5.0", currency); v != 0 || len(fe) != 1 || fe[0].Message != want {
			t.Errorf("%s: %d %+v, want the message %q", currency, v, fe, want)
		}
	}
}
