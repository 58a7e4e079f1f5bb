package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// strings reads a field holding an array of strings: nil when absent or
// null, reported (and nil) when of another type.
func (o *object) strings(name string) *[]string {
	raw, ok := o.fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		o.errs.Add(name, partnerd.FCInvalidType, name+" must be an array of strings")
		return nil
	}
	if ss == nil {
		ss = []string{}
	}
	return &ss
}

// has reports whether a field is present (null included).
func (o *object) has(name string) bool {
	_, ok := o.fields[name]
	return ok
}

// endpointID reads the {endpoint_id} of the path; one of another shape
// names no endpoint.
func endpointID(r *http.Request) (string, error) {
	id := r.PathValue("endpoint_id")
	if !partnerd.IsWebhookEndpointID(id) {
		return "", partnerd.ErrWebhookEndpointNotFound(id)
	}
	return id, nil
}

// endpointTarget is the endpoint a request without query parameters names.
func endpointTarget(r *http.Request) (string, error) {
	if err := noQuery(r); err != nil {
		return "", err
	}
	return endpointID(r)
}

func renderEndpointCreated(e *partnerd.WebhookEndpoint) any { return wire.NewWebhookEndpoint(e, true) }

func (s *Server) handleWebhookEndpointCreate(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "url", "event_types", "description")
	if err != nil {
		return err
	}
	in := partnerd.WebhookEndpointInput{URL: o.str("url"), Description: o.optString("description")}
	if ts := o.strings("event_types"); ts != nil {
		in.EventTypes = *ts
	}
	if err := o.validate(&in); err != nil {
		return err
	}
	return commit(w, r, http.StatusCreated, renderEndpointCreated, func(ctx context.Context) (*partnerd.WebhookEndpoint, error) {
		return s.webhooks.CreateWebhookEndpoint(ctx, partnerFrom(ctx).ID, in)
	})
}

func (s *Server) handleWebhookEndpointList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, pageParams)
	var fe partnerd.FieldErrors
	p := q.page().Parse(&fe)
	if err := q.check(fe.Err()); err != nil {
		return err
	}
	es, total, err := s.webhooks.WebhookEndpoints(r.Context(), partnerFrom(r.Context()).ID, p)
	if err != nil {
		return err
	}
	out := wire.List[wire.WebhookEndpoint]{Data: make([]wire.WebhookEndpoint, 0, len(es)), Meta: wire.NewPageMeta(p, total)}
	for _, e := range es {
		out.Data = append(out.Data, wire.NewWebhookEndpoint(e, false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleWebhookEndpointGet(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointTarget(r)
	if err != nil {
		return err
	}
	e, err := s.webhooks.WebhookEndpoint(r.Context(), partnerFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewWebhookEndpoint(e, false))
	return nil
}

func (s *Server) handleWebhookEndpointUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointTarget(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "url", "event_types", "description", "status")
	if err != nil {
		return err
	}
	p := partnerd.WebhookEndpointPatch{URL: o.optString("url"), EventTypes: o.strings("event_types"),
		Description: o.optString("description"), Status: o.optString("status")}
	p.ClearDescription = o.has("description") && p.Description == nil
	for _, f := range []string{"url", "status", "event_types"} {
		if raw, ok := o.fields[f]; ok && string(raw) == "null" {
			o.errs.Add(f, partnerd.FCInvalidType, f+" cannot be null")
		}
	}
	if err := o.validate(&p); err != nil {
		return err
	}
	e, err := s.webhooks.UpdateWebhookEndpoint(r.Context(), partnerFrom(r.Context()).ID, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewWebhookEndpoint(e, false))
	return nil
}

func (s *Server) handleWebhookEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointTarget(r)
	if err != nil {
		return err
	}
	if err := s.webhooks.DeleteWebhookEndpoint(r.Context(), partnerFrom(r.Context()).ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointTarget(r)
	if err != nil {
		return err
	}
	e, err := s.webhooks.WebhookEndpointSecret(r.Context(), partnerFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.WebhookSecret{ID: e.ID, Secret: e.Secret})
	return nil
}

func renderSecret(e *partnerd.WebhookEndpoint) any {
	return wire.WebhookSecret{ID: e.ID, Secret: e.Secret}
}

func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointTarget(r)
	if err != nil {
		return err
	}
	// The body may be left out, as test's and retry's: the old secret
	// then signs for the default day.
	body, err := readOptionalBody(r)
	if err != nil {
		return err
	}
	o, err := decodeOptionalObject(body, "expire_old_in_seconds")
	if err != nil {
		return err
	}
	overlap := 24 * time.Hour
	if n := o.optInt("expire_old_in_seconds"); n != nil {
		if fe := partnerd.CheckSecretOverlap(*n); fe != nil {
			o.errs = append(o.errs, *fe)
		}
		overlap = time.Duration(*n) * time.Second
	}
	if err := o.errs.Err(); err != nil {
		return err
	}
	return commit(w, r, http.StatusOK, renderSecret, func(ctx context.Context) (*partnerd.WebhookEndpoint, error) {
		return s.webhooks.RotateWebhookSecret(ctx, partnerFrom(ctx).ID, id, overlap)
	})
}

func renderEvent(e *partnerd.Event) any { return wire.NewEvent(e) }

func (s *Server) handleWebhookTest(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	return commit(w, r, http.StatusOK, renderEvent, func(ctx context.Context) (*partnerd.Event, error) {
		return s.webhooks.TestWebhookEndpoint(ctx, partnerFrom(ctx).ID, id)
	})
}

// deliveryListParams are the query parameters of GET …/deliveries.
var deliveryListParams = slices.Concat(pageParams, []string{"status"})

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, deliveryListParams)
	f, err := partnerd.DeliveryParams{Page: q.page(), Status: q.get("status")}.Filter()
	if err := q.check(err); err != nil {
		return err
	}
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	ds, total, err := s.webhooks.WebhookDeliveries(r.Context(), partnerFrom(r.Context()).ID, id, f)
	if err != nil {
		return err
	}
	out := wire.List[wire.WebhookDelivery]{Data: make([]wire.WebhookDelivery, 0, len(ds)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, d := range ds {
		out.Data = append(out.Data, wire.NewWebhookDelivery(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func renderDelivery(d *partnerd.WebhookDelivery) any { return wire.NewWebhookDelivery(d) }

func (s *Server) handleWebhookRetry(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	seq, ok := partnerd.ParseDeliveryID(r.PathValue("delivery_id"))
	if !ok {
		return partnerd.Errorf(partnerd.ECNotFound, "No delivery %q of webhook endpoint %q exists.", r.PathValue("delivery_id"), id)
	}
	return commit(w, r, http.StatusOK, renderDelivery, func(ctx context.Context) (*partnerd.WebhookDelivery, error) {
		return s.webhooks.RetryWebhookDelivery(ctx, partnerFrom(ctx).ID, id, seq)
	})
}
