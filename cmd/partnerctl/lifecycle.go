package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/wire"
)

// The account lifecycle (API.md §6): update, suspend, activate, close and
// rotate-token. Each prints the customer's profile as accounts get does,
// but rotate-token, which prints the new token: the one thing asked for.

// updateFields are the flags of accounts update and the API fields they
// set; the optional ones may also be cleared with --clear. The money
// field low_balance_threshold (API.md §8) is --low-balance-threshold,
// read like transfer's AMOUNT, and cleared like the optional ones.
var updateFields = []struct {
	flag, field, usage string
	optional           bool
}{
	{"name", "name", "the customer's name", false},
	{"email", "email", "the customer's email, its login", false},
	{"password", "password", "a new password: 8 to 128 characters with a digit and a symbol" + passwordUsage, false},
	{"phone", "phone", "a phone number valid in the account's country", false},
	{"description", "description", "what the account is for", true},
	{"company", "company", "the customer's company", true},
	{"address", "address", "street address", true},
	{"city", "city", "city", true},
	{"state", "state", "state", true},
	{"zip-code", "zip_code", "postal code", true},
	{"timezone", "timezone", "IANA time zone", true},
	{"gstin", "gstin", "GST number (country IN only)", true},
	{"gst-status", "gst_status", "active or inactive (with a gstin)", true},
	{"account-type", "account_type", "standard, premium or enterprise", true},
}

// change returns the field of u that the API field name sets.
func change(u *partnerd.AccountUpdate, field string) *partnerd.Change {
	return map[string]*partnerd.Change{
		"name": &u.Name, "email": &u.Email, "password": &u.Password, "phone": &u.Phone,
		"description": &u.Description, "company": &u.Company, "address": &u.Address, "city": &u.City,
		"state": &u.State, "zip_code": &u.ZipCode, "timezone": &u.Timezone, "gstin": &u.GSTIN,
		"gst_status": &u.GSTStatus, "account_type": &u.AccountType,
	}[field]
}

func accountsUpdate(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts update", "MA_…", env)
	texts := map[string]*string{}
	var clearable []string
	for _, uf := range updateFields {
		texts[uf.flag] = f.String(uf.flag, "", uf.usage)
		if uf.optional {
			clearable = append(clearable, uf.flag)
		}
	}
	low := f.String(lowFlag, "", "the balance under which balance.low fires, in the partner's currency (default: the partner's)")
	clearable = append(clearable, lowFlag)
	clearList := f.String("clear", "", "optional fields to set to null, comma-separated: "+strings.Join(clearable, ", "))
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	// Only the flags given are sent: an empty flag is not an empty value.
	var u partnerd.AccountUpdate
	given := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if given["password"] {
		if *texts["password"], err = secret("password", *texts["password"], env); err != nil {
			return err
		}
	}
	for _, uf := range updateFields {
		if given[uf.flag] {
			*change(&u, uf.field) = partnerd.Change{Set: true, Value: texts[uf.flag]}
		}
	}
	for name := range strings.SplitSeq(*clearList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if name == lowFlag && given[lowFlag] {
			return usageError{fmt.Sprintf("--%s and --clear %s exclude each other\n\n%s", name, name, f.usage())}
		}
		if name == lowFlag {
			u.LowBalanceThreshold = partnerd.AmountChange{Set: true}
			continue
		}
		i := -1
		for j, uf := range updateFields {
			if uf.flag == name && uf.optional {
				i = j
			}
		}
		if i < 0 {
			return usageError{fmt.Sprintf("--clear %q: only these fields can be cleared: %s\n\n%s", name, strings.Join(clearable, ", "), f.usage())}
		}
		if given[name] {
			return usageError{fmt.Sprintf("--%s and --clear %s exclude each other\n\n%s", name, name, f.usage())}
		}
		*change(&u, updateFields[i].field) = partnerd.Change{Set: true}
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	if given[lowFlag] {
		v, err := parseThreshold(ctx, c, f, *low)
		if err != nil {
			return err
		}
		u.LowBalanceThreshold = partnerd.AmountChange{Set: true, Value: &v}
	}
	a, err := c.UpdateAccount(ctx, "", pos[0], u)
	if err != nil {
		return err
	}
	return printProfile(f, env, a, false)
}

// lowFlag is the flag of the account's own low_balance_threshold.
const lowFlag = "low-balance-threshold"

// parseThreshold reads the --low-balance-threshold text in the partner's
// currency.
func parseThreshold(ctx context.Context, c *client.Client, f *cmdFlags, text string) (int64, error) {
	p, err := c.Me(ctx)
	if err != nil {
		return 0, err
	}
	v, code := partnerd.ParseAmountText(text, p.Currency)
	if code != "" || v < 0 {
		return 0, usageError{fmt.Sprintf("--%s %q must be a decimal of zero or more with at most %d decimals (up to 1000000000) in %s\n\n%s",
			lowFlag, text, partnerd.CurrencyExponent(p.Currency), p.Currency, f.usage())}
	}
	return v, nil
}

// profileWithoutToken is a profile's JSON without its auth_token: the
// shallower AuthToken hides the embedded one, and nil omits it.
type profileWithoutToken struct {
	wire.AccountProfile
	AuthToken *string `json:"auth_token,omitempty"`
}

// printProfile prints a customer's full profile, as accounts get does;
// its auth_token only when withToken (README: only accounts create, get
// and rotate-token print a customer's token).
func printProfile(f *cmdFlags, env environment, a *partnerd.Account, withToken bool) error {
	var v any = wire.NewAccountProfile(a)
	fields := [][2]string{{"auth_id", a.AuthID}, {"auth_token", a.AuthToken}}
	if !withToken {
		v = profileWithoutToken{AccountProfile: wire.NewAccountProfile(a)}
		fields = fields[:1]
	}
	return printRecord(f, env.stdout, v, append(fields, [][2]string{
		{"name", a.Name}, {"email", a.Email}, {"phone", a.Phone},
		{"status", a.Status}, {"status_reason", opt(a.StatusReason)}, {"balance", money(a.Balance, a.Currency)},
		{"currency", a.Currency}, {"country", a.Country}, {"timezone", a.Timezone}, {"company", opt(a.Company)},
		{"description", opt(a.Description)}, {"address", opt(a.Address)}, {"city", opt(a.City)}, {"state", opt(a.State)},
		{"zip_code", opt(a.ZipCode)}, {"gstin", opt(a.GSTIN)}, {"gst_status", opt(a.GSTStatus)},
		{"account_type", a.AccountType}, {"low_balance_threshold", money(a.LowBalanceThreshold, a.Currency)},
		{"created_at", ts(a.CreatedAt)}, {"updated_at", ts(a.UpdatedAt)},
	}...))
}

// changeProfile runs one lifecycle change through the server, with the
// command's Idempotency-Key if given, and prints the profile it answers.
func changeProfile(ctx context.Context, f *cmdFlags, env environment, key string,
	change func(ctx context.Context, c *client.Client) (*partnerd.Account, error)) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	a, err := change(withKey(ctx, key), c)
	if err != nil {
		return err
	}
	return printProfile(f, env, a, false)
}

// withKey returns ctx carrying key, if given.
func withKey(ctx context.Context, key string) context.Context {
	if key != "" {
		return client.WithIdempotencyKey(ctx, key)
	}
	return ctx
}

func accountsSuspend(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts suspend", "MA_…", env)
	reason := f.String("reason", "", "why, kept with the account while it is suspended")
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	var in partnerd.SuspendInput
	if *reason != "" {
		in.Reason = reason
	}
	return changeProfile(ctx, f, env, *key, func(ctx context.Context, c *client.Client) (*partnerd.Account, error) {
		return c.SuspendAccount(ctx, "", pos[0], in)
	})
}

func accountsActivate(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts activate", "MA_…", env)
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	return changeProfile(ctx, f, env, *key, func(ctx context.Context, c *client.Client) (*partnerd.Account, error) {
		return c.ActivateAccount(ctx, "", pos[0])
	})
}

func accountsClose(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts close", "MA_…", env)
	yes := f.Bool("yes", false, "confirm: closing cannot be undone (required)")
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if !*yes {
		return usageError{fmt.Sprintf("closing %s cannot be undone: its balance goes back to you, its numbers to the pool, its token stops working; add --yes\n\n%s", pos[0], f.usage())}
	}
	return changeProfile(ctx, f, env, *key, func(ctx context.Context, c *client.Client) (*partnerd.Account, error) {
		return c.CloseAccount(ctx, "", pos[0])
	})
}

func accountsRotateToken(ctx context.Context, args []string, env environment) error {
	f := newFlags("accounts rotate-token", "MA_…", env)
	key := idempotencyKey(f)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	a, err := c.RotateAccountToken(withKey(ctx, *key), "", pos[0])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.AccountToken{AuthID: a.AuthID, AuthToken: a.AuthToken}, [][2]string{
		{"auth_id", a.AuthID}, {"auth_token", a.AuthToken},
	})
}
