package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// partnerJSON is how operator commands print a partner.
type partnerJSON struct {
	AuthID       string         `json:"auth_id"`
	AuthToken    string         `json:"auth_token,omitempty"`
	Name         string         `json:"name"`
	Email        string         `json:"email"`
	Company      *string        `json:"company"`
	Status       string         `json:"status"`
	Currency     string         `json:"currency"`
	Balance      partnerd.Money `json:"balance"`
	AccountCount int            `json:"account_count"`
	CreatedAt    string         `json:"created_at"`
	Timezone     string         `json:"timezone"`
	LowBalance   partnerd.Money `json:"low_balance"`
	// RateLimit is requests per second; 0 is the server's default.
	RateLimit int `json:"rate_limit"`
}

func toPartnerJSON(p *partnerd.Partner, token string) partnerJSON {
	return partnerJSON{
		AuthID: p.ID, AuthToken: token, Name: p.Name, Email: p.Email, Company: p.Company, Status: p.Status,
		Currency: p.Currency, Balance: partnerd.Money{Minor: p.Balance, Currency: p.Currency},
		AccountCount: p.AccountCount, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339),
		Timezone: p.Timezone, LowBalance: partnerd.Money{Minor: p.LowBalance, Currency: p.Currency},
		RateLimit: p.RateLimit,
	}
}

func partnerCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner create", "", stdout)
	dbFlag := fs.db(getenv)
	name := fs.String("name", "", "partner name (required)")
	email := fs.String("email", "", "partner contact email (required)")
	company := fs.String("company", "", "company name")
	currency := fs.String("currency", partnerd.DefaultCurrency, "currency of the partner and its customers")
	if err := fs.parse(args); err != nil {
		return err
	}
	in := partnerd.PartnerInput{Name: *name, Email: *email, Currency: *currency}
	if *company != "" {
		in.Company = company
	}
	// Bad flags are usage errors whatever the database.
	if err := in.Validate(); err != nil {
		return describe(err)
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	p, token, err := db.CreatePartner(ctx, in)
	if err != nil {
		return describe(err)
	}
	return json.NewEncoder(stdout).Encode(toPartnerJSON(p, token))
}

func partnerList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner list", "", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, reading)
	if err != nil {
		return err
	}
	defer db.Close()
	partners, err := db.ListPartners(ctx)
	if err != nil {
		return err
	}
	return printLines(stdout, stderr, "no partners", partners, func(p *partnerd.Partner) any { return toPartnerJSON(p, "") })
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, creating)
	if err != nil {
		return err
	}
	m := db.Migration()
	switch {
	case m.Created:
		fmt.Fprintf(stdout, "created %s and applied %s (version %d)\n", *dbFlag, partnerd.Count(m.Applied, "migration", "migrations"), m.To)
	case m.Applied > 0:
		fmt.Fprintf(stdout, "applied %s (version %d → %d)\n", partnerd.Count(m.Applied, "migration", "migrations"), m.From, m.To)
	default:
		fmt.Fprintf(stdout, "already up to date at version %d\n", m.To)
	}
	return db.Close()
}

// describe turns a validation error into a message an operator can act on.
func describe(err error) error {
	var e *partnerd.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	msg := e.Message
	for _, f := range e.Fields {
		// The flags spell the API's field names with hyphens.
		msg += fmt.Sprintf("\n  --%s: %s", strings.ReplaceAll(f.Field, "_", "-"), f.Message)
	}
	return usageError{msg}
}

// partnerSet changes a partner's settings: its status, the time zone its
// days are counted in, its low-balance threshold and its rate limit.
func partnerSet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner set", "PA_…", stdout)
	dbFlag := fs.db(getenv)
	status := fs.String("status", "", "active, or inactive (its credentials then get 403 partner_inactive)")
	timezone := fs.String("timezone", "", "IANA time zone its days are counted in (date filters, the dashboard's today), as Asia/Kolkata")
	low := fs.String("low-balance", "", "balance under which a customer counts as low on the dashboard, in the partner's currency (default 100.00)")
	rateLimit := fs.Int("rate-limit", 0, "requests per second the partner's credentials may make (0: the server's default)")
	if err := fs.parse(args); err != nil {
		return err
	}
	var in partnerd.PartnerSettings
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "status":
			in.Status = status
		case "timezone":
			in.Timezone = timezone
		case "rate-limit":
			in.RateLimit = rateLimit
		}
	})
	if in.Status == nil && in.Timezone == nil && in.RateLimit == nil && *low == "" {
		return usageError{"partner set changes nothing: give --status, --timezone, --low-balance or --rate-limit\n\n" + fs.usage()}
	}
	partnerID := fs.Arg(0)
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	if *low != "" {
		v, code := partnerd.ParseAmountText(*low, p.Currency)
		if code != "" || v < 0 {
			return usageError{fmt.Sprintf("--low-balance %q must be an amount of %s from 0 with at most %d decimals",
				*low, p.Currency, partnerd.CurrencyExponent(p.Currency))}
		}
		in.LowBalance = &v
	}
	if err := in.Validate(); err != nil {
		return describe(err)
	}
	p, err = db.SetPartner(ctx, partnerID, in)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(toPartnerJSON(p, ""))
}

// partnerRotateToken gives a partner a new token and prints it, the only
// time it is shown. The old token stops working at once for new servers,
// and within the credential cache's bound (1 s) on running ones.
func partnerRotateToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner rotate-token", "PA_…", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	partnerID := fs.Arg(0)
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.RotatePartnerToken(ctx, partnerID)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(struct {
		AuthID    string `json:"auth_id"`
		AuthToken string `json:"auth_token"`
	}{partnerID, token})
}
