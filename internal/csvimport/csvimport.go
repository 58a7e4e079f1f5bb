// Package csvimport reads the CSV files of operator imports (a rate deck,
// a pool of numbers): a header line naming the columns, then one record a
// line. Every bad line is reported with its number, so that an operator
// fixes the whole file in one pass; the caller imports nothing unless
// there is no problem at all.
package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/partnerd/partnerd"
)

// Problem is what is wrong with one line of a file.
type Problem struct {
	// Line is the line's number in the file; the header is line 1. A
	// quoted field may span lines: its record's first line is given.
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Message) }

// Options tune Read.
type Options struct {
	// Progress, if set, is called with the number of records read so far
	// after every ProgressEvery records (10,000 if zero).
	Progress      func(records int)
	ProgressEvery int
}

// Read reads the CSV file in, whose first line must name exactly the
// columns of header, in that order (letter case and surrounding spaces
// aside; a UTF-8 byte-order mark, as spreadsheets write, is skipped). It
// calls record for every later line with the line's number and its fields,
// one per column, without surrounding spaces; record returns what is wrong
// with them, one message each (nothing when they are good). The fields'
// slice is reused for the next line: record keeps the strings it needs,
// not the slice.
//
// Read returns the number of records after the header (blank lines are
// none) and every problem, in line order: a
// missing or wrong header (then nothing more is read), a line with too
// few or too many fields or a malformed quote (record is not called for
// it), and what record said. err is a failure to read in, nothing else.
func Read(in io.Reader, header []string, record func(line int, fields []string) []string, opts Options) (records int, problems []Problem, err error) {
	every := opts.ProgressEvery
	if every <= 0 {
		every = 10_000
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1 // counted here, to name the columns in the message
	cr.ReuseRecord = true
	want := strings.Join(header, ",")

	first, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return 0, []Problem{{1, "the file is empty; its first line must be the header " + want}}, nil
	case err != nil:
		if line, msg, ok := parseProblem(err); ok {
			return 0, []Problem{{line, msg}}, nil
		}
		return 0, nil, err
	}
	if !isHeader(first, header) {
		return 0, []Problem{{1, fmt.Sprintf("the header must be %s, not %s", want, strings.Join(first, ","))}}, nil
	}

	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return records, problems, nil
		}
		if err != nil {
			line, msg, ok := parseProblem(err)
			if !ok {
				return records, problems, err
			}
			records++
			problems = append(problems, Problem{line, msg})
			continue
		}
		records++
		line, _ := cr.FieldPos(0)
		if len(fields) != len(header) {
			problems = append(problems, Problem{line, fmt.Sprintf("has %s, want %d (%s)", partnerd.Count(len(fields), "field", "fields"), len(header), want)})
		} else {
			for i := range fields {
				fields[i] = strings.TrimSpace(fields[i])
			}
			for _, msg := range record(line, fields) {
				problems = append(problems, Problem{line, msg})
			}
		}
		if opts.Progress != nil && records%every == 0 {
			opts.Progress(records)
		}
	}
}

// isHeader reports whether got names the columns of want, in order.
func isHeader(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g := strings.TrimSpace(got[i])
		if i == 0 {
			g = strings.TrimSpace(strings.TrimPrefix(g, "\ufeff"))
		}
		if !strings.EqualFold(g, want[i]) {
			return false
		}
	}
	return true
}

// parseProblem turns a CSV syntax error into a problem of its line.
func parseProblem(err error) (line int, msg string, ok bool) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return 0, "", false
	}
	return pe.StartLine, "is not valid CSV: " + pe.Err.Error(), true
}
