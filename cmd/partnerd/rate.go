package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/csvimport"
)

// rateImport replaces a partner's rate deck with the rates of a CSV file:
// every bad line is reported with its number, and the deck changes only
// when there is none. A file of no rates is refused unless --allow-empty
// says so: an empty deck refuses every call (no_rate), which a truncated
// export must not do by accident.
func rateImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("rate import", "FILE.csv", stdout)
	dbFlag := fs.db(getenv)
	partnerID := fs.String("partner", "", "the partner (PA_…) whose whole deck the file replaces (required)")
	allowEmpty := fs.Bool("allow-empty", false, "accept a file of no rates (its header only): it empties the deck, and every call is then refused (no_rate)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if !partnerd.IsPartnerID(*partnerID) {
		return usageError{fmt.Sprintf("--partner must be a partner id such as PA_A1B2C3D4, got %q\n\n%s", *partnerID, fs.usage())}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	// An unknown partner is refused before the file is read.
	if _, err := db.Partner(ctx, *partnerID); err != nil {
		return err
	}

	var deck []partnerd.Rate
	firstLine := map[string]int{}
	rows, problems, err := csvimport.Read(f, partnerd.RateColumns, func(line int, fields []string) []string {
		r, err := partnerd.RateText{Direction: fields[0], Prefix: fields[1], RatePerMinute: fields[2],
			InitialIncrement: fields[3], SubsequentIncrement: fields[4]}.Rate()
		if err != nil {
			return fieldMessages(err)
		}
		if first, dup := firstLine[r.RateKey()]; dup {
			return []string{fmt.Sprintf("%s prefix %s repeats line %d", r.Direction, r.Prefix, first)}
		}
		firstLine[r.RateKey()] = line
		deck = append(deck, r)
		return nil
	}, csvimport.Options{Progress: func(n int) { fmt.Fprintf(stderr, "rate import: %d rows read\n", n) }})
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("%s has %s (listed above); the deck of %s is unchanged", path, partnerd.Count(len(problems), "problem", "problems"), *partnerID)
	}
	if len(deck) == 0 && !*allowEmpty {
		return fmt.Errorf("%s holds no rates after its header %s; the deck of %s is unchanged (--allow-empty empties it)",
			path, strings.Join(partnerd.RateColumns, ","), *partnerID)
	}
	if rows >= 10_000 {
		fmt.Fprintf(stderr, "rate import: replacing the deck of %s with %d rates\n", *partnerID, rows)
	}
	if err := db.ReplaceRateDeck(ctx, *partnerID, deck); err != nil {
		return err
	}
	summary := struct {
		PartnerID string `json:"partner_id"`
		Imported  int    `json:"imported"`
		Inbound   int    `json:"inbound"`
		Outbound  int    `json:"outbound"`
	}{PartnerID: *partnerID, Imported: len(deck)}
	for _, r := range deck {
		if r.Direction == partnerd.DirectionInbound {
			summary.Inbound++
		} else {
			summary.Outbound++
		}
	}
	return json.NewEncoder(stdout).Encode(summary)
}

// fieldMessages returns the messages of a validation error's fields, or
// the error's own text.
func fieldMessages(err error) []string {
	var e *partnerd.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return []string{err.Error()}
	}
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Message
	}
	return out
}
