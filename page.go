package partnerd

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Limits of a page request (API.md §1, Pagination). Any page from 1 is
// answered (past the end: no rows, and the right meta); MaxPage only keeps
// a page's offset from overflowing.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxPage         = math.MaxInt32
)

// Validate reports a page number or size out of range.
func (p Page) Validate() error {
	var fe FieldErrors
	p.check(&fe)
	return fe.Err()
}

func (p Page) check(fe *FieldErrors) {
	if p.Page < 1 || p.Page > MaxPage {
		addPageRange(fe, "page", MaxPage)
	}
	if p.Size < 1 || p.Size > MaxPageSize {
		addPageRange(fe, "size", MaxPageSize)
	}
}

// addPageRange reports a page parameter that is an integer out of 1 to max.
func addPageRange(fe *FieldErrors, name string, max int) {
	fe.Add(name, FCOutOfRange, fmt.Sprintf("%s must be an integer from %d to %d", name, 1, max))
}

// PageParams is a page request as a query string carries it: the text of
// page, size and size's alias per_page, each nil when absent.
type PageParams struct {
	Page, Size, PerPage *string
}

// Parse returns the page the parameters ask for (page 1 and
// DefaultPageSize when absent) and adds every bad parameter to fe: one
// that is not a decimal integer is invalid_format, an integer out of range
// out_of_range.
func (pp PageParams) Parse(fe *FieldErrors) Page {
	p := Page{Page: 1, Size: DefaultPageSize}
	param := func(name string, v *string, max int) (int, bool) {
		if v == nil {
			return 0, false
		}
		n, err := strconv.Atoi(*v)
		if errors.Is(err, strconv.ErrSyntax) {
			fe.Add(name, FCInvalidFormat, name+" must be an integer")
			return 0, false
		}
		if err != nil || n < 1 || n > max {
			addPageRange(fe, name, max)
			return 0, false
		}
		return n, true
	}
	if n, ok := param("page", pp.Page, MaxPage); ok {
		p.Page = n
	}
	size, hasSize := param("size", pp.Size, MaxPageSize)
	perPage, hasPerPage := param("per_page", pp.PerPage, MaxPageSize)
	switch {
	case hasSize && hasPerPage && size != perPage:
		fe.Add("per_page", FCInvalidValue, "per_page is an alias of size; give one, or the same value")
	case hasSize:
		p.Size = size
	case hasPerPage:
		p.Size = perPage
	}
	return p
}
