package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// pageQuery is the query string of page p: page and size when not zero
// (zero takes the server's default).
func pageQuery(p partnerd.Page) url.Values {
	q := url.Values{}
	if p.Page != 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.Size != 0 {
		q.Set("size", strconv.Itoa(p.Size))
	}
	return q
}

// getList fetches one page of a list at path and returns its rows, each
// turned into the domain type by convert, and the list's total.
func getList[W, T any](ctx context.Context, c *Client, path string, q url.Values, convert func(*W) (T, error)) ([]T, int, error) {
	var out wire.List[W]
	if err := c.do(ctx, http.MethodGet, path, q, nil, &out); err != nil {
		return nil, 0, err
	}
	rows := make([]T, 0, len(out.Data))
	for i := range out.Data {
		row, err := convert(&out.Data[i])
		if err != nil {
			return nil, 0, err
		}
		rows = append(rows, row)
	}
	return rows, out.Meta.Total, nil
}
