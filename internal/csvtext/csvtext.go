// Package csvtext writes text from outside the server (a customer's
// description, a switch's call_uuid or hangup cause) into CSV cells that
// spreadsheets show and never run.
package csvtext

import "strings"

// Safe returns s as a cell a spreadsheet shows and never runs: text
// starting with =, +, -, @, a tab or a carriage return is a formula to
// Excel and LibreOffice, so it gets a leading apostrophe (OWASP's
// advice). A plain signed number ("+14155550100", "-2.5") is left as it
// is: it computes nothing, and an E.164 number keeps its "+".
func Safe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || plainNumber(s) {
		return s
	}
	return "'" + s
}

// OptSafe is Safe of an optional text, "" when it is absent.
func OptSafe(s *string) string {
	if s == nil {
		return ""
	}
	return Safe(*s)
}

// plainNumber reports whether s is a sign, then digits with at most one
// decimal point between them.
func plainNumber(s string) bool {
	if s[0] != '+' && s[0] != '-' {
		return false
	}
	digits, point := 0, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && !point && digits > 0 && i < len(s)-1:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}
