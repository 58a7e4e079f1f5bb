package partnerd

import "context"

// The kinds of actor the audit log names (API.md §7).
const (
	ActorPartner  = "partner"  // a partner's API credentials; ID is its PA_ id
	ActorCustomer = "customer" // a customer's own credentials; ID is its MA_ id
	ActorOperator = "operator" // a partnerd operator command; ID is empty or the command
	ActorConsole  = "console"  // a console session; ID is the session's partner
	ActorSystem   = "system"   // the server itself (sweeps, auto top-up)
)

// Actor is who caused a change.
type Actor struct {
	Kind string
	ID   string
}

// AuditContext is what the audit log records about the request that
// causes a change, carried by its context from the caller (the HTTP
// layer, the console, an operator command) down to the transaction that
// writes the change and its audit row together.
type AuditContext struct {
	Actor          Actor
	RequestID      string
	IdempotencyKey string
}

type auditKey struct{}

// WithAudit returns ctx carrying a.
func WithAudit(ctx context.Context, a AuditContext) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// AuditFrom returns the AuditContext ctx carries, if any.
func AuditFrom(ctx context.Context) (AuditContext, bool) {
	a, ok := ctx.Value(auditKey{}).(AuditContext)
	return a, ok
}
