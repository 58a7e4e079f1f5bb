package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
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

// readBody checks the content type and size and returns the raw body.
func readBody(r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, partnerd.Errorf(partnerd.ECUnsupportedMedia, "Send the request body as JSON with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, partnerd.Errorf(partnerd.ECPayloadTooLarge, "The request body exceeds %d bytes.", maxBody)
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

// optString returns a string field, nil when absent or null.
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
	if strings.ContainsRune(s, 0) {
		// No stored text may hold NUL: PostgreSQL refuses it, and SQLite's
		// full-text search would cut the string there.
		o.errs.Add(name, partnerd.FCInvalidValue, name+" must not contain NUL characters")
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
	errs := o.errs
	var e *partnerd.Error
	if err := v.Validate(); errors.As(err, &e) {
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

// pageFrom reads page, size and its alias per_page from the query string
// and adds every bad one to errs.
func pageFrom(r *http.Request, errs *partnerd.FieldErrors) partnerd.Page {
	return pageParams(r.URL.Query()).Parse(errs)
}

// pageParams returns the text of the paging parameters of q.
func pageParams(q url.Values) partnerd.PageParams {
	return partnerd.PageParams{Page: queryParam(q, "page"), Size: queryParam(q, "size"), PerPage: queryParam(q, "per_page")}
}

// queryParam returns the first value of name in q, nil when absent.
func queryParam(q url.Values, name string) *string {
	if !q.Has(name) {
		return nil
	}
	v := q.Get(name)
	return &v
}
