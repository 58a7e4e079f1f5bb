package partnerd

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes: stable snake_case strings that clients branch on.
const (
	ECValidation          = "validation_error"
	ECInvalidJSON         = "invalid_json"
	ECInsufficientBalance = "insufficient_balance"
	ECCurrencyMismatch    = "currency_mismatch"
	ECAccountClosed       = "account_closed"
	ECMissingCredentials  = "missing_credentials"
	ECInvalidCredentials  = "invalid_credentials"
	ECPartnerInactive     = "partner_inactive"
	ECAccountSuspended    = "account_suspended"
	ECForbidden           = "forbidden"
	ECAccountNotFound     = "account_not_found"
	ECNotFound            = "not_found"
	ECRouteNotFound       = "route_not_found"
	ECMethodNotAllowed    = "method_not_allowed"
	ECEmailTaken          = "email_taken"
	ECIdempotencyInUse    = "idempotency_key_in_use"
	ECPayloadTooLarge     = "payload_too_large"
	ECUnsupportedMedia    = "unsupported_media_type"
	ECIdempotencyReused   = "idempotency_key_reused"
	ECRateLimited         = "rate_limited"
	ECInternal            = "internal_error"
	ECUnavailable         = "unavailable"

	// The request could not be read as HTTP/1.1: net/http refused it
	// before any handler ran (internal/httpapi makes its answer JSON), or
	// its body stopped arriving.
	ECMalformedRequest        = "malformed_request"
	ECRequestTimeout          = "request_timeout"
	ECHeadersTooLarge         = "headers_too_large"
	ECExpectationFailed       = "expectation_failed"
	ECNotImplemented          = "not_implemented"
	ECHTTPVersionNotSupported = "http_version_not_supported"
)

// Error is the one error type of partnerd. Code is stable, Message is safe to
// show to the caller, Details become extra keys of the error body, and Err is
// an internal cause that is logged but never shown.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Details map[string]any
	// RetryAfter, when set, tells the client how long to wait (the
	// Retry-After header of 409 idempotency_key_in_use and 429).
	RetryAfter time.Duration
	Err        error
}

// FieldError describes one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
// A string argument longer than maxEcho bytes is cut to that (at a
// character's start) and marked with "…": the ids and values a message
// echoes come from callers, who could otherwise make it any length.
func Errorf(code, format string, args ...any) *Error {
	cloned := false
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > maxEcho {
			if !cloned {
				// The slice is the caller's if it passed args...
				args, cloned = slices.Clone(args), true
			}
			args[i] = shorten(s)
		}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// maxEcho bounds a value an error message repeats.
const maxEcho = 100

// shorten cuts s to at most maxEcho bytes, at the start of a character,
// and marks the cut.
func shorten(s string) string {
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// internal_error otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECInternal
}

// FieldErrors collects invalid fields so validation can report all at once.
type FieldErrors []FieldError

// Add records one invalid field.
func (fe *FieldErrors) Add(field, code, message string) {
	*fe = append(*fe, FieldError{Field: field, Code: code, Message: message})
}

// Has reports whether field already has an error.
func (fe FieldErrors) Has(field string) bool {
	for _, f := range fe {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns a validation_error listing every field, or nil if there are none.
func (fe FieldErrors) Err() error {
	switch len(fe) {
	case 0:
		return nil
	case 1:
		return &Error{Code: ECValidation, Message: strings.TrimSuffix(fe[0].Message, ".") + ".", Fields: fe}
	}
	return &Error{Code: ECValidation, Message: fmt.Sprintf("%d fields are invalid.", len(fe)), Fields: fe}
}

// Field error codes used in validation_error bodies.
const (
	FCRequired      = "required"
	FCInvalidFormat = "invalid_format"
	FCInvalidType   = "invalid_type"
	FCInvalidValue  = "invalid_value"
	FCTooLong       = "too_long"
	FCTooWeak       = "too_weak"
	FCUnknownField  = "unknown_field"
	FCOutOfRange    = "out_of_range"
	FCNotAllowed    = "not_allowed"
	// Amounts.
	FCMustBePositive  = "must_be_positive"
	FCTooManyDecimals = "too_many_decimals"
	FCTooLarge        = "too_large"
	// FCTaken marks a value that must be unique and is already in use
	// (an email; the request then fails with email_taken).
	FCTaken = "taken"
)

// ParseWholeNumber parses text (a JSON number, or a form's field) as a
// 32-bit integer field, with the words the API and the console share:
// out_of_range past 32 bits, invalid_type for anything but digits.
func ParseWholeNumber(field, text string) (int, *FieldError) {
	v, err := strconv.ParseInt(text, 10, 32)
	if errors.Is(err, strconv.ErrRange) {
		return 0, &FieldError{Field: field, Code: FCOutOfRange, Message: field + " is too large"}
	}
	if err != nil {
		return 0, &FieldError{Field: field, Code: FCInvalidType, Message: field + " must be a whole number"}
	}
	return int(v), nil
}
