package main

import (
	"context"
	"flag"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// Webhook endpoints (API.md §8). A signing secret is printed only by the
// commands asked for it: webhooks secret, and create or rotate-secret
// with --show-secret.

// eventTypes reads a comma-separated list of event types; "" is none.
func eventTypes(s string) []string {
	var ts []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			ts = append(ts, t)
		}
	}
	return ts
}

// printEndpoint prints an endpoint; its secret only when show is set.
func printEndpoint(f *cmdFlags, env environment, e *partnerd.WebhookEndpoint, show bool) error {
	fields := [][2]string{
		{"id", e.ID}, {"url", e.URL}, {"event_types", typesText(e.EventTypes)}, {"description", opt(e.Description)},
		{"status", e.Status},
	}
	if show {
		fields = append(fields, [2]string{"secret", e.Secret})
	}
	fields = append(fields, [2]string{"created_at", ts(e.CreatedAt)}, [2]string{"updated_at", ts(e.UpdatedAt)})
	return printRecord(f, env.stdout, wire.NewWebhookEndpoint(e, show), fields)
}

// typesText writes an endpoint's event types; none means every type.
func typesText(ts []string) string {
	if len(ts) == 0 {
		return "(all)"
	}
	return strings.Join(ts, ",")
}

func webhooksList(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks list", "", env)
	p := addPaging(f)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	return list[*partnerd.WebhookEndpoint]{
		fetch: func(p partnerd.Page) ([]*partnerd.WebhookEndpoint, int, error) { return c.WebhookEndpoints(ctx, "", p) },
		seq:   func() iter.Seq2[*partnerd.WebhookEndpoint, error] { return c.WebhookEndpointsSeq(ctx, "") },
		render: func(e *partnerd.WebhookEndpoint) any {
			return wire.NewWebhookEndpoint(e, false)
		},
		header: []string{"ID", "URL", "EVENT_TYPES", "STATUS", "DESCRIPTION", "CREATED_AT"},
		cols: func(e *partnerd.WebhookEndpoint) []string {
			return []string{e.ID, e.URL, typesText(e.EventTypes), e.Status, opt(e.Description), ts(e.CreatedAt)}
		},
	}.print(f, p, env)
}

func webhooksCreate(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks create", "", env)
	url := f.String("endpoint-url", "", "where events are posted, https:// or http:// (required)")
	types := f.String("event-types", "", "the event types to send, comma-separated (default: every type)")
	description := f.String("description", "", "what the endpoint is for")
	show := f.Bool("show-secret", false, "print the signing secret too (else: partnerctl webhooks secret)")
	key := idempotencyKey(f)
	if _, err := f.parse(args); err != nil {
		return err
	}
	if err := f.required("endpoint-url"); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	in := partnerd.WebhookEndpointInput{URL: *url, EventTypes: eventTypes(*types)}
	if *description != "" {
		in.Description = description
	}
	e, err := c.CreateWebhookEndpoint(withKey(ctx, *key), "", in)
	if err != nil {
		return err
	}
	return printEndpoint(f, env, e, *show)
}

func webhooksGet(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks get", "ENDPOINT_ID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	e, err := c.WebhookEndpoint(ctx, "", pos[0])
	if err != nil {
		return err
	}
	return printEndpoint(f, env, e, false)
}

func webhooksUpdate(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks update", "ENDPOINT_ID", env)
	url := f.String("endpoint-url", "", "a new URL events are posted to")
	types := f.String("event-types", "", `the event types to send, comma-separated ("all" for every type)`)
	description := f.String("description", "", "a new description")
	clearDesc := f.Bool("clear-description", false, "set the description to null")
	status := f.String("status", "", "enabled or disabled")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	var p partnerd.WebhookEndpointPatch
	given := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if given["endpoint-url"] {
		p.URL = url
	}
	if given["event-types"] {
		ts := eventTypes(*types)
		if *types == "all" {
			ts = nil // none: every type
		}
		p.EventTypes = &ts
	}
	if given["description"] {
		if *clearDesc {
			return usageError{"--description and --clear-description exclude each other\n\n" + f.usage()}
		}
		p.Description = description
	}
	p.ClearDescription = *clearDesc
	if given["status"] {
		p.Status = status
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	e, err := c.UpdateWebhookEndpoint(ctx, "", pos[0], p)
	if err != nil {
		return err
	}
	return printEndpoint(f, env, e, false)
}

func webhooksDelete(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks delete", "ENDPOINT_ID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	if err := c.DeleteWebhookEndpoint(ctx, "", pos[0]); err != nil {
		return err
	}
	if f.json() {
		return nil // the API answers 204: no JSON
	}
	fmt.Fprintf(env.stdout, "deleted %s\n", pos[0])
	return nil
}

func webhooksSecret(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks secret", "ENDPOINT_ID", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	e, err := c.WebhookEndpointSecret(ctx, "", pos[0])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.WebhookSecret{ID: e.ID, Secret: e.Secret}, [][2]string{{"id", e.ID}, {"secret", e.Secret}})
}

func webhooksRotateSecret(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks rotate-secret", "ENDPOINT_ID", env)
	overlap := f.Duration("expire-old-in", 24*time.Hour, "how long the old secret keeps signing beside the new one, 0s to 168h")
	show := f.Bool("show-secret", false, "print the new signing secret (else: partnerctl webhooks secret)")
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if *overlap < 0 || *overlap > partnerd.MaxSecretOverlap || *overlap%time.Second != 0 {
		return usageError{fmt.Sprintf("--expire-old-in %s must be whole seconds from 0s to 168h\n\n%s", *overlap, f.usage())}
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	e, err := c.RotateWebhookSecret(withKey(ctx, *key), "", pos[0], *overlap)
	if err != nil {
		return err
	}
	if *show {
		return printRecord(f, env.stdout, wire.WebhookSecret{ID: e.ID, Secret: e.Secret}, [][2]string{{"id", e.ID}, {"secret", e.Secret}})
	}
	if f.json() {
		return printJSON(env.stdout, map[string]string{"id": e.ID, "status": "rotated"})
	}
	fmt.Fprintf(env.stdout, "rotated the secret of %s; the old one signs for %s more\n", e.ID, *overlap)
	return nil
}

func webhooksTest(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks test", "ENDPOINT_ID", env)
	key := idempotencyKey(f)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	e, err := c.TestWebhookEndpoint(withKey(ctx, *key), "", pos[0])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewEvent(e), [][2]string{
		{"id", e.ID}, {"type", e.Type}, {"created_at", ts(e.CreatedAt)},
	})
}

func webhooksDeliveries(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks deliveries", "ENDPOINT_ID", env)
	status := f.String("status", "", "only deliveries in this state: pending, succeeded, failed or dead")
	p := addPaging(f)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	filter := partnerd.DeliveryFilter{Status: *status}
	return list[*partnerd.WebhookDelivery]{
		fetch: func(p partnerd.Page) ([]*partnerd.WebhookDelivery, int, error) {
			filter.Page = p
			return c.WebhookDeliveries(ctx, "", pos[0], filter)
		},
		seq: func() iter.Seq2[*partnerd.WebhookDelivery, error] {
			return c.WebhookDeliveriesSeq(ctx, "", pos[0], filter)
		},
		render: func(d *partnerd.WebhookDelivery) any { return wire.NewWebhookDelivery(d) },
		header: []string{"ID", "EVENT_ID", "EVENT_TYPE", "STATUS", "ATTEMPTS", "LAST_RESULT", "NEXT_ATTEMPT_AT", "CREATED_AT"},
		cols: func(d *partnerd.WebhookDelivery) []string {
			return []string{d.ID, d.EventID, d.EventType, d.Status, itoa(len(d.Attempts)), lastResult(d.Attempts),
				optTime(d.NextAttemptAt), ts(d.CreatedAt)}
		},
	}.print(f, p, env)
}

// lastResult describes a delivery's last attempt: its status code or
// error, "-" before any.
func lastResult(as []partnerd.WebhookAttempt) string {
	if len(as) == 0 {
		return "-"
	}
	a := as[len(as)-1]
	switch {
	case a.StatusCode != nil:
		return itoa(*a.StatusCode)
	case a.Error != nil:
		return *a.Error
	}
	return "-"
}

func webhooksRetry(ctx context.Context, args []string, env environment) error {
	f := newFlags("webhooks retry", "ENDPOINT_ID DELIVERY_ID", env)
	key := idempotencyKey(f)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	seq, ok := partnerd.ParseDeliveryID(pos[1])
	if !ok {
		return usageError{fmt.Sprintf("DELIVERY_ID %q must be a delivery id, such as msgd_42\n\n%s", pos[1], f.usage())}
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	d, err := c.RetryWebhookDelivery(withKey(ctx, *key), "", pos[0], seq)
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewWebhookDelivery(d), [][2]string{
		{"id", d.ID}, {"event_id", d.EventID}, {"event_type", d.EventType}, {"status", d.Status},
		{"attempts", itoa(len(d.Attempts))}, {"next_attempt_at", optTime(d.NextAttemptAt)}, {"created_at", ts(d.CreatedAt)},
	})
}
