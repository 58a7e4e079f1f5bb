package wire

import (
	"time"

	"github.com/partnerd/partnerd"
)

// AuditEvent is one row of GET /audit-events (API.md §7).
type AuditEvent struct {
	ID             string     `json:"id"`
	At             time.Time  `json:"at"`
	Actor          AuditActor `json:"actor"`
	Action         string     `json:"action"`
	Target         string     `json:"target"`
	AccountAuthID  *string    `json:"account_auth_id"`
	RequestID      *string    `json:"request_id"`
	IdempotencyKey *string    `json:"idempotency_key"`
	Outcome        string     `json:"outcome"`
}

// AuditActor is who made a change: its kind (partner, customer, operator,
// console, system) and its id (PA_…, MA_…; null for the operator and the
// system).
type AuditActor struct {
	Kind string  `json:"kind"`
	ID   *string `json:"id"`
}

// NewAuditEvent renders an audit row.
func NewAuditEvent(e *partnerd.AuditEvent) AuditEvent {
	return AuditEvent{ID: e.ID, At: Time(e.At), Actor: AuditActor{Kind: e.Actor.Kind, ID: nonEmpty(e.Actor.ID)},
		Action: e.Action, Target: e.Target, AccountAuthID: nonEmpty(e.Account), RequestID: nonEmpty(e.RequestID),
		IdempotencyKey: nonEmpty(e.IdempotencyKey), Outcome: e.Outcome}
}

// AuditEvent returns the body as the domain type, of partner partnerID.
func (b *AuditEvent) AuditEvent(partnerID string) *partnerd.AuditEvent {
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	return &partnerd.AuditEvent{ID: b.ID, At: b.At, Actor: partnerd.Actor{Kind: b.Actor.Kind, ID: deref(b.Actor.ID)},
		PartnerID: partnerID, Account: deref(b.AccountAuthID), Action: b.Action, Target: b.Target,
		RequestID: deref(b.RequestID), IdempotencyKey: deref(b.IdempotencyKey), Outcome: b.Outcome}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
