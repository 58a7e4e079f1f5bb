package wire

import "github.com/partnerd/partnerd"

// PageMeta is the "meta" object of every list.
type PageMeta struct {
	Total      int `json:"total"`
	Page       int `json:"page"`
	Size       int `json:"size"`
	PerPage    int `json:"per_page"`
	TotalPages int `json:"total_pages"`
}

// NewPageMeta describes page p of total rows.
func NewPageMeta(p partnerd.Page, total int) PageMeta {
	return PageMeta{Total: total, Page: p.Page, Size: p.Size, PerPage: p.Size, TotalPages: p.TotalPages(total)}
}

// List is the shape of every list response.
type List[T any] struct {
	Data []T      `json:"data"`
	Meta PageMeta `json:"meta"`
}
