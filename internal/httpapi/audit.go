package httpapi

import (
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The audit log (API.md §7). Every mutating request of a partner or a
// customer carries a partnerd.AuditContext (its actor, request id and
// Idempotency-Key) down to the store, whose write names its change and
// records the row in the change's own transaction (sqlstore/audit.go).

// auditActions declares, for every route that is not a GET, the action
// its audit row records. A test drives each route and finds that row;
// another fails when a route is missing here, so a new route must say
// what it records (or, as the switch API, why it records nothing).
var auditActions = map[string]string{
	"POST /api/v1/partner/accounts":                                                         partnerd.AuditAccountCreate,
	"POST /api/v1/partner/accounts/{customer_auth_id}/suspend":                              partnerd.AuditAccountSuspend,
	"POST /api/v1/partner/accounts/{customer_auth_id}/activate":                             partnerd.AuditAccountActivate,
	"POST /api/v1/partner/accounts/{customer_auth_id}/close":                                partnerd.AuditAccountClose,
	"POST /api/v1/partner/accounts/{customer_auth_id}/rotate-token":                         partnerd.AuditTokenRotate,
	"PATCH /api/v1/partner/accounts/{customer_auth_id}":                                     partnerd.AuditAccountUpdate,
	"POST /api/v1/partner/accounts/{customer_auth_id}/transfer-balance":                     partnerd.AuditBalanceTransfer,
	"POST /api/v1/partner/accounts/{customer_auth_id}/withdraw-balance":                     partnerd.AuditBalanceWithdraw,
	"POST /api/v1/partner/accounts/{customer_auth_id}/numbers":                              partnerd.AuditNumberAssign,
	"DELETE /api/v1/partner/accounts/{customer_auth_id}/numbers/{number}":                   partnerd.AuditNumberRelease,
	"PUT /api/v1/partner/accounts/{customer_auth_id}/auto-topup":                            partnerd.AuditAutoTopupUpdate,
	"DELETE /api/v1/partner/accounts/{customer_auth_id}/auto-topup":                         partnerd.AuditAutoTopupDelete,
	"POST /api/v1/partner/webhook-endpoints":                                                partnerd.AuditWebhookCreate,
	"PATCH /api/v1/partner/webhook-endpoints/{endpoint_id}":                                 partnerd.AuditWebhookUpdate,
	"DELETE /api/v1/partner/webhook-endpoints/{endpoint_id}":                                partnerd.AuditWebhookDelete,
	"POST /api/v1/partner/webhook-endpoints/{endpoint_id}/rotate-secret":                    partnerd.AuditWebhookRotate,
	"POST /api/v1/partner/webhook-endpoints/{endpoint_id}/test":                             partnerd.AuditWebhookTest,
	"POST /api/v1/partner/accounts/{customer_auth_id}/sip-endpoints":                        partnerd.AuditSIPCreate,
	"DELETE /api/v1/partner/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}":        partnerd.AuditSIPDelete,
	"POST /api/v1/partner/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}/password": partnerd.AuditSIPPassword,
	"POST /api/v1/partner/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry":   partnerd.AuditWebhookRetry,
	// The switch is none of the audit log's actors: what it causes is
	// recorded by the call's own rows (authorizations, CDRs and their
	// ledger entries), at a rate an audit row per call would only slow.
	"POST /api/v1/switch/authorize": auditNone,
	"POST /api/v1/switch/cdrs":      auditNone,
}

// auditNone marks a mutating route that records no audit row.
const auditNone = ""

// audited is r's context with the audit context of its caller p, when the
// request may change something: a partner's or a customer's request that
// is not a GET. A switch's requests record none (see auditActions).
func audited(r *http.Request, p *partnerd.Principal) *http.Request {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r
	}
	var actor partnerd.Actor
	switch p.Kind {
	case partnerd.PrincipalPartner:
		actor = partnerd.Actor{Kind: partnerd.ActorPartner, ID: p.PartnerID}
	case partnerd.PrincipalCustomer:
		actor = partnerd.Actor{Kind: partnerd.ActorCustomer, ID: p.AccountID}
	default:
		return r
	}
	a := partnerd.AuditContext{Actor: actor, RequestID: requestID(r.Context())}
	// A key the idempotency middleware refuses never reaches a write.
	if k := r.Header.Values("Idempotency-Key"); len(k) == 1 && validIdempotencyKey(k[0]) {
		a.IdempotencyKey = k[0]
	}
	return r.WithContext(partnerd.WithAudit(r.Context(), a))
}

// auditListParams are the query parameters of GET /audit-events.
var auditListParams = slices.Concat(pageParams, []string{"action", "account", "from_date", "to_date"})

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, auditListParams)
	f, err := partnerd.AuditParams{Page: q.page(), Action: q.get("action"), Account: q.get("account"),
		FromDate: q.get("from_date"), ToDate: q.get("to_date")}.Filter(partnerFrom(r.Context()).Location())
	if err := q.check(err); err != nil {
		return err
	}
	rows, total, err := s.audit.AuditEvents(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	out := wire.List[wire.AuditEvent]{Data: make([]wire.AuditEvent, 0, len(rows)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, e := range rows {
		out.Data = append(out.Data, wire.NewAuditEvent(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
