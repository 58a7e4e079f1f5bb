package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/csvimport"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/wire"
)

// numberAdd adds one number to a partner's pool.
func numberAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("number add", "E164", stdout)
	dbFlag := fs.db(getenv)
	partnerID := fs.String("partner", "", "the partner whose pool gets the number, PA_… (required)")
	typ := fs.String("type", partnerd.NumberLocal, "local, tollfree or mobile")
	region := fs.String("region", "", "where the number rings, as shown to the partner (a city, a state)")
	cost := fs.String("monthly-cost", "0", "monthly rent charged to the customer it is assigned to, in the partner's currency (0: free)")
	if err := fs.parse(args); err != nil {
		return err
	}
	db, p, err := openPartner(ctx, fs, *dbFlag, *partnerID, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	in := partnerd.NumberInput{Number: fs.Arg(0), Type: *typ}
	if *region != "" {
		in.Region = region
	}
	var fe partnerd.FieldErrors
	in.MonthlyCost = partnerd.ParseMonthlyCost(&fe, "monthly-cost", *cost, p.Currency)
	if err := in.ValidateWith(fe); err != nil {
		return describe(err)
	}
	n, err := db.AddNumber(ctx, p.ID, in)
	if partnerd.ErrorCode(err) == partnerd.ECValidation {
		return describe(err)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(wire.NewNumberItem(n))
}

// openPartner opens the database of a number command and reads the
// partner its --partner names.
func openPartner(ctx context.Context, fs *cmdFlags, dsn, partnerID string, getenv func(string) string) (*sqlstore.DB, *partnerd.Partner, error) {
	if partnerID == "" {
		return nil, nil, usageError{"--partner is required\n\n" + fs.usage()}
	}
	db, err := openStore(ctx, dsn, getenv, nil, existing)
	if err != nil {
		return nil, nil, err
	}
	p, err := db.Partner(ctx, partnerID)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, p, nil
}

// importHeader is the header row number import requires.
var importHeader = []string{"number", "type", "region", "monthly_cost"}

// numberImport adds every number of a CSV file to a partner's pool, or
// none: each problem of the file (a bad row, a number it repeats, a number
// already in a pool) is reported with its line number, all in one run.
func numberImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("number import", "FILE.csv", stdout)
	dbFlag := fs.db(getenv)
	partnerID := fs.String("partner", "", "the partner whose pool gets the numbers, PA_… (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	db, p, err := openPartner(ctx, fs, *dbFlag, *partnerID, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	ins, lines, problems, err := readNumbersCSV(f, p.Currency, stderr)
	if err != nil {
		return err
	}
	if len(problems) == 0 && len(ins) == 0 {
		return fmt.Errorf("nothing imported: %s holds no numbers after its header %s", fs.Arg(0), strings.Join(importHeader, ","))
	}
	// The numbers already in a pool are looked up even when the file has
	// other problems, so that one run names them all.
	numbers := make([]string, len(ins))
	for i, in := range ins {
		numbers[i] = in.Number
	}
	taken, err := lineProblems(db.CheckNewNumbers(ctx, numbers), lines)
	if err != nil {
		return err
	}
	problems = append(problems, taken...)
	if len(problems) == 0 {
		fmt.Fprintf(stderr, "importing %s…\n", partnerd.Count(len(ins), "number", "numbers"))
		// AddNumbers checks the pools again as it adds: another import
		// may have taken a number since.
		_, err = db.AddNumbers(ctx, p.ID, ins)
		if problems, err = lineProblems(err, lines); err != nil {
			return err
		}
		if len(problems) == 0 {
			fmt.Fprintf(stdout, "imported %s into the pool of %s\n", partnerd.Count(len(ins), "number", "numbers"), p.ID)
			return nil
		}
	}
	slices.SortStableFunc(problems, func(a, b csvimport.Problem) int { return cmp.Compare(a.Line, b.Line) })
	msgs := make([]string, len(problems))
	for i, pr := range problems {
		msgs[i] = pr.String()
	}
	return fmt.Errorf("nothing imported: %s in %s:\n  %s", partnerd.Count(len(problems), "problem", "problems"), fs.Arg(0),
		strings.Join(msgs, "\n  "))
}

// readNumbersCSV reads the rows of an import file into inputs, with the
// line of each, and returns every problem of the file itself, each naming
// its line: a row that is not valid, or a number an earlier row holds.
func readNumbersCSV(r io.Reader, currency string, progress io.Writer) (ins []partnerd.NumberInput, lines []int, problems []csvimport.Problem, err error) {
	firstLine := map[string]int{}
	_, problems, err = csvimport.Read(r, importHeader, func(line int, f []string) []string {
		in := partnerd.NumberInput{Number: f[0], Type: f[1]}
		if region := f[2]; region != "" {
			in.Region = &region
		}
		var fe partnerd.FieldErrors
		if f[3] == "" {
			fe.Add("monthly_cost", partnerd.FCRequired, "monthly_cost is required (0 for a free number)")
		} else {
			in.MonthlyCost = partnerd.ParseMonthlyCost(&fe, "monthly_cost", f[3], currency)
		}
		if err := in.ValidateWith(fe); err != nil {
			return fieldMessages(err)
		}
		// Compared in E.164, as the pool stores them: "+91 22 7126 4217"
		// repeats "+912271264217".
		if first, dup := firstLine[in.Number]; dup {
			return []string{fmt.Sprintf("number %s repeats line %d", in.Number, first)}
		}
		firstLine[in.Number] = line
		ins, lines = append(ins, in), append(lines, line)
		return nil
	}, csvimport.Options{Progress: func(n int) { fmt.Fprintf(progress, "read %d rows…\n", n) }})
	return ins, lines, problems, err
}

// rowIndex reads the index of numbers[i] at the start of a field name.
var rowIndex = regexp.MustCompile(`^numbers\[(\d+)\]`)

// lineProblems turns a store's complaints about numbers[i] (a number
// already in a pool) into problems of the lines those numbers came from.
// Any other error (an unknown partner, a failed query) is returned as it
// is.
func lineProblems(err error, lines []int) ([]csvimport.Problem, error) {
	var pe *partnerd.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return nil, err
	}
	problems := make([]csvimport.Problem, len(pe.Fields))
	for k, fe := range pe.Fields {
		m := rowIndex.FindStringSubmatch(fe.Field)
		if m == nil {
			return nil, err
		}
		i, aerr := strconv.Atoi(m[1])
		if aerr != nil || i >= len(lines) {
			return nil, err
		}
		problems[k] = csvimport.Problem{Line: lines[i], Message: fe.Message}
	}
	return problems, nil
}
