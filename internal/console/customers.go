package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

// pager links the pages of a list, keeping its filters.
type pager struct {
	Page, Pages, Total int
	path               string
	query              url.Values
}

func newPager(path string, q url.Values, p partnerd.Page, total int) pager {
	return pager{Page: p.Page, Pages: p.TotalPages(total), Total: total, path: path, query: q}
}

// Link is the address of page n.
func (p pager) Link(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		if k != "page" && k != "done" && len(v) > 0 && v[0] != "" {
			q[k] = v[:1]
		}
	}
	q.Set("page", strconv.Itoa(n))
	return p.path + "?" + q.Encode()
}

// param is a query parameter as the domain's params take it: nil when
// absent or empty (an empty value is no filter, as on the API).
func param(q url.Values, name string) *string {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	return &v
}

func pageParams(q url.Values) partnerd.PageParams {
	return partnerd.PageParams{Page: param(q, "page"), Size: param(q, "size"), PerPage: param(q, "per_page")}
}

type customersPage struct {
	Search, Status string
	Statuses       []string
	Accounts       []*partnerd.Account
	Pager          pager
	FilterError    string
	Forms          forms
	AccountTypes   []string
}

func (s *Server) handleCustomers(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.customersPage(w, r, ss, http.StatusOK, forms{})
}

func (s *Server) customersPage(w http.ResponseWriter, r *http.Request, ss *session, status int, fs forms) error {
	q := r.URL.Query()
	d := customersPage{Search: q.Get("search"), Status: q.Get("status"), Forms: fs, Accounts: []*partnerd.Account{},
		Statuses:     []string{partnerd.StatusActive, partnerd.StatusSuspended, partnerd.StatusClosed},
		AccountTypes: []string{"standard", "premium", "enterprise"}}
	f, err := partnerd.AccountParams{Page: pageParams(q), Search: param(q, "search"), Status: param(q, "status")}.Filter()
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		d.Pager = newPager("/console/customers", q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "customers", ss, d)
	}
	accounts, total, err := s.c.Accounts.ListAccounts(r.Context(), ss.partner.ID, f)
	if err != nil {
		return err
	}
	d.Accounts, d.Pager = accounts, newPager("/console/customers", q, f.Page, total)
	return s.render(w, r, status, "customers", ss, d)
}

func (s *Server) handleCustomerCreate(w http.ResponseWriter, r *http.Request, ss *session) error {
	pf := r.PostForm
	in := partnerd.AccountInput{
		Name: pf.Get("name"), Email: pf.Get("email"), Password: pf.Get("password"), Phone: pf.Get("phone"),
		Country: pf.Get("country"), Company: opt(pf, "company"), Description: opt(pf, "description"),
		Address: opt(pf, "address"), City: opt(pf, "city"), State: opt(pf, "state"), ZipCode: opt(pf, "zip_code"),
		Timezone: opt(pf, "timezone"), GSTIN: opt(pf, "gstin"), GSTStatus: opt(pf, "gst_status"), AccountType: opt(pf, "account_type"),
	}
	threshold, bad := thresholdField(pf, ss.partner.Currency)
	in.LowBalanceThreshold = threshold
	a, rp, err := idempotent(s, r, ss.partner.ID, func(ctx ctxT) (*partnerd.Account, error) {
		if bad != nil {
			return nil, withFieldError(*bad, in.Validate())
		}
		return s.c.Accounts.CreateAccount(ctx, ss.partner.ID, in)
	})
	if err != nil {
		if !isInputError(err) {
			return err
		}
		return s.customersPage(w, r, ss, formStatus(err), forms{}.failed("create", r, err))
	}
	if rp != nil {
		// The customer the first submission created, if the store says.
		if partnerd.IsAccountID(rp.ID) {
			return redirect(w, r, "/console/customers/"+rp.ID, "", true)
		}
		return redirect(w, r, "/console/customers", "", true)
	}
	return redirect(w, r, "/console/customers/"+a.AuthID, "created", false)
}

// opt is an optional form field: nil when empty, as "" and null are on
// the API.
func opt(v url.Values, name string) *string {
	s := v.Get(name)
	if s == "" {
		return nil
	}
	return &s
}

// thresholdField reads a form's low_balance_threshold (API.md §8): empty
// is none (the partner's threshold), else an amount of zero or more,
// refused in the API's words.
func thresholdField(pf url.Values, currency string) (*int64, *partnerd.FieldError) {
	text := strings.TrimSpace(pf.Get("low_balance_threshold"))
	if text == "" {
		return nil, nil
	}
	v, fe := partnerd.ParseNonNegativeAmount("low_balance_threshold", []byte(strconv.Quote(text)), currency)
	if fe != nil {
		return nil, fe
	}
	return &v, nil
}

// withFieldError is the validation_error of bad beside those of errs (the
// other fields' checks), so a form names every bad field at once.
func withFieldError(bad partnerd.FieldError, errs ...error) error {
	fe := partnerd.FieldErrors{bad}
	for _, err := range errs {
		var pe *partnerd.Error
		if !errors.As(err, &pe) {
			continue
		}
		for _, f := range pe.Fields {
			if !fe.Has(f.Field) {
				fe = append(fe, f)
			}
		}
	}
	return fe.Err()
}

// ownThreshold is the account's own low-balance threshold as the form
// shows it, or "" when it has the partner's.
func ownThreshold(a *partnerd.Account) string {
	if !a.OwnLowBalance {
		return ""
	}
	return partnerd.FormatMinor(a.LowBalanceThreshold, a.Currency)
}
