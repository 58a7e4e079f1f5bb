package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
	"github.com/schollz/progressbar/v3"
)

// cdrFlags are the filters of the CDR commands.
type cdrFlags struct {
	account, startDate, endDate, direction, status, fromNumber, toNumber, hangupCause, minDuration, maxDuration, search *string
}

func addCDRFlags(f *cmdFlags) *cdrFlags {
	return &cdrFlags{
		account:     f.String("account", "", "one customer's calls (MA_…); default: every customer's"),
		startDate:   f.String("start-date", "", "first day, YYYY-MM-DD, in the partner's time zone (default: 30 days ago)"),
		endDate:     f.String("end-date", "", "last day, YYYY-MM-DD (default: today)"),
		direction:   f.String("direction", "", "inbound or outbound"),
		status:      f.String("status", "", "answered, no-answer, busy or failed"),
		fromNumber:  f.String("from-number", "", "only calls from this E.164 number"),
		toNumber:    f.String("to-number", "", "only calls to this E.164 number"),
		hangupCause: f.String("hangup-cause", "", "only calls that ended so, such as NORMAL_CLEARING"),
		minDuration: f.String("min-duration", "", "only calls billed at least this many seconds"),
		maxDuration: f.String("max-duration", "", "only calls billed at most this many seconds"),
		search:      f.String("search", "", "only calls whose numbers or call_uuid contain this"),
	}
}

// filter returns the filter the flags ask for.
func (cf *cdrFlags) filter() (partnerd.CDRFilter, error) {
	f := partnerd.CDRFilter{Direction: *cf.direction, Status: *cf.status, FromNumber: *cf.fromNumber,
		ToNumber: *cf.toNumber, HangupCause: *cf.hangupCause, Search: *cf.search}
	var err error
	if f.From, err = day("start-date", *cf.startDate); err != nil {
		return f, err
	}
	end, err := day("end-date", *cf.endDate)
	if err != nil {
		return f, err
	}
	if !end.IsZero() {
		f.To = end.AddDate(0, 0, 1) // the filter's To is exclusive
	}
	for _, d := range []struct {
		name string
		v    string
		dst  **int
	}{{"min-duration", *cf.minDuration, &f.MinBillsec}, {"max-duration", *cf.maxDuration, &f.MaxBillsec}} {
		if d.v == "" {
			continue
		}
		n, err := strconv.Atoi(d.v)
		if err != nil || n < 0 {
			return f, usageError{fmt.Sprintf("--%s %q must be a whole number of seconds", d.name, d.v)}
		}
		*d.dst = &n
	}
	return f, nil
}

func cdrsList(ctx context.Context, args []string, env environment) error {
	f := newFlags("cdrs list", "", env)
	cf := addCDRFlags(f)
	p := addPaging(f)
	if _, err := f.parse(args); err != nil {
		return err
	}
	filter, err := cf.filter()
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	account := *cf.account
	l := list[*partnerd.CDR]{
		fetch: func(p partnerd.Page) ([]*partnerd.CDR, int, error) {
			filter.Page = p
			return c.ListCDRs(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.CDR, error] { return c.CDRsSeq(ctx, "", filter) },
		render: func(r *partnerd.CDR) any { return wire.NewCDRItem(r) },
		header: []string{"CALL_UUID", "ACCOUNT", "DIRECTION", "FROM", "TO", "STATUS", "BILLSEC", "COST", "CURRENCY", "START_TIME"},
		cols: func(r *partnerd.CDR) []string {
			return []string{r.CallUUID, r.AccountAuthID, r.Direction, r.FromNumber, r.ToNumber,
				partnerd.CallStatus(r.Billsec, r.HangupCause), itoa(r.Billsec), money(r.Cost, r.Currency), r.Currency, ts(r.StartTime)}
		},
	}
	if account != "" {
		l.fetch = func(p partnerd.Page) ([]*partnerd.CDR, int, error) {
			filter.Page = p
			return c.ListAccountCDRs(ctx, "", account, filter)
		}
		l.seq = func() iter.Seq2[*partnerd.CDR, error] { return c.AccountCDRsSeq(ctx, "", account, filter) }
		l.render = func(r *partnerd.CDR) any { return wire.NewCDRRow(r) }
	}
	return l.print(f, p, env)
}

func cdrsGet(ctx context.Context, args []string, env environment) error {
	f := newFlags("cdrs get", "MA_… CALL_UUID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	r, err := c.AccountCDR(ctx, "", pos[0], pos[1])
	if err != nil {
		return err
	}
	code := "-"
	if r.SIPResponseCode != nil {
		code = itoa(*r.SIPResponseCode)
	}
	return printRecord(f, env.stdout, wire.NewCDRDetail(r), [][2]string{
		{"call_uuid", r.CallUUID}, {"account_auth_id", r.AccountAuthID}, {"direction", r.Direction},
		{"from_number", r.FromNumber}, {"to_number", r.ToNumber}, {"status", partnerd.CallStatus(r.Billsec, r.HangupCause)},
		{"duration_seconds", itoa(r.DurationSeconds)}, {"billsec", itoa(r.Billsec)}, {"hangup_cause", opt(r.HangupCause)},
		{"sip_response_code", code}, {"cost", money(r.Cost, r.Currency)}, {"unbilled_amount", money(r.UnbilledAmount, r.Currency)},
		{"rate_per_minute", string(wire.RatePerMinute(r.RatePerMinute))}, {"currency", r.Currency},
		{"start_time", ts(r.StartTime)}, {"answer_time", optTime(r.AnswerTime)}, {"end_time", ts(r.EndTime)},
		{"trunk_id", opt(r.TrunkID)}, {"context", opt(r.Context)},
	})
}

func cdrsExport(ctx context.Context, args []string, env environment) error {
	f := newFlags("cdrs export", "", env)
	cf := addCDRFlags(f)
	file := f.String("file", "", `the CSV file to write (required; "-" for stdout)`)
	if _, err := f.parse(args); err != nil {
		return err
	}
	if *file == "" {
		return usageError{"--file is required\n\n" + f.usage()}
	}
	filter, err := cf.filter()
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	account := *cf.account
	count := func() (int, error) {
		filter.Page = partnerd.Page{Page: 1, Size: 1}
		if account != "" {
			_, n, err := c.ListAccountCDRs(ctx, "", account, filter)
			return n, err
		}
		_, n, err := c.ListCDRs(ctx, "", filter)
		return n, err
	}
	open := func() (io.ReadCloser, error) {
		if account != "" {
			return c.AccountCDRsCSV(ctx, account, filter)
		}
		return c.CDRsCSV(ctx, filter)
	}
	return exportCSV(env, *file, "call record", "call records", count, open)
}

// exportCSV writes the CSV stream open returns to file ("-" is stdout),
// with a progress bar on a terminal, whose total count tells (one row of
// the list), and reports how many records it wrote: one names a record,
// many several ("call record", "call records").
func exportCSV(env environment, file, one, many string, count func() (int, error), open func() (io.ReadCloser, error)) error {
	total := int64(-1)
	if env.terminal {
		n, err := count()
		if err != nil {
			return err
		}
		total = int64(n)
	}
	body, err := open()
	if err != nil {
		return err
	}
	defer body.Close()

	out, closeOut, err := create(file, env.stdout)
	if err != nil {
		return err
	}
	rows := &rowCounter{}
	var bar *progressbar.ProgressBar
	if env.terminal {
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(env.stderr), progressbar.OptionSetDescription(many),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionOnCompletion(func() { fmt.Fprintln(env.stderr) }))
		rows.tick = func() { bar.Add(1) }
	}
	_, err = io.Copy(io.MultiWriter(out, rows), body)
	if cerr := closeOut(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("exporting %s to %s: %w", many, file, err)
	}
	if bar != nil {
		bar.Finish()
	}
	n := max(rows.records-1, 0) // the header
	fmt.Fprintf(env.stderr, "wrote %s to %s\n", partnerd.Count(n, one, many), file)
	return nil
}

// create opens name for writing ("-" is stdout): a temporary file in its
// directory, which its close renames to name when the export completed
// and removes otherwise, so a cut export neither passes for a whole one
// nor destroys a good file of that name.
func create(name string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	if name == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	file, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, nil, err
	}
	return file, func(ok bool) error {
		err := errors.Join(file.Chmod(0o644), file.Close())
		if ok && err == nil {
			if err = os.Rename(file.Name(), name); err == nil {
				return nil
			}
		}
		return errors.Join(err, os.Remove(file.Name()))
	}, nil
}

// rowCounter counts the CSV records written through it: newlines outside
// quoted fields (a doubled quote inside a field toggles twice).
type rowCounter struct {
	quoted  bool
	records int
	tick    func() // after each record past the header, if set
}

func (r *rowCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case b == '"':
			r.quoted = !r.quoted
		case b == '\n' && !r.quoted:
			r.records++
			if r.tick != nil && r.records > 1 {
				r.tick()
			}
		}
	}
	return len(p), nil
}
