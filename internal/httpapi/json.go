package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

// maxBody is the largest request body the partner API reads.
const maxBody = 64 << 10

// writeJSON writes v with status. Encoding errors cannot happen for the
// plain structs and maps handlers pass.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal_error","message":"The response could not be encoded."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// readBody checks the content headers and the size and returns the raw
// body. The body must be JSON in UTF-8 (a charset parameter, if any, says
// utf-8) and sent as is: a Content-Encoding other than identity would be
// read as garbage, so it is refused like any other media type the server
// does not read.
func readBody(r *http.Request) ([]byte, error) { return readBodyMax(r, maxBody) }

// readOptionalBody is readBody for a POST whose body may be left out
// entirely (see optionalBody): a request with no body and no
// Content-Type reads as an empty body; any other is readBody's.
func readOptionalBody(r *http.Request) ([]byte, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, nil
	}
	body, err := readBody(r)
	if err == nil && len(body) == 0 {
		// Left out, under the JSON type a client sends with every POST.
		return nil, nil
	}
	return body, err
}

// decodeOptionalObject is decodeObject for a body readOptionalBody read:
// an empty one is an empty object.
func decodeOptionalObject(body []byte, allowed ...string) (*object, error) {
	if body == nil {
		return &object{}, nil
	}
	return decodeObject(body, allowed...)
}

// optionalBody reads the request of a POST whose body may be left out
// (the account lifecycle's, a webhook endpoint's test, a delivery's
// retry): no query parameters, and no body or a JSON object holding the
// fields allowed and nothing else, held to the rules of every other body.
func optionalBody(r *http.Request, allowed ...string) (*object, error) {
	if err := noQuery(r); err != nil {
		return nil, err
	}
	body, err := readOptionalBody(r)
	if err != nil {
		return nil, err
	}
	return decodeOptionalObject(body, allowed...)
}

// noBody reads the request of a POST that takes no fields (activate,
// close, rotate-token, a webhook endpoint's test, a delivery's retry): no
// body, or {} held to the rules of every other body.
func noBody(r *http.Request) error {
	o, err := optionalBody(r)
	if err != nil {
		return err
	}
	return o.errs.Err()
}

// readBodyMax is readBody with a limit of its own (the switch's CDR batches
// are larger than any partner request).
func readBodyMax(r *http.Request, limit int64) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if cs, ok := params["charset"]; err != nil || mt != "application/json" || ok && !strings.EqualFold(cs, "utf-8") {
		return nil, partnerd.Errorf(partnerd.ECUnsupportedMedia, "Send the request body as JSON with Content-Type: application/json (in UTF-8).")
	}
	for _, v := range r.Header.Values("Content-Encoding") {
		for _, coding := range strings.Split(v, ",") {
			if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
				return nil, partnerd.Errorf(partnerd.ECUnsupportedMedia, "Content-Encoding %s is not supported; send the body uncompressed.", strconv.Quote(c))
			}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, partnerd.Errorf(partnerd.ECPayloadTooLarge, "The request body exceeds %d bytes.", limit)
	}
	if err != nil {
		return nil, partnerd.Errorf(partnerd.ECInvalidJSON, "The request body could not be read.")
	}
	return body, nil
}

// object is a decoded JSON object whose fields are read one by one, so that
// a field of the wrong type is reported by name beside every other bad field.
type object struct {
	fields map[string]json.RawMessage
	errs   partnerd.FieldErrors
}

// decodeObject parses body as one JSON object and rejects keys not in allowed.
func decodeObject(body []byte, allowed ...string) (*object, error) {
	if !json.Valid(body) {
		return nil, partnerd.Errorf(partnerd.ECInvalidJSON, "The request body is not valid JSON.")
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	o := &object{}
	if err := json.Unmarshal(body, &o.fields); err != nil || o.fields == nil {
		return nil, partnerd.Errorf(partnerd.ECInvalidJSON, "The request body must be a JSON object.")
	}
	var unknown []string
	for k := range o.fields {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		o.errs.Add(k, partnerd.FCUnknownField, fmt.Sprintf("%s is not a known field", strconv.Quote(k)))
	}
	return o, nil
}

// optString returns a string field, nil when absent or null. What the
// text may hold is the input's Validate to say (partnerd's checkText,
// which also keeps NUL out of stored text: PostgreSQL refuses it, and
// SQLite's full-text search would cut the string there).
func (o *object) optString(name string) *string {
	raw, ok := o.fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.errs.Add(name, partnerd.FCInvalidType, name+" must be a string")
		return nil
	}
	return &s
}

// str returns a string field, "" when absent, null or of the wrong type.
func (o *object) str(name string) string {
	if p := o.optString(name); p != nil {
		return *p
	}
	return ""
}

// validate merges decoding errors with the input's own validation, one
// entry per field.
func (o *object) validate(v interface{ Validate() error }) error {
	return mergeFieldErrors(o.errs, v.Validate())
}

// mergeFieldErrors adds the fields of a validation_error err to errs,
// those that errs has not already reported, and returns the whole as one
// validation_error (nil if there is nothing). An error of another kind is
// returned as is.
func mergeFieldErrors(errs partnerd.FieldErrors, err error) error {
	var e *partnerd.Error
	if errors.As(err, &e) && e.Code == partnerd.ECValidation {
		for _, f := range e.Fields {
			if !errs.Has(f.Field) {
				errs = append(errs, f)
			}
		}
	} else if err != nil {
		return err
	}
	return errs.Err()
}
