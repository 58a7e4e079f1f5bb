package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

// pageParams are the query parameters of every list (API.md §1,
// Pagination); each list's own are declared beside its handler.
var pageParams = []string{"page", "size", "per_page"}

// query is a request's query string, read as strictly as a body (API.md
// §1 holds for both): every parameter must be one the route declares, at
// most once, percent-encoded correctly; each that is not is in errs, named
// like a body field. url.ParseQuery is not used because it drops a
// malformed pair and keeps going, and r.URL.Query() also hides the error,
// which would answer an unfiltered list for search=%zz.
//
// An empty value (page=, search=, or a bare search) is the same as an
// absent parameter, everywhere, as "" is the same as null in a body: a
// form's empty field asks for no filter and the default page.
type query struct {
	values map[string]string
	errs   partnerd.FieldErrors
}

// parseQuery reads r's query string for a route whose parameters are
// allowed (none if allowed is empty).
func parseQuery(r *http.Request, allowed []string) *query {
	q := &query{values: map[string]string{}}
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || strings.Contains(rawKey, ";") {
			// The name cannot be read: it is named as sent.
			q.errs.Add(rawKey, partnerd.FCInvalidFormat, strconv.Quote(rawKey)+" is not a correctly percent-encoded parameter name")
			continue
		}
		switch {
		case !slices.Contains(allowed, key):
			if !q.errs.Has(key) {
				q.errs.Add(key, partnerd.FCUnknownField, strconv.Quote(key)+" is not a known parameter")
			}
		case seen[key]:
			if !q.errs.Has(key) {
				q.errs.Add(key, partnerd.FCNotAllowed, key+" must be given at most once")
			}
		default:
			seen[key] = true
			value, err := url.QueryUnescape(rawValue)
			if err != nil || strings.Contains(rawValue, ";") {
				// A semicolon separated parameters in old servers: which
				// one is meant is a guess (Go's own parser refuses it).
				q.errs.Add(key, partnerd.FCInvalidFormat, key+" must be percent-encoded correctly (write ; as %3B)")
				continue
			}
			if value != "" {
				q.values[key] = value
			}
		}
	}
	return q
}

// noQuery refuses any query parameter on a route that takes none.
func noQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	return parseQuery(r, nil).errs.Err()
}

// get returns the value of name, nil when absent or empty.
func (q *query) get(name string) *string {
	if v, ok := q.values[name]; ok {
		return &v
	}
	return nil
}

// page returns the paging parameters.
func (q *query) page() partnerd.PageParams {
	return partnerd.PageParams{Page: q.get("page"), Size: q.get("size"), PerPage: q.get("per_page")}
}

// check returns the query's own errors merged with err, the validation of
// the values it gave, one entry per parameter.
func (q *query) check(err error) error {
	return mergeFieldErrors(q.errs, err)
}
