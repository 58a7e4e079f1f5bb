package httpapi

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The account lifecycle (API.md §6). Every change answers the full
// profile, and forgets the credentials remembered within the partner
// before it answers, so that a customer suspended, closed or given a new
// token on this instance is refused at once by it (other instances:
// within credentialTTL).

func renderAccountProfile(a *partnerd.Account) any { return wire.NewAccountProfile(a) }

func (s *Server) handleAccountSuspend(w http.ResponseWriter, r *http.Request) error {
	o, err := optionalBody(r, "reason")
	if err != nil {
		return err
	}
	in := partnerd.SuspendInput{Reason: o.optString("reason")}
	if err := o.validate(&in); err != nil {
		return err
	}
	return s.changeAccount(w, r, func(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
		return s.lifecycle.SuspendAccount(ctx, partnerID, authID, in)
	})
}

func (s *Server) handleAccountActivate(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	return s.changeAccount(w, r, s.lifecycle.ActivateAccount)
}

// changeAccount runs a change to the path's customer and answers its
// profile with 200.
func (s *Server) changeAccount(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, partnerID, authID string) (*partnerd.Account, error)) error {
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	return commit(w, r, http.StatusOK, renderAccountProfile, func(ctx context.Context) (*partnerd.Account, error) {
		pid := partnerFrom(ctx).ID
		a, err := change(ctx, pid, id)
		if err == nil {
			s.ForgetCredentials(pid)
		}
		return a, err
	})
}

func (s *Server) handleAccountClose(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	return s.changeAccount(w, r, s.lifecycle.CloseAccount)
}

func renderAccountToken(a *partnerd.Account) any {
	return wire.AccountToken{AuthID: a.AuthID, AuthToken: a.AuthToken}
}

func (s *Server) handleAccountRotateToken(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	return commit(w, r, http.StatusOK, renderAccountToken, func(ctx context.Context) (*partnerd.Account, error) {
		pid := partnerFrom(ctx).ID
		a, err := s.lifecycle.RotateAccountToken(ctx, pid, id)
		if err == nil {
			s.ForgetCredentials(pid)
		}
		return a, err
	})
}

func (s *Server) handleAccountUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// Every creatable field but country, which is named to be refused.
	o, err := decodeObject(body, accountFields...)
	if err != nil {
		return err
	}
	if _, ok := o.fields["country"]; ok {
		o.errs.Add("country", partnerd.FCNotAllowed, "country cannot be changed; close the account and create another")
	}
	in := partnerd.AccountUpdate{
		Name: o.change("name"), Email: o.change("email"), Password: o.change("password"), Phone: o.change("phone"),
		Description: o.change("description"), Company: o.change("company"), Address: o.change("address"),
		City: o.change("city"), State: o.change("state"), ZipCode: o.change("zip_code"),
		Timezone: o.change("timezone"), GSTIN: o.change("gstin"), GSTStatus: o.change("gst_status"),
		AccountType:         o.change("account_type"),
		LowBalanceThreshold: o.amountChange("low_balance_threshold", partnerFrom(r.Context()).Currency),
	}
	// Every bad field at once: the ones that need the account to tell
	// (a phone for its country, a gst_status without gstin) with the
	// others. The store checks again against the account it changes.
	cur, err := s.account(r)
	if err != nil {
		return err
	}
	if cur.Status == partnerd.StatusClosed {
		return partnerd.ErrAccountClosed(cur.AuthID)
	}
	_, err = in.Apply(cur)
	if err := mergeFieldErrors(o.errs, err); err != nil {
		return err
	}
	return s.changeAccount(w, r, func(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
		return s.lifecycle.UpdateAccount(ctx, partnerID, authID, in)
	})
}

// change returns a field of an update: unset when absent, set to nil when
// null, else its string (a value of another type is reported, and left
// unset).
func (o *object) change(name string) partnerd.Change {
	raw, ok := o.fields[name]
	switch {
	case !ok:
		return partnerd.Change{}
	case string(raw) == "null":
		return partnerd.Change{Set: true}
	}
	if v := o.optString(name); v != nil {
		return partnerd.Change{Set: true, Value: v}
	}
	return partnerd.Change{}
}

// amountChange returns an amount field of a body: unset when absent, set
// to nil when null, else its value in minor units of currency (a bad
// value is reported, and left unset).
func (o *object) amountChange(name, currency string) partnerd.AmountChange {
	raw, ok := o.fields[name]
	switch {
	case !ok:
		return partnerd.AmountChange{}
	case string(raw) == "null":
		return partnerd.AmountChange{Set: true}
	}
	v, fe := partnerd.ParseNonNegativeAmount(name, raw, currency)
	if fe != nil {
		o.errs = append(o.errs, *fe)
		return partnerd.AmountChange{}
	}
	return partnerd.AmountChange{Set: true, Value: &v}
}
