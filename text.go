package partnerd

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textKind says which line breaks a text field may hold.
type textKind int

const (
	// lineText is one line: names, emails, phones, codes, search terms,
	// addresses. It holds no control character at all, and no line or
	// paragraph separator.
	lineText textKind = iota
	// blockText is free text shown as a block (descriptions): it may hold
	// newlines (LF, CRLF, U+2028, U+2029) and tabs.
	blockText
)

// checkText is the one check every text input goes through, whatever its
// field: s must be valid UTF-8 and hold no control character (C0, DEL, C1)
// other than the line breaks and tabs kind allows, and no bidirectional
// embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which
// make a name read differently from what it is (a file name's extension
// reversed, an email that looks like another). The marks U+200E, U+200F
// and U+061C stay allowed: right-to-left text needs them.
//
// It adds an invalid_format error for field and returns false when s breaks
// a rule. The message never quotes s, which may be a password.
func checkText(fe *FieldErrors, field, s string, kind textKind) bool {
	if textAllowed(s, kind) {
		return true
	}
	msg := field + " must be one line of text, without control characters or bidirectional overrides"
	if kind == blockText {
		msg = field + " must be text without control characters other than newlines and tabs, or bidirectional overrides"
	}
	fe.Add(field, FCInvalidFormat, msg)
	return false
}

// textAllowed reports whether s passes checkText.
func textAllowed(s string, kind textKind) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		switch {
		case kind == blockText && (r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029'):
		case kind == blockText && r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// CRLF is a newline; a lone CR rewrites a line on a terminal.
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', isBidiControl(r):
			return false
		}
	}
	return true
}

// isBidiControl reports the embeddings and overrides U+202A–U+202E and the
// isolates U+2066–U+2069.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// isBlank reports whether s shows nothing: it is empty or holds only
// white space and characters with no glyph of their own (format
// characters such as zero-width spaces and joiners, U+FEFF and soft
// hyphens; Hangul fillers; variation selectors). A required field that is
// blank is missing.
func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
			return false
		}
	}
	return true
}

// requiredLine checks a required one-line field and returns it without
// surrounding white space. A blank value is reported required, one longer
// than max runes (no limit when max is 0) too_long; ok is false when an
// error was added.
func requiredLine(fe *FieldErrors, field, s string, max int) (_ string, ok bool) {
	if !checkText(fe, field, s, lineText) {
		return s, false
	}
	s = strings.TrimSpace(s)
	switch {
	case isBlank(s):
		fe.Add(field, FCRequired, field+" is required")
		return "", false
	case max > 0 && utf8.RuneCountInString(s) > max:
		fe.Add(field, FCTooLong, field+" must be at most "+strconv.Itoa(max)+" characters")
		return s, false
	}
	return s, true
}

// optionalText checks an optional text field of at most max runes (no
// limit when max is 0) and returns the value to keep. "" and null mean
// the same (API.md §1): a blank value is nil, so it is stored and returned
// as null, and a default applies as if the field were absent. Any other
// value is kept exactly as given.
func optionalText(fe *FieldErrors, field string, v *string, kind textKind, max int) *string {
	switch {
	case v == nil:
		return nil
	case !checkText(fe, field, *v, kind):
		return v
	case isBlank(*v):
		return nil
	case max > 0 && utf8.RuneCountInString(*v) > max:
		fe.Add(field, FCTooLong, field+" must be at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

// Count writes n and the noun it counts, in the form n takes: "1 number",
// "0 numbers", "3 numbers". Operator and partner messages count with it,
// so that a count of one never reads "1 numbers".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
