package main

import (
	"context"
	"fmt"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func sipList(ctx context.Context, args []string, env environment) error {
	f := newFlags("sip-endpoints list", "MA_…", env)
	p := addPaging(f)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	return list[*partnerd.SIPEndpoint]{
		fetch:  func(p partnerd.Page) ([]*partnerd.SIPEndpoint, int, error) { return c.ListSIPEndpoints(ctx, pos[0], p) },
		seq:    func() iter.Seq2[*partnerd.SIPEndpoint, error] { return c.SIPEndpointsSeq(ctx, pos[0]) },
		render: func(e *partnerd.SIPEndpoint) any { return wire.NewSIPEndpoint(e) },
		header: []string{"ENDPOINT_ID", "USERNAME", "ALIAS", "SIP_DOMAIN", "STATUS", "CREATED_AT"},
		cols: func(e *partnerd.SIPEndpoint) []string {
			return []string{e.ID, e.Username, opt(e.Alias), e.Realm, e.Status, ts(e.CreatedAt)}
		},
	}.print(f, p, env)
}

func sipCreate(ctx context.Context, args []string, env environment) error {
	f := newFlags("sip-endpoints create", "MA_…", env)
	username := f.String("username", "", "3 to 64 characters of a-z 0-9 . _ - (required)")
	password := f.String("password", "", "the SIP password, by the account password policy (required)")
	alias := f.String("alias", "", "a name for the device or PBX")
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	in := partnerd.SIPEndpointInput{Username: *username, Password: *password}
	if *alias != "" {
		in.Alias = alias
	}
	e, err := c.CreateSIPEndpoint(ctx, pos[0], in)
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewSIPEndpoint(e), [][2]string{
		{"endpoint_id", e.ID}, {"username", e.Username}, {"alias", opt(e.Alias)}, {"sip_domain", e.Realm},
		{"status", e.Status}, {"created_at", ts(e.CreatedAt)},
	})
}

func sipDelete(ctx context.Context, args []string, env environment) error {
	f := newFlags("sip-endpoints delete", "MA_… ENDPOINT_ID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	if err := c.DeleteSIPEndpoint(ctx, pos[0], pos[1]); err != nil {
		return err
	}
	if f.json() {
		return printJSON(env.stdout, map[string]string{"endpoint_id": pos[1], "status": "deleted"})
	}
	fmt.Fprintf(env.stdout, "deleted %s of %s\n", pos[1], pos[0])
	return nil
}
