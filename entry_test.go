package partnerd

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr(s string) *string { return &s }

func TestTransferInputValidate(t *testing.T) {
	tests := []struct {
		name string
		in   TransferInput
		want []fieldCode
	}{
		{"valid", TransferInput{AuthID: "MA_48149cf4", Amount: 1}, nil},
		{"valid with everything", TransferInput{Amount: 50000, Currency: ptr("inr"), Description: ptr(strings.Repeat("d", 500))}, nil},
		{"zero", TransferInput{Amount: 0}, []fieldCode{{"amount", FCMustBePositive}}},
		{"negative", TransferInput{Amount: -1}, []fieldCode{{"amount", FCMustBePositive}}},
		{"unknown currency", TransferInput{Amount: 1, Currency: ptr("XYZ")}, []fieldCode{{"currency", FCInvalidValue}}},
		{"empty currency", TransferInput{Amount: 1, Currency: ptr("")}, []fieldCode{{"currency", FCInvalidValue}}},
		{"padded currency", TransferInput{Amount: 1, Currency: ptr(" INR ")}, []fieldCode{{"currency", FCInvalidValue}}},
		{"currency with a newline", TransferInput{Amount: 1, Currency: ptr("INR\n")}, []fieldCode{{"currency", FCInvalidValue}}},
		{"long description", TransferInput{Amount: 1, Description: ptr(strings.Repeat("d", 501))}, []fieldCode{{"description", FCTooLong}}},
		{"NUL in description", TransferInput{Amount: 1, Description: ptr("a\x00b")}, []fieldCode{{"description", FCInvalidFormat}}},
		{"override in description", TransferInput{Amount: 1, Description: ptr("a\u202db")}, []fieldCode{{"description", FCInvalidFormat}}},
		{"newline in description", TransferInput{Amount: 1, Description: ptr("a\nb")}, nil},
		{"every field bad", TransferInput{Amount: 0, Currency: ptr("XYZ"), Description: ptr(strings.Repeat("d", 501))},
			[]fieldCode{{"amount", FCMustBePositive}, {"currency", FCInvalidValue}, {"description", FCTooLong}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if diff := cmp.Diff(tt.want, mustFieldCodes(t, in.Validate())); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	in := TransferInput{Amount: 1, Currency: ptr("inr")}
	if err := in.Validate(); err != nil || *in.Currency != "INR" {
		t.Errorf("Validate() = %v, currency %q; want nil and INR", err, *in.Currency)
	}
}

func TestEntryFilterValidate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	first := Page{Page: 1, Size: 20}
	tests := []struct {
		name    string
		f       EntryFilter
		want    []fieldCode
		wantAll []fieldCode // ValidateAll, which ignores the page
	}{
		{"valid", EntryFilter{Page: first, Type: TxRecharge, From: day(2026, 3, 24), To: day(2026, 3, 24)}, nil, nil},
		{"no page", EntryFilter{}, []fieldCode{{"page", FCOutOfRange}, {"size", FCOutOfRange}}, nil},
		{"page too far", EntryFilter{Page: Page{Page: MaxPage + 1, Size: MaxPageSize + 1}},
			[]fieldCode{{"page", FCOutOfRange}, {"size", FCOutOfRange}}, nil},
		{"type of another log", EntryFilter{Page: first, Type: TxFund},
			[]fieldCode{{"transaction_type", FCInvalidValue}}, []fieldCode{{"transaction_type", FCInvalidValue}}},
		{"to before from", EntryFilter{Page: first, From: day(2026, 3, 25), To: day(2026, 3, 24)},
			[]fieldCode{{"to_date", FCInvalidValue}}, []fieldCode{{"to_date", FCInvalidValue}}},
		{"before 1970", EntryFilter{Page: first, From: day(1969, 12, 31)},
			[]fieldCode{{"from_date", FCOutOfRange}}, []fieldCode{{"from_date", FCOutOfRange}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, mustFieldCodes(t, tt.f.Validate(CustomerTransactionTypes))); diff != "" {
				t.Errorf("Validate fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAll, mustFieldCodes(t, tt.f.ValidateAll(CustomerTransactionTypes))); diff != "" {
				t.Errorf("ValidateAll fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEntryParamsFilter(t *testing.T) {
	tests := []struct {
		name string
		q    EntryParams
		want EntryFilter
		errs []fieldCode
	}{
		{"nothing", EntryParams{}, EntryFilter{Page: Page{Page: 1, Size: DefaultPageSize}}, nil},
		{"everything", EntryParams{Page: PageParams{Page: ptr("2"), PerPage: ptr("50")}, FromDate: ptr("2026-03-24"),
			ToDate: ptr("2026-03-25"), Type: ptr(TxWithdrawal)},
			EntryFilter{Page: Page{Page: 2, Size: 50}, From: time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC),
				To: time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC), Type: TxWithdrawal}, nil},
		{"empty dates", EntryParams{FromDate: ptr(""), ToDate: ptr("")}, EntryFilter{},
			[]fieldCode{{"from_date", FCInvalidFormat}, {"to_date", FCInvalidFormat}}},
		{"bad page", EntryParams{Page: PageParams{Page: ptr("0"), Size: ptr("x")}}, EntryFilter{}, []fieldCode{{"page", FCOutOfRange}, {"size", FCInvalidFormat}}},
		{"size and per_page differ", EntryParams{Page: PageParams{Size: ptr("10"), PerPage: ptr("20")}}, EntryFilter{},
			[]fieldCode{{"per_page", FCInvalidValue}}},
		{"bad dates", EntryParams{FromDate: ptr("2026-02-30"), ToDate: ptr("0001-01-01")}, EntryFilter{},
			[]fieldCode{{"from_date", FCInvalidFormat}, {"to_date", FCOutOfRange}}},
		{"to before from", EntryParams{FromDate: ptr("2026-03-25"), ToDate: ptr("2026-03-24")}, EntryFilter{},
			[]fieldCode{{"to_date", FCInvalidValue}}},
		{"empty type", EntryParams{Type: ptr("")}, EntryFilter{}, []fieldCode{{"transaction_type", FCInvalidValue}}},
		{"upper-case type", EntryParams{Type: ptr("RECHARGE")}, EntryFilter{}, []fieldCode{{"transaction_type", FCInvalidValue}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.q.Filter(CustomerTransactionTypes)
			if diff := cmp.Diff(tt.errs, mustFieldCodes(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, f); diff != "" {
					t.Errorf("filter (-want +got):\n%s", diff)
				}
			}
		})
	}
	_, err := EntryParams{Type: ptr("bogus")}.Filter(PartnerTransactionTypes)
	want := `transaction_type must be one of "fund", "transfer_out", "transfer_in".`
	if e, ok := err.(*Error); !ok || e.Message != want {
		t.Errorf("bogus type: %v; want the message %q", err, want)
	}
}
