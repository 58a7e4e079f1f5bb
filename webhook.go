package partnerd

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook endpoint statuses (API.md §8).
const (
	WebhookEnabled  = "enabled"
	WebhookDisabled = "disabled"
)

// Delivery statuses as GET …/deliveries shows them: pending (not tried
// yet, or being sent), failed (an attempt failed; another is scheduled),
// succeeded, dead (out of retries; retryable by hand).
const (
	DeliveryPending   = "pending"
	DeliveryFailed    = "failed"
	DeliverySucceeded = "succeeded"
	DeliveryDead      = "dead"
)

// DeliveryStatuses are the values of the deliveries list's status filter.
var DeliveryStatuses = []string{DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliveryDead}

// Limits of webhook endpoints.
const (
	maxWebhookURLLen = 2048
	// MaxSecretOverlap is the longest a rotated-out secret keeps signing.
	MaxSecretOverlap = 7 * 24 * time.Hour
	// MaxOldSecrets bounds the rotated-out secrets signing at once, so
	// that webhook-signature (48 bytes a secret) stays far below the
	// 8 KiB header line that common proxies accept.
	MaxOldSecrets = 9
)

// WebhookEndpoint is a partner's URL that receives its events. Secret is
// set only where the API shows it (creation, GET …/secret, rotation).
type WebhookEndpoint struct {
	ID          string
	PartnerID   string
	URL         string
	EventTypes  []string // empty: every type
	Description *string
	Status      string
	Secret      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewWebhookEndpointID returns "we_" and 16 random lower-case hex digits.
func NewWebhookEndpointID() string {
	var buf [8]byte
	rand.Read(buf[:])
	return "we_" + hex.EncodeToString(buf[:])
}

// IsWebhookEndpointID reports whether s has the shape of an endpoint id.
func IsWebhookEndpointID(s string) bool {
	return len(s) == 19 && strings.HasPrefix(s, "we_") && isLowerHex(s[3:])
}

// NewWebhookSecret returns "whsec_" and the standard base64 of 32 random
// bytes (Standard Webhooks: the receiver keys HMAC with the decoded bytes).
func NewWebhookSecret() string {
	var buf [32]byte
	rand.Read(buf[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(buf[:])
}

// WebhookEndpointInput creates an endpoint.
type WebhookEndpointInput struct {
	URL         string
	EventTypes  []string
	Description *string
}

// Validate checks every field and reports every bad one.
func (in *WebhookEndpointInput) Validate() error {
	var fe FieldErrors
	checkWebhookURL(&fe, in.URL)
	in.EventTypes = checkEventTypes(&fe, in.EventTypes)
	in.Description = optionalText(&fe, "description", in.Description, lineText, maxTextLen)
	return fe.Err()
}

// WebhookEndpointPatch changes an endpoint: nil fields stay as they are;
// ClearDescription sets the description to null.
type WebhookEndpointPatch struct {
	URL              *string
	EventTypes       *[]string
	Description      *string
	ClearDescription bool
	Status           *string
}

// Validate checks every field given and reports every bad one.
func (p *WebhookEndpointPatch) Validate() error {
	var fe FieldErrors
	if p.URL != nil {
		checkWebhookURL(&fe, *p.URL)
	}
	if p.EventTypes != nil {
		ts := checkEventTypes(&fe, *p.EventTypes)
		p.EventTypes = &ts
	}
	p.Description = optionalText(&fe, "description", p.Description, lineText, maxTextLen)
	if p.Status != nil && *p.Status != WebhookEnabled && *p.Status != WebhookDisabled {
		fe.Add("status", FCInvalidValue, "status must be enabled or disabled")
	}
	return fe.Err()
}

// checkWebhookURL accepts an absolute http:// or https:// URL with a
// host, and a port (if any) that TCP has. Where it points is checked at
// send time (the dispatcher refuses private addresses), since a name may
// resolve differently later.
func checkWebhookURL(fe *FieldErrors, s string) {
	u, err := url.Parse(s)
	switch {
	case s == "":
		fe.Add("url", FCRequired, "url is required")
	case len(s) > maxWebhookURLLen:
		fe.Add("url", FCTooLong, fmt.Sprintf("url must be at most %d characters", maxWebhookURLLen))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Fragment != "":
		fe.Add("url", FCInvalidFormat, "url must be an absolute https:// or http:// URL without credentials or fragment")
	case !validPort(u.Port()):
		fe.Add("url", FCInvalidFormat, "url's port must be from 1 to 65535")
	}
}

// validPort reports whether a URL's port (digits only, as url.Parse
// leaves it; "" when there is none) can be dialled: url.Parse takes 0 and
// 99999 alike, and every attempt to them would fail.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// checkEventTypes returns the types sorted and without repeats.
func checkEventTypes(fe *FieldErrors, ts []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if !slices.Contains(EventTypes, t) {
			fe.Add("event_types", FCInvalidValue, fmt.Sprintf("event_types: %q is not an event type (one of %s)", t, strings.Join(EventTypes, ", ")))
			return nil
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	At         time.Time
	StatusCode *int
	Error      *string
	Duration   time.Duration
}

// WebhookDelivery is one event's delivery to one endpoint.
type WebhookDelivery struct {
	ID            string
	EndpointID    string
	EventID       string
	EventType     string
	Status        string
	NextAttemptAt *time.Time
	Attempts      []WebhookAttempt
	CreatedAt     time.Time
}

// DeliveryID renders a delivery's number as its id.
func DeliveryID(seq int64) string { return fmt.Sprintf("msgd_%d", seq) }

// ParseDeliveryID returns the number of a delivery id, or false.
func ParseDeliveryID(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "msgd_")
	if !ok || rest == "" || len(rest) > 18 || rest[0] == '0' {
		return 0, false
	}
	var n int64
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(rest[i]-'0')
	}
	return n, true
}

// DeliveryFilter selects a page of an endpoint's deliveries, newest first.
type DeliveryFilter struct {
	Page   Page
	Status string // empty: every status
}

// DeliveryParams are a deliveries list's query parameters as given.
type DeliveryParams struct {
	Page   PageParams
	Status *string
}

// Filter returns the filter the parameters ask for, or a validation_error
// listing every bad parameter.
func (q DeliveryParams) Filter() (DeliveryFilter, error) {
	var fe FieldErrors
	f := DeliveryFilter{Page: q.Page.Parse(&fe)}
	if q.Status != nil {
		f.Status = *q.Status
		if !slices.Contains(DeliveryStatuses, f.Status) {
			fe.Add("status", FCInvalidValue, "status must be one of "+strings.Join(DeliveryStatuses, ", "))
		}
	}
	return f, fe.Err()
}

// WebhookService manages a partner's webhook endpoints. Every method is
// scoped to partnerID: another partner's endpoint is not_found.
type WebhookService interface {
	CreateWebhookEndpoint(ctx context.Context, partnerID string, in WebhookEndpointInput) (*WebhookEndpoint, error)
	WebhookEndpoints(ctx context.Context, partnerID string, p Page) ([]*WebhookEndpoint, int, error)
	WebhookEndpoint(ctx context.Context, partnerID, id string) (*WebhookEndpoint, error)
	UpdateWebhookEndpoint(ctx context.Context, partnerID, id string, p WebhookEndpointPatch) (*WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, partnerID, id string) error
	// WebhookEndpointSecret returns the endpoint with its current secret.
	WebhookEndpointSecret(ctx context.Context, partnerID, id string) (*WebhookEndpoint, error)
	// RotateWebhookSecret gives the endpoint a new secret; the old one
	// keeps signing for overlap (0 to MaxSecretOverlap), and those rotated
	// out before it until their own overlaps end.
	RotateWebhookSecret(ctx context.Context, partnerID, id string, overlap time.Duration) (*WebhookEndpoint, error)
	// TestWebhookEndpoint records a ping event delivered to that endpoint alone.
	TestWebhookEndpoint(ctx context.Context, partnerID, id string) (*Event, error)
	WebhookDeliveries(ctx context.Context, partnerID, endpointID string, f DeliveryFilter) ([]*WebhookDelivery, int, error)
	// RetryWebhookDelivery schedules a failed or dead delivery for now.
	RetryWebhookDelivery(ctx context.Context, partnerID, endpointID string, deliveryID int64) (*WebhookDelivery, error)
}

// CheckSecretOverlap is the field error of an expire_old_in_seconds of
// secs outside 0 to MaxSecretOverlap, or nil.
func CheckSecretOverlap(secs int) *FieldError {
	if secs < 0 || time.Duration(secs)*time.Second > MaxSecretOverlap {
		return &FieldError{Field: "expire_old_in_seconds", Code: FCOutOfRange,
			Message: "expire_old_in_seconds must be an integer from 0 to 604800"}
	}
	return nil
}

// ECEndpointDisabled (409): a test ping was asked of a disabled endpoint,
// which sends nothing until it is enabled again.
const ECEndpointDisabled = "endpoint_disabled"

// ErrWebhookEndpointNotFound is the not_found answer for an endpoint id.
func ErrWebhookEndpointNotFound(id string) error {
	return Errorf(ECNotFound, "No webhook endpoint %q exists.", id)
}

// DeliveryClaim is a delivery a dispatcher claimed: what it sends, and
// the fence (Owner, Attempt) its outcome is recorded under.
type DeliveryClaim struct {
	Seq        int64
	Owner      string
	Attempt    int // this attempt's number, from 1
	EndpointID string
	PartnerID  string
	URL        string
	// Secrets sign the request: the current one first, then the
	// rotated-out ones still inside their overlaps, the last rotated first.
	Secrets []string
	// FailingSince is when the endpoint's run of failures began (zero when
	// its last attempt succeeded).
	FailingSince time.Time
	Event        Event
}

// DeliveryOutcome is what an attempt led to, recorded by the store
// fenced by the claim: a dispatcher whose lease was lost records nothing.
type DeliveryOutcome struct {
	Claim     *DeliveryClaim
	At        time.Time
	Status    string // DeliverySucceeded, DeliveryFailed or DeliveryDead
	NextAt    time.Time
	HTTPCode  int    // 0 without a response
	Error     string // network error, or what was wrong with the response
	Duration  time.Duration
	Disable   bool // 410 Gone, or 5 days of failures: disable the endpoint
	Recovered bool // a success: the endpoint's run of failures ends
}

// DeliveryQueue is what a dispatcher needs of the store.
type DeliveryQueue interface {
	// ClaimDeliveries leases up to n due deliveries (next attempt at or
	// before now) of enabled endpoints not in busy, to owner until now+lease.
	ClaimDeliveries(ctx context.Context, owner string, n int, busy []string, now time.Time, lease time.Duration) ([]*DeliveryClaim, error)
	// RecordDelivery records an attempt's outcome; false when the lease
	// was lost (another dispatcher has claimed the delivery since).
	RecordDelivery(ctx context.Context, o DeliveryOutcome) (bool, error)
	// DeliveriesCommitted is signalled after this process commits new deliveries.
	DeliveriesCommitted() <-chan struct{}
}
