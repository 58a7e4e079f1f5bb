package partnerd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckText is the table of what one-line and block text may hold.
func TestCheckText(t *testing.T) {
	tests := []struct {
		name      string
		s         string
		line      bool // allowed as one line
		block     bool // allowed as a block (description)
		wantBlank bool
	}{
		{"empty", "", true, true, true},
		{"plain", "Credresolve Pvt Ltd", true, true, false},
		{"accents and scripts", "Zoë Ålund, 王小明, Rāma", true, true, false},
		{"emoji", "\U0001F680 Rocket", true, true, false},
		{"joiner inside a word", "\u0915\u094d\u200d\u0937", true, true, false},
		{"right-to-left text with marks", "\u05e9\u05dc\u05d5\u05dd\u200f 123", true, true, false},
		{"spaces", " \u00a0\u3000 ", true, true, true},
		{"zero-width characters", "\u200b\u200c\u200d\u2060\ufeff", true, true, true},
		{"soft hyphen and Mongolian separator", "\u00ad\u180e", true, true, true},
		{"Hangul fillers", "\u3164\u115f\u1160\uffa0", true, true, true},
		{"variation selector", "\ufe0f", true, true, true},
		{"invisible around a letter", "\u200bx\u200b", true, true, false},
		{"newline", "a\nb", false, true, false},
		{"CRLF", "a\r\nb", false, true, false},
		{"lone CR", "a\rb", false, false, false},
		{"CR at the end", "a\r", false, false, false},
		{"tab", "a\tb", false, true, false},
		{"line separator", "a\u2028b", false, true, false},
		{"paragraph separator", "a\u2029b", false, true, false},
		{"NUL", "a\x00b", false, false, false},
		{"ESC", "a\x1b[31mb", false, false, false},
		{"BEL", "\a", false, false, false},
		{"vertical tab", "a\vb", false, false, false},
		{"DEL", "a\x7fb", false, false, false},
		{"C1 next line", "a\u0085b", false, false, false},
		{"C1 CSI", "a\u009b31m", false, false, false},
		{"LRE", "\u202aa", false, false, false},
		{"RLE", "\u202ba", false, false, false},
		{"PDF", "a\u202c", false, false, false},
		{"LRO", "\u202da", false, false, false},
		{"RLO", "gnp\u202eexe", false, false, false},
		{"LRI", "\u2066a", false, false, false},
		{"RLI", "\u2067a", false, false, false},
		{"FSI", "\u2068a", false, false, false},
		{"PDI", "a\u2069", false, false, false},
		{"invalid UTF-8", "caf\xe9", false, false, false},
		{"encoded surrogate", "\xed\xa0\x80", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []struct {
				kind textKind
				want bool
			}{{lineText, tt.line}, {blockText, tt.block}} {
				var fe FieldErrors
				got := checkText(&fe, "f", tt.s, k.kind)
				if got != k.want {
					t.Errorf("checkText(%q, kind %d) = %v, want %v", tt.s, k.kind, got, k.want)
				}
				var want []fieldCode
				if !k.want {
					want = []fieldCode{{"f", FCInvalidFormat}}
				}
				if diff := cmp.Diff(want, mustFieldCodes(t, fe.Err())); diff != "" {
					t.Errorf("kind %d fields (-want +got):\n%s", k.kind, diff)
				}
			}
			if got := isBlank(tt.s); got != tt.wantBlank {
				t.Errorf("isBlank(%q) = %v, want %v", tt.s, got, tt.wantBlank)
			}
		})
	}
}

// TestOptionalText: "" and null are the same for an optional string.
func TestOptionalText(t *testing.T) {
	tests := []struct {
		name string
		v    *string
		want *string
		errs []fieldCode
	}{
		{"absent", nil, nil, nil},
		{"empty", ptr(""), nil, nil},
		{"blank", ptr(" \u200b\t"), nil, nil},
		{"kept as given", ptr(" a "), ptr(" a "), nil},
		{"too long", ptr("abcd"), ptr("abcd"), []fieldCode{{"f", FCTooLong}}},
		{"four invisible runes are blank, not too long", ptr("\u200b\u200b\u200b\u200b"), nil, nil},
		{"override", ptr("\u202e"), ptr("\u202e"), []fieldCode{{"f", FCInvalidFormat}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe FieldErrors
			got := optionalText(&fe, "f", tt.v, blockText, 3)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errs, mustFieldCodes(t, fe.Err())); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccountParamsFilter(t *testing.T) {
	first := Page{Page: 1, Size: DefaultPageSize}
	tests := []struct {
		name string
		q    AccountParams
		want AccountFilter
		errs []fieldCode
	}{
		{"nothing", AccountParams{}, AccountFilter{Page: first}, nil},
		{"search", AccountParams{Search: ptr("Cred")}, AccountFilter{Search: "Cred", Page: first}, nil},
		{"blank search", AccountParams{Search: ptr(" \u200b ")}, AccountFilter{Page: first}, nil},
		{"search with a control character", AccountParams{Search: ptr("a\x1b")}, AccountFilter{}, []fieldCode{{"search", FCInvalidFormat}}},
		{"search with an override", AccountParams{Search: ptr("\u202eabc")}, AccountFilter{}, []fieldCode{{"search", FCInvalidFormat}}},
		{"search too long", AccountParams{Search: ptr(strings.Repeat("a", 255))}, AccountFilter{},
			[]fieldCode{{"search", FCTooLong}}},
		{"page not an integer", AccountParams{Page: PageParams{Page: ptr("abc")}}, AccountFilter{}, []fieldCode{{"page", FCInvalidFormat}}},
		{"page a decimal", AccountParams{Page: PageParams{Page: ptr("1.5")}}, AccountFilter{}, []fieldCode{{"page", FCInvalidFormat}}},
		{"page empty", AccountParams{Page: PageParams{Page: ptr("")}}, AccountFilter{}, []fieldCode{{"page", FCInvalidFormat}}},
		{"page 0", AccountParams{Page: PageParams{Page: ptr("0")}}, AccountFilter{}, []fieldCode{{"page", FCOutOfRange}}},
		{"page beyond int64", AccountParams{Page: PageParams{Page: ptr("99999999999999999999")}}, AccountFilter{},
			[]fieldCode{{"page", FCOutOfRange}}},
		{"per_page not an integer", AccountParams{Page: PageParams{PerPage: ptr("x")}}, AccountFilter{},
			[]fieldCode{{"per_page", FCInvalidFormat}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.q.Filter()
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
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 call records"}, {1, "1 call record"}, {2, "2 call records"}, {10_000, "10000 call records"}} {
		if got := Count(tc.n, "call record", "call records"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
