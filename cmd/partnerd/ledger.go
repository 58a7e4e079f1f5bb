package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/partnerd/partnerd"
)

// partnerFund credits a partner's master wallet: money entering the
// system from outside, recorded as a ledger transaction like any other.
func partnerFund(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner fund", "PA_… AMOUNT", stdout)
	dbFlag := fs.db(getenv)
	description := fs.String("description", "", "note recorded with the transaction")
	if err := fs.parse(args); err != nil {
		return err
	}
	partnerID, amountText := fs.Arg(0), fs.Arg(1)
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	amount, code := partnerd.ParseAmountText(amountText, p.Currency)
	if code != "" || amount <= 0 {
		return usageError{fmt.Sprintf("AMOUNT %q must be a positive decimal with at most %d decimals (up to 1000000000) in %s",
			amountText, partnerd.CurrencyExponent(p.Currency), p.Currency)}
	}
	var desc *string
	if *description != "" {
		desc = description
	}
	e, err := db.FundPartner(ctx, partnerID, amount, desc)
	if err != nil {
		return err
	}
	m := func(v int64) partnerd.Money { return partnerd.Money{Minor: v, Currency: e.Currency} }
	return json.NewEncoder(stdout).Encode(map[string]any{
		"transaction_id": e.TransactionID, "auth_id": partnerID, "amount": m(e.Amount), "currency": e.Currency,
		"balance_before": m(e.BalanceBefore), "balance_after": m(e.BalanceAfter), "description": e.Description,
		"created_at": e.CreatedAt.UTC().Format(time.RFC3339),
	})
}

// ledgerVerify checks every ledger invariant and exits non-zero naming the
// first wallet or transaction that breaks one.
func ledgerVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger verify", "", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, reading)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.VerifyLedger(ctx, stdout)
}
