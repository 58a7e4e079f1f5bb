package main

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/partnerd/partnerd"
)

// printJSON writes v as one line of JSON, as the API would answer it.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cols ...string) {
	for i, c := range cols {
		// A tab or newline in a value would break the columns.
		cols[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// printRecord writes one object: its JSON, or a table of field and value.
func printRecord(f *cmdFlags, w io.Writer, v any, fields [][2]string) error {
	if f.json() {
		return printJSON(w, v)
	}
	t := newTable(w)
	for _, kv := range fields {
		t.row(kv[0], kv[1])
	}
	return t.flush()
}

// paging holds a list command's page flags.
type paging struct {
	page, size *int
	all        *bool
}

func addPaging(f *cmdFlags) *paging {
	return &paging{
		page: f.Int("page", 1, "the page to show, from 1"),
		size: f.Int("size", partnerd.DefaultPageSize, fmt.Sprintf("rows per page, 1 to %d", partnerd.MaxPageSize)),
		all:  f.Bool("all", false, "every row, page after page, instead of one page"),
	}
}

// list prints a list: one page (fetch), or every row (seq) with --all.
// Tables have a header and, for a page, a footer on stderr saying where
// it is; JSON is one object per line (render), with the same footer on
// stderr only when more pages follow, so that a script reading stdout
// knows it got one page of several.
type list[T any] struct {
	fetch  func(partnerd.Page) ([]T, int, error)
	seq    func() iter.Seq2[T, error]
	render func(T) any
	header []string
	cols   func(T) []string
}

// check refuses a --page or --size the API would refuse, before
// anything is sent.
func (p *paging) check(f *cmdFlags) error {
	if *p.page < 1 {
		return usageError{fmt.Sprintf("--page %d must be 1 or more\n\n%s", *p.page, f.usage())}
	}
	if *p.size < 1 || *p.size > partnerd.MaxPageSize {
		return usageError{fmt.Sprintf("--size %d must be 1 to %d\n\n%s", *p.size, partnerd.MaxPageSize, f.usage())}
	}
	return nil
}

func (l list[T]) print(f *cmdFlags, p *paging, env environment) error {
	if err := p.check(f); err != nil {
		return err
	}
	var t *table
	if !f.json() {
		t = newTable(env.stdout, l.header...)
	}
	emit := func(row T) error {
		if t == nil {
			return printJSON(env.stdout, l.render(row))
		}
		t.row(l.cols(row)...)
		return nil
	}
	if *p.all {
		n := 0
		for row, err := range l.seq() {
			if err != nil {
				if t != nil {
					t.flush()
				}
				return err
			}
			if err := emit(row); err != nil {
				return err
			}
			n++
		}
		if t != nil {
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(env.stderr, "%d in all\n", n)
		}
		return nil
	}
	rows, total, err := l.fetch(partnerd.Page{Page: *p.page, Size: *p.size})
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := emit(row); err != nil {
			return err
		}
	}
	pages := 0
	if *p.size > 0 {
		pages = (total + *p.size - 1) / *p.size
	}
	if t == nil {
		if *p.page < pages {
			fmt.Fprintf(env.stderr, "page %d of %d, %d in all (--page %d for the next, --all for every row)\n", *p.page, pages, total, *p.page+1)
		}
		return nil
	}
	if err := t.flush(); err != nil {
		return err
	}
	if total == 0 {
		fmt.Fprintln(env.stderr, "0 in all")
		return nil
	}
	fmt.Fprintf(env.stderr, "page %d of %d, %d in all\n", *p.page, pages, total)
	return nil
}

// money writes an amount as the API's JSON does: 2450.00.
func money(minor int64, currency string) string { return partnerd.FormatMinor(minor, currency) }

// opt writes an optional text, "-" when absent.
func opt(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// ts writes a time as the API does.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// optTime writes an optional time, "-" when absent.
func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}

func itoa(n int) string { return fmt.Sprint(n) }
