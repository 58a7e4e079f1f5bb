package partnerd

import (
	"strings"
	"testing"
)

// TestDigestHA1 checks the hashes against RFC 2617's worked example (§3.5)
// and RFC 7616's SHA-256 one (§3.9.1).
func TestDigestHA1(t *testing.T) {
	ha1, _ := DigestHA1("Mufasa", "testrealm@host.com", "Circle Of Life")
	if want := "939e7578ed9e3c518a452acee763bce9"; ha1 != want {
		t.Errorf("HA1 = %s, want %s", ha1, want)
	}
	_, ha1SHA := DigestHA1("Mufasa", "http-auth@example.org", "Circle of Life")
	if want := "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"; ha1SHA != want {
		t.Errorf("HA1 SHA-256 = %s, want %s", ha1SHA, want)
	}
}

func TestSIPEndpointInputValidate(t *testing.T) {
	alias := func(s string) *string { return &s }
	tests := []struct {
		name string
		in   SIPEndpointInput
		want []string // field:code, in order
	}{
		{"valid", SIPEndpointInput{Username: "desk-100.a_b", Password: "SecurePass@123"}, nil},
		{"shortest", SIPEndpointInput{Username: "abc", Password: "SecurePass@123"}, nil},
		{"longest", SIPEndpointInput{Username: strings.Repeat("9", 64), Password: "SecurePass@123"}, nil},
		{"missing", SIPEndpointInput{}, []string{"username:required", "password:required"}},
		{"too short", SIPEndpointInput{Username: "ab", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{"too long", SIPEndpointInput{Username: strings.Repeat("9", 65), Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{"upper case", SIPEndpointInput{Username: "Desk", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{"at sign", SIPEndpointInput{Username: "a@b.c", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{"space", SIPEndpointInput{Username: "a b", Password: "SecurePass@123"}, []string{"username:invalid_format"}},
		{"weak", SIPEndpointInput{Username: "abc", Password: "password"}, []string{"password:too_weak"}},
		{"control in alias", SIPEndpointInput{Username: "abc", Password: "SecurePass@123", Alias: alias("a\x00b")}, []string{"alias:invalid_format"}},
		{"long alias", SIPEndpointInput{Username: "abc", Password: "SecurePass@123", Alias: alias(strings.Repeat("é", 101))}, []string{"alias:too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if e, ok := tt.in.Validate().(*Error); ok {
				for _, f := range e.Fields {
					got = append(got, f.Field+":"+f.Code)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Validate() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidSIPRealm(t *testing.T) {
	for realm, want := range map[string]bool{
		"partnerd.local": true, "pbx.example.com": true, "10.0.0.1": true, "PBX-1": true,
		"": false, "pbx:5060": false, `a"b`: false, "a b": false, strings.Repeat("a", 253): true, strings.Repeat("a", 254): false,
	} {
		if got := ValidSIPRealm(realm); got != want {
			t.Errorf("ValidSIPRealm(%q) = %v, want %v", realm, got, want)
		}
	}
}

func TestIDShapes(t *testing.T) {
	for range 100 {
		if id := NewSIPEndpointID(); !IsSIPEndpointID(id) || IsSwitchTokenID(id) {
			t.Fatalf("NewSIPEndpointID() = %q, not an endpoint id only", id)
		}
		if id := NewSwitchTokenID(); !IsSwitchTokenID(id) || IsSIPEndpointID(id) {
			t.Fatalf("NewSwitchTokenID() = %q, not a switch token id only", id)
		}
	}
	for _, s := range []string{"", "EP_", "EP_abcdefgh", "EP_ABCDEFG", "EP_ABCDEFGHI", "PA_ABCDEFGH", "ep_ABCDEFGH"} {
		if IsSIPEndpointID(s) {
			t.Errorf("IsSIPEndpointID(%q) = true", s)
		}
	}
}
