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
	password := f.String("password", "", "the SIP password, by the account password policy (required)"+passwordUsage)
	alias := f.String("alias", "", "a name for the device or PBX")
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := f.required("username", "password"); err != nil {
		return err
	}
	in := partnerd.SIPEndpointInput{Username: *username}
	if in.Password, err = secret("password", *password, env); err != nil {
		return err
	}
	if *alias != "" {
		in.Alias = alias
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	e, err := c.CreateSIPEndpoint(withKey(ctx, *key), pos[0], in)
	if err != nil {
		return err
	}
	return printEndpointSIP(f, env, e)
}

// printEndpointSIP prints a SIP endpoint (never its password).
func printEndpointSIP(f *cmdFlags, env environment, e *partnerd.SIPEndpoint) error {
	return printRecord(f, env.stdout, wire.NewSIPEndpoint(e), [][2]string{
		{"endpoint_id", e.ID}, {"username", e.Username}, {"alias", opt(e.Alias)}, {"sip_domain", e.Realm},
		{"status", e.Status}, {"created_at", ts(e.CreatedAt)},
	})
}

func sipGet(ctx context.Context, args []string, env environment) error {
	f := newFlags("sip-endpoints get", "MA_… ENDPOINT_ID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	e, err := c.SIPEndpoint(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	return printEndpointSIP(f, env, e)
}

func sipPassword(ctx context.Context, args []string, env environment) error {
	f := newFlags("sip-endpoints password", "MA_… ENDPOINT_ID", env)
	password := f.String("password", "", "the new SIP password, by the account password policy (required)"+passwordUsage)
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := f.required("password"); err != nil {
		return err
	}
	pw, err := secret("password", *password, env)
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	e, err := c.SetSIPPassword(withKey(ctx, *key), pos[0], pos[1], pw)
	if err != nil {
		return err
	}
	return printEndpointSIP(f, env, e)
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
		return nil // the API answers 204: no JSON
	}
	fmt.Fprintf(env.stdout, "deleted %s of %s\n", pos[1], pos[0])
	return nil
}
