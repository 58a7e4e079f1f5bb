package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/partnerd/partnerd"
)

// switchTokenJSON is how operator commands print a switch token.
type switchTokenJSON struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Token     string  `json:"token,omitempty"`
	CreatedAt string  `json:"created_at"`
	RevokedAt *string `json:"revoked_at"`
}

func toSwitchTokenJSON(st *partnerd.SwitchToken, token string) switchTokenJSON {
	out := switchTokenJSON{ID: st.ID, Name: st.Name, Token: token, CreatedAt: st.CreatedAt.UTC().Format(time.RFC3339)}
	if st.RevokedAt != nil {
		r := st.RevokedAt.UTC().Format(time.RFC3339)
		out.RevokedAt = &r
	}
	return out
}

func switchTokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("switch-token create", "", stdout)
	dbFlag := fs.db(getenv)
	name := fs.String("name", "", "a name for the switch, such as kamailio-1")
	if err := fs.parse(args); err != nil {
		return err
	}
	var in partnerd.SwitchTokenInput
	if *name != "" {
		in.Name = name
	}
	if err := in.Validate(); err != nil {
		return describe(err)
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	st, token, err := db.CreateSwitchToken(ctx, in)
	if err != nil {
		return describe(err)
	}
	return json.NewEncoder(stdout).Encode(toSwitchTokenJSON(st, token))
}

func switchTokenList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("switch-token list", "", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, reading)
	if err != nil {
		return err
	}
	defer db.Close()
	tokens, err := db.ListSwitchTokens(ctx)
	if err != nil {
		return err
	}
	return printLines(stdout, stderr, "no switch tokens", tokens, func(st *partnerd.SwitchToken) any { return toSwitchTokenJSON(st, "") })
}

func switchTokenRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("switch-token revoke", "ST_…", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	id := fs.Arg(0)
	if !partnerd.IsSwitchTokenID(id) {
		return usageError{fmt.Sprintf("%q is not a switch token id (ST_ and 8 upper-case letters or digits)\n\n%s", id, fs.usage())}
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.RevokeSwitchToken(ctx, id)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(toSwitchTokenJSON(st, ""))
}
