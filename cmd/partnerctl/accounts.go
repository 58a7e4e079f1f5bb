package main

import (
	"context"
	"flag"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func me(ctx context.Context, args []string, env environment) error {
	f := newFlags("me", "", env)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	p, err := c.Me(ctx)
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewPartner(p), [][2]string{
		{"auth_id", p.ID}, {"name", p.Name}, {"email", p.Email}, {"company", opt(p.Company)}, {"status", p.Status},
		{"balance", money(p.Balance, p.Currency)}, {"currency", p.Currency}, {"account_count", itoa(p.AccountCount)},
		{"created_at", ts(p.CreatedAt)},
	})
}

func accountsList(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts list", "", env)
	search := f.String("search", "", "only accounts whose name or email contains this (any case), or with this auth_id")
	status := f.String("status", "", "only accounts in this status: active, suspended or closed")
	p := addPaging(f)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	filter := partnerd.AccountFilter{Search: *search, Status: *status}
	return list[*partnerd.Account]{
		fetch: func(p partnerd.Page) ([]*partnerd.Account, int, error) {
			filter.Page = p
			return c.ListAccounts(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.Account, error] { return c.AccountsSeq(ctx, "", filter) },
		render: func(a *partnerd.Account) any { return wire.NewAccountItem(a) },
		header: []string{"AUTH_ID", "NAME", "EMAIL", "STATUS", "BALANCE", "CURRENCY", "CREATED_AT"},
		cols: func(a *partnerd.Account) []string {
			return []string{a.AuthID, a.Name, a.Email, a.Status, money(a.Balance, a.Currency), a.Currency, ts(a.CreatedAt)}
		},
	}.print(f, p, env)
}

func accountsGet(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts get", "MA_…", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	a, err := c.Account(ctx, "", pos[0])
	if err != nil {
		return err
	}
	return printProfile(f, env, a, true)
}

func accountsCreate(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts create", "", env)
	var in partnerd.AccountInput
	f.StringVar(&in.Name, "name", "", "the customer's name (required)")
	f.StringVar(&in.Email, "email", "", "the customer's email, its login (required)")
	f.StringVar(&in.Password, "password", "", "8 to 128 characters with a digit and a symbol (required)"+passwordUsage)
	f.StringVar(&in.Phone, "phone", "", "a phone number valid in --country (required)")
	f.StringVar(&in.Country, "country", "", "ISO 3166-1 alpha-2 country, such as IN (required)")
	optional := map[string]**string{
		"description": &in.Description, "company": &in.Company, "address": &in.Address, "city": &in.City,
		"state": &in.State, "zip-code": &in.ZipCode, "timezone": &in.Timezone, "gstin": &in.GSTIN,
		"gst-status": &in.GSTStatus, "account-type": &in.AccountType,
	}
	texts := map[string]*string{}
	for name, usage := range map[string]string{
		"description": "what the account is for", "company": "the customer's company", "address": "street address",
		"city": "city", "state": "state", "zip-code": "postal code", "timezone": "IANA time zone (default UTC)",
		"gstin": "GST number (country IN only)", "gst-status": "active or inactive (with --gstin)",
		"account-type": "standard (default), premium or enterprise",
	} {
		texts[name] = f.String(name, "", usage)
	}
	low := f.String(lowFlag, "", "the balance under which balance.low fires, in the partner's currency (default: the partner's)")
	key := idempotencyKey(f)
	if _, err := f.parse(args); err != nil {
		return err
	}
	if err := f.required("name", "email", "password", "phone", "country"); err != nil {
		return err
	}
	var err error
	if in.Password, err = secret("password", in.Password, env); err != nil {
		return err
	}
	// Only the flags given are sent: an empty flag is not an empty value.
	f.Visit(func(fl *flag.Flag) {
		if dst, ok := optional[fl.Name]; ok {
			*dst = texts[fl.Name]
		}
	})
	c, err := f.client()
	if err != nil {
		return err
	}
	if *low != "" {
		v, err := parseThreshold(ctx, c, f, *low)
		if err != nil {
			return err
		}
		in.LowBalanceThreshold = &v
	}
	a, err := c.CreateAccount(withKey(ctx, *key), "", in)
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewAccountCreated(a), [][2]string{
		{"auth_id", a.AuthID}, {"auth_token", a.AuthToken}, {"name", a.Name}, {"email", a.Email}, {"status", a.Status},
		{"balance", money(a.Balance, a.Currency)}, {"currency", a.Currency}, {"country", a.Country},
		{"timezone", a.Timezone}, {"created_at", ts(a.CreatedAt)},
	})
}

func balance(ctx context.Context, args []string, env environment) error {
	f := newFlags("balance", "[MA_…]", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		p, err := c.Me(ctx)
		if err != nil {
			return err
		}
		return printRecord(f, env.stdout, wire.NewPartner(p), [][2]string{
			{"auth_id", p.ID}, {"name", p.Name}, {"balance", money(p.Balance, p.Currency)}, {"currency", p.Currency},
		})
	}
	a, err := c.Balance(ctx, pos[0])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewAccountBalance(a), [][2]string{
		{"auth_id", a.AuthID}, {"name", a.Name}, {"balance", money(a.Balance, a.Currency)}, {"currency", a.Currency},
		{"last_updated", ts(a.BalanceUpdatedAt)}, {"reserved", money(a.Reserved, a.Currency)},
		{"available", money(a.Balance-a.Reserved, a.Currency)},
	})
}
