package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

type customerPage struct {
	Account      *partnerd.Account
	Balance      *partnerd.Account
	Entries      []*partnerd.Entry
	EntriesTotal int
	Numbers      []*partnerd.Number
	Available    []*partnerd.Number
	Endpoints    []*partnerd.SIPEndpoint
	// The lists' totals: the page shows the first listMax of each.
	NumbersTotal, AvailableTotal, EndpointsTotal int
	Calls                                        []*partnerd.CDR
	CallsTotal                                   int
	Topup                                        *partnerd.AutoTopup
	Forms                                        forms
	Closed                                       bool
	// Error is a refusal of a closed customer's change, whose form the
	// page no longer shows.
	Error    string
	SIPRealm string
}

// customerID is the path's customer id; one of another shape is no
// customer of anyone's.
func customerID(r *http.Request) (string, error) {
	id := r.PathValue("auth_id")
	if !partnerd.IsAccountID(id) {
		return "", partnerd.ErrAccountNotFound(id)
	}
	return id, nil
}

func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.customerPage(w, r, ss, http.StatusOK, forms{})
}

// customerPage renders a customer with everything the partner does to
// it; a refused form comes back in fs with its messages.
func (s *Server) customerPage(w http.ResponseWriter, r *http.Request, ss *session, status int, fs forms) error {
	ctx, pid := r.Context(), ss.partner.ID
	id, err := customerID(r)
	if err != nil {
		return err
	}
	a, err := s.c.Accounts.Account(ctx, pid, id)
	if err != nil {
		return err
	}
	d := customerPage{Account: a, Forms: fs, Closed: a.Status == partnerd.StatusClosed, SIPRealm: s.c.SIPRealm}
	if d.Closed {
		for _, f := range fs {
			if f.Failed() {
				d.Error = f.Message
			}
		}
	}
	if d.Balance, err = s.c.Accounts.AccountBalance(ctx, pid, id); err != nil {
		return err
	}
	first := func(n int) partnerd.Page { return partnerd.Page{Page: 1, Size: n} }
	if d.Entries, d.EntriesTotal, err = s.c.Ledger.AccountEntries(ctx, pid, id, partnerd.EntryFilter{Page: first(10)}); err != nil {
		return err
	}
	if d.Numbers, d.NumbersTotal, err = s.c.Numbers.ListAccountNumbers(ctx, pid, id, partnerd.NumberFilter{Page: first(listMax)}); err != nil {
		return err
	}
	if !d.Closed {
		if d.Available, d.AvailableTotal, err = s.c.Numbers.ListNumbers(ctx, pid, partnerd.NumberFilter{Status: partnerd.NumberAvailable, Page: first(listMax)}); err != nil {
			return err
		}
	}
	if d.Endpoints, d.EndpointsTotal, err = s.c.SIP.ListSIPEndpoints(ctx, pid, id, first(listMax)); err != nil {
		return err
	}
	cf, err := partnerd.CDRParams{Page: partnerd.PageParams{}}.Filter(s.c.Now(), ss.partner.Location())
	if err != nil {
		return err
	}
	cf.Page = first(10)
	if d.Calls, d.CallsTotal, err = s.c.CDRs.ListAccountCDRs(ctx, pid, id, cf); err != nil {
		return err
	}
	d.Topup, err = s.c.AutoTopups.AutoTopup(ctx, pid, id)
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		d.Topup, err = nil, nil
	}
	if err != nil {
		return err
	}
	return s.render(w, r, status, "customer", ss, d)
}

// listMax is how many of a customer's numbers and SIP endpoints, and of
// the free numbers, the customer page lists; it says how many more exist.
const listMax = 100

// customerAction runs a change of the customer in the URL: a refused
// one shows the customer again with the API's message on form name, a
// done one redirects to it with done's message.
//
// idem is whether the change is idempotent as its API route is (the
// store keeps one response per write; the API's PATCH and DELETE keep
// none): then the same rendered form submitted twice changes once.
func customerAction[T any](s *Server, w http.ResponseWriter, r *http.Request, ss *session, name, done string, idem bool,
	op func(ctx ctxT, id string) (T, error)) error {
	id, err := customerID(r)
	if err != nil {
		return err
	}
	var rp *replay
	if idem {
		_, rp, err = idempotent(s, r, ss.partner.ID, func(ctx ctxT) (T, error) { return op(ctx, id) })
	} else {
		_, err = op(r.Context(), id)
	}
	if err != nil {
		var nf notFoundPage
		if !isInputError(err) || partnerd.ErrorCode(err) == partnerd.ECAccountNotFound || partnerd.ErrorCode(err) == partnerd.ECNotFound ||
			errors.As(err, &nf) {
			return err // the 404 page: no form of the page is about it
		}
		return s.customerPage(w, r, ss, formStatus(err), forms{}.failed(name, r, err))
	}
	switch done {
	case "suspended", "activated", "closed", "rotated":
		s.forget(ss.partner.ID)
	}
	return redirect(w, r, "/console/customers/"+id, done, rp != nil)
}

func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.moveMoney(w, r, ss, "transfer", "transferred", s.c.Ledger.Transfer)
}

func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.moveMoney(w, r, ss, "withdraw", "withdrawn", s.c.Ledger.Withdraw)
}

type moveFunc func(ctx ctxT, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error)

// moveMoney reads {amount, description} as the API reads its body, in
// the partner's currency.
func (s *Server) moveMoney(w http.ResponseWriter, r *http.Request, ss *session, name, done string, move moveFunc) error {
	p := ss.partner
	amount, fe := parseAmount("amount", r.PostForm.Get("amount"), p.Currency)
	return customerAction(s, w, r, ss, name, done, true, func(ctx ctxT, id string) (*partnerd.Transfer, error) {
		if fe != nil {
			return nil, partnerd.FieldErrors{*fe}.Err()
		}
		return move(ctx, p.ID, partnerd.TransferInput{AuthID: id, Amount: amount, Description: opt(r.PostForm, "description")})
	})
}

// parseAmount reads a decimal amount as the API reads a decimal string,
// with the API's messages.
func parseAmount(field, text, currency string) (int64, *partnerd.FieldError) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, &partnerd.FieldError{Field: field, Code: partnerd.FCRequired, Message: field + " is required"}
	}
	return partnerd.ParsePositiveAmount(field, []byte(strconv.Quote(text)), currency)
}

func (s *Server) handleSuspend(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "suspend", "suspended", true, func(ctx ctxT, id string) (*partnerd.Account, error) {
		return s.c.Lifecycle.SuspendAccount(ctx, ss.partner.ID, id, partnerd.SuspendInput{Reason: opt(r.PostForm, "reason")})
	})
}

func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "status", "activated", true, func(ctx ctxT, id string) (*partnerd.Account, error) {
		return s.c.Lifecycle.ActivateAccount(ctx, ss.partner.ID, id)
	})
}

func (s *Server) handleClose(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "close", "closed", true, func(ctx ctxT, id string) (*partnerd.Account, error) {
		if r.PostForm.Get("confirm") != id {
			return nil, partnerd.FieldErrors{{Field: "confirm", Code: partnerd.FCInvalidValue,
				Message: "type the customer's id " + id + " to confirm"}}.Err()
		}
		return s.c.Lifecycle.CloseAccount(ctx, ss.partner.ID, id)
	})
}

func (s *Server) handleRotateCustomerToken(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "token", "rotated", true, func(ctx ctxT, id string) (*partnerd.Account, error) {
		return s.c.Lifecycle.RotateAccountToken(ctx, ss.partner.ID, id)
	})
}

func (s *Server) handleNumberAssign(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "assign", "assigned", true, func(ctx ctxT, id string) (*partnerd.Number, error) {
		// A number typed in reaches the whole pool; the list shows only
		// the first listMax.
		text := strings.TrimSpace(r.PostForm.Get("number_text"))
		if text == "" {
			text = r.PostForm.Get("number")
		}
		n, err := partnerd.NormalizeNumber("number", text)
		if err != nil {
			return nil, err
		}
		return s.c.Numbers.AssignNumber(ctx, ss.partner.ID, id, n)
	})
}

func (s *Server) handleNumberRelease(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "release", "released", false, func(ctx ctxT, id string) (bool, error) {
		n, err := partnerd.NormalizeNumber("number", r.PostForm.Get("number"))
		if err != nil {
			return false, err
		}
		err = s.c.Numbers.ReleaseNumber(ctx, ss.partner.ID, id, n)
		return true, s.repeatedDelete(ctx, err, ss.partner.ID, partnerd.AuditNumberRelease, id, n)
	})
}

func (s *Server) handleSIPCreate(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "sip", "sip_created", true, func(ctx ctxT, id string) (*partnerd.SIPEndpoint, error) {
		return s.c.SIP.CreateSIPEndpoint(ctx, ss.partner.ID, id, s.c.SIPRealm, partnerd.SIPEndpointInput{
			Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password"), Alias: opt(r.PostForm, "alias")})
	})
}

func (s *Server) handleSIPDelete(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "sip", "sip_deleted", false, func(ctx ctxT, id string) (bool, error) {
		ep := r.PathValue("endpoint_id")
		err := s.c.SIP.DeleteSIPEndpoint(ctx, ss.partner.ID, id, ep)
		return true, s.repeatedDelete(ctx, err, ss.partner.ID, partnerd.AuditSIPDelete, id, ep)
	})
}

func (s *Server) handleSIPPassword(w http.ResponseWriter, r *http.Request, ss *session) error {
	// Refusals show on the endpoint's own row, whose form is named by its id.
	return customerAction(s, w, r, ss, r.PathValue("endpoint_id"), "sip_password", true, func(ctx ctxT, id string) (*partnerd.SIPEndpoint, error) {
		return s.c.SIP.SetSIPPassword(ctx, ss.partner.ID, id, r.PathValue("endpoint_id"), s.c.SIPRealm,
			partnerd.SIPPasswordInput{Password: r.PostForm.Get("password")})
	})
}

// handleAutoTopupSet reads the settings as PUT …/auto-topup reads its
// body (every amount greater than zero) and checks them with the same
// Validate, so the form refuses what the API refuses, every bad field at
// once.
func (s *Server) handleAutoTopupSet(w http.ResponseWriter, r *http.Request, ss *session) error {
	cur := ss.partner.Currency
	pf := r.PostForm
	var fe partnerd.FieldErrors
	money := func(name string) int64 {
		v, e := parseAmount(name, pf.Get(name), cur)
		if e != nil {
			fe = append(fe, *e)
		}
		return v
	}
	in := partnerd.AutoTopupInput{Enabled: true, Threshold: money("threshold"), TargetBalance: money("target_balance"),
		MaxPerDay: money("max_per_day"), MaxPerMonth: money("max_per_month")}
	if text := strings.TrimSpace(pf.Get("max_count_per_day")); text == "" {
		fe.Add("max_count_per_day", partnerd.FCRequired, "max_count_per_day is required")
	} else if count, e := partnerd.ParseWholeNumber("max_count_per_day", text); e != nil {
		fe = append(fe, *e)
	} else {
		in.MaxCountPerDay = count
	}
	// Validate's complaints about the fields that did parse join those
	// that did not.
	var pe *partnerd.Error
	if errors.As(in.Validate(), &pe) {
		for _, v := range pe.Fields {
			if !slices.ContainsFunc(fe, func(f partnerd.FieldError) bool { return f.Field == v.Field }) {
				fe = append(fe, v)
			}
		}
	}
	return customerAction(s, w, r, ss, "topup", "topup_saved", false, func(ctx ctxT, id string) (*partnerd.AutoTopup, error) {
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return s.c.AutoTopups.SetAutoTopup(ctx, ss.partner.ID, id, in)
	})
}

func (s *Server) handleAutoTopupDisable(w http.ResponseWriter, r *http.Request, ss *session) error {
	return customerAction(s, w, r, ss, "topup", "topup_off", false, func(ctx ctxT, id string) (*partnerd.AutoTopup, error) {
		return s.c.AutoTopups.DisableAutoTopup(ctx, ss.partner.ID, id)
	})
}

// handleCustomerUpdate edits the profile: every field of the form is
// sent, an empty optional field clears it (as null on PATCH), and an
// empty password keeps the current one.
func (s *Server) handleCustomerUpdate(w http.ResponseWriter, r *http.Request, ss *session) error {
	pf := r.PostForm
	req := func(name string) partnerd.Change { v := pf.Get(name); return partnerd.Change{Set: true, Value: &v} }
	optc := func(name string) partnerd.Change { return partnerd.Change{Set: true, Value: opt(pf, name)} }
	u := partnerd.AccountUpdate{
		Name: req("name"), Email: req("email"), Phone: req("phone"),
		Description: optc("description"), Company: optc("company"), Address: optc("address"), City: optc("city"),
		State: optc("state"), ZipCode: optc("zip_code"), Timezone: req("timezone"), GSTIN: optc("gstin"),
		GSTStatus: optc("gst_status"), AccountType: req("account_type"),
	}
	if pw := pf.Get("password"); pw != "" {
		u.Password = partnerd.Change{Set: true, Value: &pw}
	}
	// Empty: the partner's threshold again (null on PATCH).
	threshold, bad := thresholdField(pf, ss.partner.Currency)
	u.LowBalanceThreshold = partnerd.AmountChange{Set: true, Value: threshold}
	return customerAction(s, w, r, ss, "profile", "updated", false, func(ctx ctxT, id string) (*partnerd.Account, error) {
		if bad != nil {
			// Named beside every other bad field: those Check finds, and
			// those Apply finds on the account as it is.
			a, err := s.c.Accounts.Account(ctx, ss.partner.ID, id)
			if err != nil {
				return nil, err
			}
			_, applied := u.Apply(a)
			return nil, withFieldError(*bad, u.Check(), applied)
		}
		return s.c.Lifecycle.UpdateAccount(ctx, ss.partner.ID, id, u)
	})
}
