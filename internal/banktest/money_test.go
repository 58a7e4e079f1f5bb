package banktest

import "testing"

func TestBankParseMinor(t *testing.T) {
	tests := []struct {
		in   string
		exp  int
		want int64
		ok   bool
	}{
		{"2450.00", 2, 245000, true},
		{"0.00", 2, 0, true},
		{"0.01", 2, 1, true},
		{"-12.45", 2, -1245, true},
		{"1000000000.00", 2, 100000000000, true},
		{"500", 0, 500, true},
		{"1.234", 3, 1234, true},
		{"2450.0", 2, 0, false},   // too few decimals
		{"2450", 2, 0, false},     // none
		{"2450.000", 2, 0, false}, // too many
		{"2.45e3", 2, 0, false},
		{"02.00", 2, 0, false},
		{`"2.00"`, 2, 0, false}, // a string is not a money number
		{"-", 2, 0, false},
		{".50", 2, 0, false},
		{"1.00", 0, 0, false},
		{"99999999999999999999.00", 2, 0, false},
	}
	for _, tt := range tests {
		got, err := parseMinor([]byte(tt.in), tt.exp)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMinor(%s, %d) = %d, %v; want %d, ok %v", tt.in, tt.exp, got, err, tt.want, tt.ok)
		}
	}
}

func TestBankFormatMinor(t *testing.T) {
	tests := []struct {
		v    int64
		exp  int
		want string
	}{
		{1, 2, "0.01"},
		{245000, 2, "2450.00"},
		{0, 2, "0.00"},
		{7, 0, "7"},
		{1234, 3, "1.234"},
	}
	for _, tt := range tests {
		if got := formatMinor(tt.v, tt.exp); got != tt.want {
			t.Errorf("formatMinor(%d, %d) = %q, want %q", tt.v, tt.exp, got, tt.want)
		}
		if back, err := parseMinor([]byte(tt.want), tt.exp); err != nil || back != tt.v {
			t.Errorf("parseMinor(formatMinor(%d, %d)) = %d, %v", tt.v, tt.exp, back, err)
		}
	}
}
