package csvimport

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

var header = []string{"number", "type"}

// got is what record saw: a line number and its fields joined by "|".
type got struct {
	Line   int
	Fields string
}

// read runs Read on file with a record function that refuses the type
// "bad" and remembers every call.
func read(t *testing.T, file string, opts Options) (int, []Problem, []got) {
	t.Helper()
	var calls []got
	n, problems, err := Read(strings.NewReader(file), header, func(line int, fields []string) []string {
		calls = append(calls, got{line, strings.Join(fields, "|")})
		if fields[1] == "bad" {
			return []string{"type is bad", "and so is everything"}
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return n, problems, calls
}

func TestRead(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		records  int
		problems []Problem
		calls    []got
	}{
		{"good", "number,type\n+911,local\n+912, mobile \n", 2, nil, []got{{2, "+911|local"}, {3, "+912|mobile"}}},
		{"CRLF, BOM, header case and spaces", "\ufeffNumber , TYPE\r\n+911,local\r\n", 1, nil, []got{{2, "+911|local"}}},
		{"header only", "number,type\n", 0, nil, nil},
		{"no final newline", "number,type\n+911,local", 1, nil, []got{{2, "+911|local"}}},
		{"blank lines are skipped but counted", "number,type\n\n+911,local\n\n+912,bad\n", 2,
			[]Problem{{5, "type is bad"}, {5, "and so is everything"}}, []got{{3, "+911|local"}, {5, "+912|bad"}}},
		{"empty file", "", 0, []Problem{{1, "the file is empty; its first line must be the header number,type"}}, nil},
		{"wrong header", "type,number\n+911,local\n", 0, []Problem{{1, "the header must be number,type, not type,number"}}, nil},
		{"header with an extra column", "number,type,x\n", 0, []Problem{{1, "the header must be number,type, not number,type,x"}}, nil},
		{"every bad line", "number,type\n+911\n+912,local,extra\n+913,bad\n+914,\"a\"b\"\n+915,local\n", 5, []Problem{
			{2, "has 1 field, want 2 (number,type)"},
			{3, "has 3 fields, want 2 (number,type)"},
			{4, "type is bad"}, {4, "and so is everything"},
			{5, `is not valid CSV: extraneous or missing " in quoted-field`},
		}, []got{{4, "+913|bad"}, {6, "+915|local"}}},
		{"a quoted field over two lines", "number,type\n+911,\"lo\ncal\"\n+912,bad\n", 2,
			[]Problem{{4, "type is bad"}, {4, "and so is everything"}}, []got{{2, "+911|lo\ncal"}, {4, "+912|bad"}}},
		{"bare quote", "number,type\n+91\"1,local\n+912,local\n", 2,
			[]Problem{{2, `is not valid CSV: bare " in non-quoted-field`}}, []got{{3, "+912|local"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, problems, calls := read(t, tc.file, Options{})
			if n != tc.records {
				t.Errorf("records = %d, want %d", n, tc.records)
			}
			if diff := cmp.Diff(tc.problems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.calls, calls); diff != "" {
				t.Errorf("record calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("number,type\n")
	for range 25 {
		b.WriteString("+911,local\n")
	}
	var seen []int
	n, _, _ := read(t, b.String(), Options{ProgressEvery: 10, Progress: func(n int) { seen = append(seen, n) }})
	if n != 25 || !cmp.Equal(seen, []int{10, 20}) {
		t.Errorf("records %d, progress %v; want 25 and [10 20]", n, seen)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	// A failure after some good lines.
	in := io.MultiReader(strings.NewReader("number,type\n+911,local\n"), iotest.ErrReader(boom))
	if _, _, err := Read(in, header, func(int, []string) []string { return nil }, Options{}); !errors.Is(err, boom) {
		t.Errorf("Read of a reader failing after two lines = %v, want %v", err, boom)
	}
	// A failure at once.
	_, _, err := Read(iotest.ErrReader(boom), header, func(int, []string) []string { return nil }, Options{})
	if !errors.Is(err, boom) {
		t.Errorf("Read of a failing reader = %v, want %v", err, boom)
	}
	if p := (Problem{7, "x"}).String(); p != "line 7: x" {
		t.Errorf("Problem.String() = %q", p)
	}
}
