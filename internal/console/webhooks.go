package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

type webhooksPage struct {
	Endpoints   []*partnerd.WebhookEndpoint
	Pager       pager
	EventTypes  []string
	Forms       forms
	FilterError string
}

func (s *Server) handleWebhooks(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.webhooksPage(w, r, ss, http.StatusOK, forms{})
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, ss *session, status int, fs forms) error {
	q := r.URL.Query()
	var fe partnerd.FieldErrors
	p := pageParams(q).Parse(&fe)
	if err := fe.Err(); err != nil {
		d := webhooksPage{Pager: newPager("/console/webhooks", q, firstPage, 0), EventTypes: partnerd.EventTypes, Forms: fs}
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		return s.render(w, r, http.StatusBadRequest, "webhooks", ss, d)
	}
	eps, total, err := s.c.Webhooks.WebhookEndpoints(r.Context(), ss.partner.ID, p)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "webhooks", ss, webhooksPage{Endpoints: eps, Pager: newPager("/console/webhooks", q, p, total),
		EventTypes: partnerd.EventTypes, Forms: fs})
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request, ss *session) error {
	in := partnerd.WebhookEndpointInput{URL: strings.TrimSpace(r.PostForm.Get("url")), EventTypes: r.PostForm["event_types"],
		Description: opt(r.PostForm, "description")}
	if in.EventTypes == nil {
		in.EventTypes = []string{}
	}
	ep, rp, err := idempotent(s, r, ss.partner.ID, func(ctx ctxT) (*partnerd.WebhookEndpoint, error) {
		return s.c.Webhooks.CreateWebhookEndpoint(ctx, ss.partner.ID, in)
	})
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.webhooksPage(w, r, ss, formStatus(err), forms{}.failed("create", r, err))
	}
	if rp != nil {
		if partnerd.IsWebhookEndpointID(rp.ID) {
			return redirect(w, r, "/console/webhooks/"+rp.ID, "", true)
		}
		return redirect(w, r, "/console/webhooks", "", true)
	}
	return redirect(w, r, "/console/webhooks/"+ep.ID, "webhook_created", false)
}

type webhookPage struct {
	EventTypes []string
	Endpoint   *partnerd.WebhookEndpoint
	Deliveries []*partnerd.WebhookDelivery
	Pager      pager
	Status     string
	Statuses   []string
	Forms      forms
	// FilterError is a refused page or status filter (400, no rows).
	FilterError string
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.webhookPage(w, r, ss, http.StatusOK, forms{})
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, ss *session, status int, fs forms) error {
	ctx, id := r.Context(), r.PathValue("endpoint_id")
	if !partnerd.IsWebhookEndpointID(id) {
		return partnerd.ErrWebhookEndpointNotFound(id)
	}
	ep, err := s.c.Webhooks.WebhookEndpointSecret(ctx, ss.partner.ID, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := webhookPage{Endpoint: ep, Forms: fs, Statuses: partnerd.DeliveryStatuses, EventTypes: partnerd.EventTypes}
	f, err := partnerd.DeliveryParams{Page: pageParams(q), Status: param(q, "status")}.Filter()
	d.Status = f.Status
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		d.Pager = newPager("/console/webhooks/"+id, q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "webhook", ss, d)
	}
	var total int
	if d.Deliveries, total, err = s.c.Webhooks.WebhookDeliveries(ctx, ss.partner.ID, id, f); err != nil {
		return err
	}
	d.Pager = newPager("/console/webhooks/"+id, q, f.Page, total)
	return s.render(w, r, status, "webhook", ss, d)
}

// webhookAction runs a change of the endpoint in the URL, like
// customerAction.
func webhookAction[T any](s *Server, w http.ResponseWriter, r *http.Request, ss *session, name, done string, idem bool,
	op func(ctx ctxT, id string) (T, error)) error {
	id := r.PathValue("endpoint_id")
	if !partnerd.IsWebhookEndpointID(id) {
		return partnerd.ErrWebhookEndpointNotFound(id)
	}
	var rp *replay
	var err error
	if idem {
		_, rp, err = idempotent(s, r, ss.partner.ID, func(ctx ctxT) (T, error) { return op(ctx, id) })
	} else {
		_, err = op(r.Context(), id)
	}
	if err != nil {
		if !isInputError(err) || partnerd.ErrorCode(err) == partnerd.ECNotFound {
			return err
		}
		return s.webhookPage(w, r, ss, formStatus(err), forms{}.failed(name, r, err))
	}
	if done == "webhook_deleted" {
		return redirect(w, r, "/console/webhooks", done, rp != nil)
	}
	return redirect(w, r, "/console/webhooks/"+id, done, rp != nil)
}

// handleWebhookUpdate edits the endpoint's address, events and
// description (PATCH /webhook-endpoints/{id}); no event ticked is every
// event, an empty description clears it.
func (s *Server) handleWebhookUpdate(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "edit", "webhook_saved", false, func(ctx ctxT, id string) (*partnerd.WebhookEndpoint, error) {
		u := strings.TrimSpace(r.PostForm.Get("url"))
		types := r.PostForm["event_types"]
		if types == nil {
			types = []string{}
		}
		p := partnerd.WebhookEndpointPatch{URL: &u, EventTypes: &types, Description: opt(r.PostForm, "description")}
		p.ClearDescription = p.Description == nil
		return s.c.Webhooks.UpdateWebhookEndpoint(ctx, ss.partner.ID, id, p)
	})
}

func (s *Server) handleWebhookStatus(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "status", "webhook_saved", false, func(ctx ctxT, id string) (*partnerd.WebhookEndpoint, error) {
		st := r.PostForm.Get("status")
		return s.c.Webhooks.UpdateWebhookEndpoint(ctx, ss.partner.ID, id, partnerd.WebhookEndpointPatch{Status: &st})
	})
}

func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "rotate", "webhook_rotated", true, func(ctx ctxT, id string) (*partnerd.WebhookEndpoint, error) {
		// Left empty, the API's default (its body left out): a day.
		secs := 86400
		if text := strings.TrimSpace(r.PostForm.Get("expire_old_in_seconds")); text != "" {
			n, fe := partnerd.ParseWholeNumber("expire_old_in_seconds", text)
			if fe != nil {
				return nil, partnerd.FieldErrors{*fe}.Err()
			}
			secs = n
		}
		if fe := partnerd.CheckSecretOverlap(secs); fe != nil {
			return nil, partnerd.FieldErrors{*fe}.Err()
		}
		return s.c.Webhooks.RotateWebhookSecret(ctx, ss.partner.ID, id, time.Duration(secs)*time.Second)
	})
}

func (s *Server) handleWebhookTest(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "test", "webhook_tested", true, func(ctx ctxT, id string) (*partnerd.Event, error) {
		return s.c.Webhooks.TestWebhookEndpoint(ctx, ss.partner.ID, id)
	})
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "delete", "webhook_deleted", false, func(ctx ctxT, id string) (bool, error) {
		err := s.c.Webhooks.DeleteWebhookEndpoint(ctx, ss.partner.ID, id)
		return true, s.repeatedDelete(ctx, err, ss.partner.ID, partnerd.AuditWebhookDelete, "", id)
	})
}

func (s *Server) handleWebhookRetry(w http.ResponseWriter, r *http.Request, ss *session) error {
	return webhookAction(s, w, r, ss, "retry", "retried", true, func(ctx ctxT, id string) (*partnerd.WebhookDelivery, error) {
		seq, ok := partnerd.ParseDeliveryID(r.PathValue("delivery_id"))
		if !ok {
			return nil, partnerd.Errorf(partnerd.ECNotFound, "No delivery %q exists.", r.PathValue("delivery_id"))
		}
		return s.c.Webhooks.RetryWebhookDelivery(ctx, ss.partner.ID, id, seq)
	})
}
