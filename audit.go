package partnerd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

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

// The actions the audit log records (API.md §7), one per kind of change.
// Each mutating store operation names its own, beside its change; the
// HTTP layer's route table (internal/httpapi/audit.go) says which one
// each route records.
const (
	AuditAccountCreate   = "account.create"
	AuditAccountUpdate   = "account.update"
	AuditAccountSuspend  = "account.suspend"
	AuditAccountActivate = "account.activate"
	AuditAccountClose    = "account.close"
	// AuditTokenRotate is a customer's (target MA_) or a partner's (target
	// PA_) new token.
	AuditTokenRotate      = "token.rotate"
	AuditBalanceTransfer  = "balance.transfer"
	AuditBalanceWithdraw  = "balance.withdraw"
	AuditBalanceAutoTopup = "balance.auto_topup"
	AuditPartnerFund      = "partner.fund"
	AuditNumberAssign     = "number.assign"
	AuditNumberRelease    = "number.release"
	AuditNumberAdd        = "number.add"
	AuditNumberRenew      = "number.renew"
	AuditNumberSuspend    = "number.suspend"
	AuditSIPCreate        = "sip_endpoint.create"
	AuditSIPDelete        = "sip_endpoint.delete"
	AuditSIPPassword      = "sip_endpoint.password"
	AuditAutoTopupUpdate  = "auto_topup.update"
	AuditAutoTopupDelete  = "auto_topup.delete"
	AuditWebhookCreate    = "webhook_endpoint.create"
	AuditWebhookUpdate    = "webhook_endpoint.update"
	AuditWebhookDelete    = "webhook_endpoint.delete"
	AuditWebhookRotate    = "webhook_endpoint.rotate_secret"
	AuditWebhookTest      = "webhook_endpoint.test"
	AuditWebhookRetry     = "webhook_delivery.retry"
	AuditPartnerCreate    = "partner.create"
	AuditPartnerUpdate    = "partner.update"
	AuditRateImport       = "rate.import"
	AuditSwitchTokenNew   = "switch_token.create"
	AuditSwitchTokenOff   = "switch_token.revoke"
	// The console's own changes (API.md §9), each of the partner (target
	// its PA_ id): a setup link made, its password set, a sign-in, and a
	// sign-out (of one session, or of every one).
	AuditConsoleLink     = "console.setup_link"
	AuditConsolePassword = "console.password"
	AuditConsoleSignIn   = "console.sign_in"
	AuditConsoleSignOut  = "console.sign_out"
)

// AuditOK is the outcome of a change that committed. The log holds only
// committed changes: a refused request (insufficient_balance, say) made
// no change and has no row; its error code and request id are in the
// access log.
const AuditOK = "ok"

// AuditEvent is one row of the audit log: who (Actor) did what (Action)
// to what (Target, within customer Account if any, of partner PartnerID),
// when, under which request and Idempotency-Key, with what outcome. It
// never holds a secret: the target is an id, never a value.
type AuditEvent struct {
	ID             string
	At             time.Time
	Actor          Actor
	PartnerID      string // empty for a change of no partner's (a switch token)
	Account        string // the customer's auth_id, if the change concerns one
	Action         string
	Target         string
	RequestID      string
	IdempotencyKey string
	Outcome        string
}

// NewAuditID returns "aud_" and a suffix that sorts by creation time.
func NewAuditID(now time.Time) string {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(now.UnixMilli())<<16)
	rand.Read(buf[6:])
	return "aud_" + hex.EncodeToString(buf[:])
}

// IsAuditID reports whether s has the shape of an audit row id.
func IsAuditID(s string) bool {
	rest, ok := strings.CutPrefix(s, "aud_")
	if !ok || len(rest) != 32 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

// AuditFilter selects a page of audit rows, newest first. From and To are
// days (see DayIn), zero when unbounded; the strings are empty when
// unfiltered. Partner is the operator's filter: a partner's own list is
// scoped by the store method, not by it.
type AuditFilter struct {
	Page     Page
	Action   string
	Account  string
	Partner  string
	From, To time.Time
}

// AuditParams is GET /audit-events's filter as a query string carries it.
type AuditParams struct {
	Page             PageParams
	Action, Account  *string
	FromDate, ToDate *string
}

// Filter returns the filter the parameters ask for, with days in loc, or
// a validation_error listing every bad parameter.
func (q AuditParams) Filter(loc *time.Location) (AuditFilter, error) {
	var fe FieldErrors
	f := AuditFilter{Page: q.Page.Parse(&fe)}
	f.From = parseDay(&fe, "from_date", q.FromDate)
	f.To = parseDay(&fe, "to_date", q.ToDate)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) && !fe.Has("to_date") {
		fe.Add("to_date", FCInvalidValue, "to_date must not be before from_date")
	}
	if q.Action != nil {
		f.Action = *q.Action
		if !validAuditAction(f.Action) {
			fe.Add("action", FCInvalidFormat, "action must be an action name such as account.create")
		}
	}
	if q.Account != nil {
		f.Account = *q.Account
		if !IsAccountID(f.Account) {
			fe.Add("account", FCInvalidFormat, "account must be a customer auth_id (MA_ and 8 hex digits)")
		}
	}
	f.From, f.To = DayIn(f.From, loc), DayIn(f.To, loc)
	return f, fe.Err()
}

// validAuditAction accepts the shape of an action (noun.verb, lower-case
// letters and underscores): an unknown action of that shape matches no
// row rather than being refused, so a client filtering by an action a
// newer server records keeps working against an older one.
func validAuditAction(s string) bool {
	noun, verb, ok := strings.Cut(s, ".")
	word := func(w string) bool {
		if w == "" || len(w) > 40 {
			return false
		}
		for _, c := range w {
			if (c < 'a' || c > 'z') && c != '_' {
				return false
			}
		}
		return true
	}
	return ok && word(noun) && word(verb)
}

// AuditService reads the audit log.
type AuditService interface {
	// AuditEvents is one page of the partner's own audit rows, newest
	// first, and the number the filter matches (f.Partner is ignored).
	AuditEvents(ctx context.Context, partnerID string, f AuditFilter) ([]*AuditEvent, int, error)
	// AuditLog is one page of every partner's (and no partner's) rows,
	// for the operator.
	AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
}
