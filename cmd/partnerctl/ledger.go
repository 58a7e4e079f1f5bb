package main

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/wire"
)

func transfer(ctx context.Context, args []string, env environment) error {
	return move(ctx, "transfer", args, env)
}

func withdraw(ctx context.Context, args []string, env environment) error {
	return move(ctx, "withdraw", args, env)
}

// move is transfer and withdraw: the amount is a decimal in the
// partner's currency, read with exactly its decimals, never through a
// float.
func move(ctx context.Context, name string, args []string, env environment) error {
	f := newFlags(name, "MA_… AMOUNT", env)
	description := f.String("description", "", "what the movement is for, shown in both logs")
	key := f.String("idempotency-key", "", "a key of your own: running the command again with it moves the money once (default: a new key, kept across the command's retries)")
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	p, err := c.Me(ctx)
	if err != nil {
		return err
	}
	amount, code := partnerd.ParseAmountText(pos[1], p.Currency)
	if code != "" || amount <= 0 {
		return usageError{fmt.Sprintf("AMOUNT %q must be a positive decimal with at most %d decimals (up to 1000000000) in %s",
			pos[1], partnerd.CurrencyExponent(p.Currency), p.Currency)}
	}
	in := partnerd.TransferInput{AuthID: pos[0], Amount: amount}
	if *description != "" {
		in.Description = description
	}
	if *key != "" {
		ctx = client.WithIdempotencyKey(ctx, *key)
	}
	var res client.Response
	ctx = client.WithResponse(ctx, &res)
	// The currency is known now: the client need not ask again.
	c, err = f.client(client.WithCurrency(p.Currency))
	if err != nil {
		return err
	}
	do := c.Transfer
	if name == "withdraw" {
		do = c.Withdraw
	}
	t, err := do(ctx, "", in)
	if err != nil {
		return err
	}
	switch {
	case res.Replayed && res.Attempts > 1:
		// The command's own retry: its first attempt made the movement.
		fmt.Fprintln(env.stderr, "partnerctl: the first attempt's answer was lost; the retry got its stored answer (the money moved once)")
	case res.Replayed:
		fmt.Fprintln(env.stderr, "partnerctl: the server had already made this movement under this idempotency key; nothing moved again")
	}
	return printRecord(f, env.stdout, wire.NewTransfer(t), [][2]string{
		{"transaction_id", t.TransactionID}, {"from_account", t.FromAccount}, {"to_account", t.ToAccount},
		{"amount", money(t.Amount, t.Currency)}, {"currency", t.Currency}, {"description", opt(t.Description)},
		{"status", t.Status}, {"partner_balance_after", money(t.PartnerBalanceAfter, t.Currency)},
		{"customer_balance_after", money(t.CustomerBalanceAfter, t.Currency)}, {"timestamp", ts(t.Timestamp)},
	})
}

func transactions(ctx context.Context, args []string, env environment) error {
	f := newFlags("transactions", "", env)
	account := f.String("account", "", "one customer's log (MA_…); default: every customer's")
	mine := f.Bool("partner", false, "the partner's own master wallet log instead")
	typ := f.String("type", "", "only this transaction type (recharge, withdrawal, debit, refund, adjustment; fund, transfer_out, transfer_in with --partner)")
	days := addDays(f)
	p := addPaging(f)
	file := f.String("file", "", `write every matching transaction as CSV to this file instead ("-" for stdout; paging flags unused), with a progress bar on a terminal`)
	if _, err := f.parse(args); err != nil {
		return err
	}
	if *mine && *account != "" {
		return usageError{"--partner and --account exclude each other\n\n" + f.usage()}
	}
	filter := partnerd.EntryFilter{Type: *typ}
	var err error
	if filter.From, filter.To, err = days.span(); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	fetch := func(p partnerd.Page) ([]*partnerd.Entry, int, error) {
		filter.Page = p
		return c.CustomerEntries(ctx, "", filter)
	}
	seq := func() iter.Seq2[*partnerd.Entry, error] { return c.CustomerEntriesSeq(ctx, "", filter) }
	withAccount := true
	switch {
	case *mine:
		withAccount = false
		fetch = func(p partnerd.Page) ([]*partnerd.Entry, int, error) {
			filter.Page = p
			return c.PartnerEntries(ctx, "", filter)
		}
		seq = func() iter.Seq2[*partnerd.Entry, error] { return c.PartnerEntriesSeq(ctx, "", filter) }
	case *account != "":
		withAccount = false
		fetch = func(p partnerd.Page) ([]*partnerd.Entry, int, error) {
			filter.Page = p
			return c.AccountEntries(ctx, "", *account, filter)
		}
		seq = func() iter.Seq2[*partnerd.Entry, error] { return c.AccountEntriesSeq(ctx, "", *account, filter) }
	}
	if *file != "" {
		open := func() (io.ReadCloser, error) { return c.CustomerEntriesCSV(ctx, filter) }
		switch {
		case *mine:
			open = func() (io.ReadCloser, error) { return c.PartnerEntriesCSV(ctx, filter) }
		case *account != "":
			open = func() (io.ReadCloser, error) { return c.AccountEntriesCSV(ctx, *account, filter) }
		}
		count := func() (int, error) {
			_, n, err := fetch(partnerd.Page{Page: 1, Size: 1})
			return n, err
		}
		return exportCSV(env, *file, "transaction", "transactions", count, open)
	}
	return list[*partnerd.Entry]{
		fetch: fetch, seq: seq,
		render: func(e *partnerd.Entry) any { return wire.NewEntry(e, withAccount) },
		header: []string{"ID", "ACCOUNT", "TYPE", "AMOUNT", "BALANCE_AFTER", "CURRENCY", "DESCRIPTION", "INITIATED_BY", "CREATED_AT"},
		cols: func(e *partnerd.Entry) []string {
			return []string{e.TransactionID, e.AccountAuthID, e.Type, money(e.Amount, e.Currency), money(e.BalanceAfter, e.Currency),
				e.Currency, opt(e.Description), e.InitiatedBy, ts(e.CreatedAt)}
		},
	}.print(f, p, env)
}
