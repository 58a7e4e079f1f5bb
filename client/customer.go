package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// customerPath is where a partnerd server serves a customer's own API;
// the customer's auth_id follows it.
const customerPath = "/api/v1/Account/"

// Customer calls the read-only API a customer has of its own account
// (API.md §6, under /api/v1/Account/{auth_id}) with the customer's auth_id
// and auth_token: the partner's views of that one account, in the same
// shapes and with the same filters. A suspended account's credentials get
// account_suspended, a closed one's invalid_credentials. It is safe for
// concurrent use.
//
//	cu := client.NewCustomer("https://partnerd.example.com", "MA_48149cf4", os.Getenv("PARTNERD_TOKEN"))
//	b, err := cu.Balance(ctx)
type Customer struct {
	c *Client
}

// NewCustomer returns a client of the server at baseURL (such as
// https://partnerd.example.com) that authenticates as customer authID with
// its auth_token. Options are those of New; WithCurrency and
// WithIdempotencyKey have no use here: every call is a GET.
func NewCustomer(baseURL, authID, token string, opts ...Option) *Customer {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, basePath)
	c := &Client{base: base + customerPath + authID, partnerID: authID, token: token,
		http: newHTTPClient(), retries: DefaultRetries}
	for _, opt := range opts {
		opt(c)
	}
	return &Customer{c: c}
}

// check keeps an auth_id of the wrong shape out of the URL path; the
// server would answer it account_not_found.
func (cu *Customer) check() error {
	if !partnerd.IsAccountID(cu.c.partnerID) {
		return partnerd.ErrAccountNotFound(cu.c.partnerID)
	}
	return nil
}

// Profile returns the customer's own profile (GET /api/v1/Account/{auth_id}):
// every field the partner sees but the auth_token, which stays empty, and
// PartnerID, which the answer does not carry.
func (cu *Customer) Profile(ctx context.Context) (*partnerd.Account, error) {
	if err := cu.check(); err != nil {
		return nil, err
	}
	// The own profile is the partner's without auth_token: decoded as
	// that, the token stays empty.
	var out wire.AccountProfile
	if err := cu.c.do(ctx, http.MethodGet, "", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Account("")
}

// Balance returns the customer's wallet (GET …/balance), as Client.Balance.
func (cu *Customer) Balance(ctx context.Context) (*partnerd.Account, error) {
	if err := cu.check(); err != nil {
		return nil, err
	}
	var out wire.AccountBalance
	if err := cu.c.do(ctx, http.MethodGet, "/balance", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Account("")
}

// Entries returns one page of the customer's log, newest first, and the
// number of entries matching f (GET …/transactions), filtered as
// Client.AccountEntries.
func (cu *Customer) Entries(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := cu.check(); err != nil {
		return nil, 0, err
	}
	return cu.c.entries(ctx, "/transactions", cu.c.partnerID, f)
}

// EntriesSeq yields every entry of the customer's log that f selects,
// newest first.
func (cu *Customer) EntriesSeq(ctx context.Context, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Entry, error) {
		f.Page = p
		rows, _, err := cu.Entries(ctx, f)
		return rows, err
	}, entryKeyOf)
}

// EntriesCSV streams every entry of the customer's log that f selects as
// CSV (f.Page ignored), as Client.AccountEntriesCSV does.
func (cu *Customer) EntriesCSV(ctx context.Context, f partnerd.EntryFilter) (io.ReadCloser, error) {
	if err := cu.check(); err != nil {
		return nil, err
	}
	return cu.c.stream(ctx, "/transactions", entryQuery(f, true))
}

// CDRs returns one page of the customer's calls, newest first, and how
// many match f (GET …/cdrs), filtered as Client.ListAccountCDRs.
func (cu *Customer) CDRs(ctx context.Context, f partnerd.CDRFilter) ([]*partnerd.CDR, int, error) {
	if err := cu.check(); err != nil {
		return nil, 0, err
	}
	return getList(ctx, cu.c, "/cdrs", cdrQuery(f), func(r *wire.CDRRow) (*partnerd.CDR, error) {
		return cdrFromRow(r, "", cu.c.partnerID)
	})
}

// CDRsSeq yields every call of the customer that f selects, newest first.
func (cu *Customer) CDRsSeq(ctx context.Context, f partnerd.CDRFilter) iter.Seq2[*partnerd.CDR, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.CDR, error) {
		f.Page = p
		rows, _, err := cu.CDRs(ctx, f)
		return rows, err
	}, cdrKey)
}

// CDRsCSV streams every call of the customer that f selects as CSV, as
// Client.AccountCDRsCSV does.
func (cu *Customer) CDRsCSV(ctx context.Context, f partnerd.CDRFilter) (io.ReadCloser, error) {
	if err := cu.check(); err != nil {
		return nil, err
	}
	return cu.c.csv(ctx, "/cdrs", f)
}

// Numbers returns one page of the customer's numbers and how many match f
// (GET …/numbers). f.Status must be empty.
func (cu *Customer) Numbers(ctx context.Context, f partnerd.NumberFilter) ([]*partnerd.Number, int, error) {
	if err := cu.check(); err != nil {
		return nil, 0, err
	}
	ns, total, err := cu.c.numbers(ctx, "/numbers", f)
	for _, n := range ns {
		n.PartnerID = ""
		id := cu.c.partnerID
		n.AccountAuthID = &id
	}
	return ns, total, err
}

// NumbersSeq yields every number of the customer that f selects.
func (cu *Customer) NumbersSeq(ctx context.Context, f partnerd.NumberFilter) iter.Seq2[*partnerd.Number, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Number, error) {
		f.Page = p
		rows, _, err := cu.Numbers(ctx, f)
		return rows, err
	}, numberKey)
}

// SIPEndpoints returns one page of the customer's SIP endpoints, newest
// first, and their number (GET …/sip-endpoints).
func (cu *Customer) SIPEndpoints(ctx context.Context, p partnerd.Page) ([]*partnerd.SIPEndpoint, int, error) {
	if err := cu.check(); err != nil {
		return nil, 0, err
	}
	return getList(ctx, cu.c, "/sip-endpoints", pageQuery(p), func(e *wire.SIPEndpoint) (*partnerd.SIPEndpoint, error) {
		return e.SIPEndpoint(cu.c.partnerID), nil
	})
}

// SIPEndpointsSeq yields every SIP endpoint of the customer, newest first.
func (cu *Customer) SIPEndpointsSeq(ctx context.Context) iter.Seq2[*partnerd.SIPEndpoint, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.SIPEndpoint, error) {
		rows, _, err := cu.SIPEndpoints(ctx, p)
		return rows, err
	}, func(e *partnerd.SIPEndpoint) string { return e.ID })
}
