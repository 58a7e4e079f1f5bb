package client

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The account lifecycle (API.md §6). Each change answers the customer's
// full profile, auth_token included. The POSTs carry one Idempotency-Key
// over their retries (see WithIdempotencyKey), so a close whose answer
// was lost returns the balance once and answers its retry with the
// first profile, not account_closed. partnerID must be empty or the
// client's own id. These are the methods of
// partnerd.AccountLifecycleService but AccountCredential, which only the
// server answers.

// UpdateAccount changes the fields in sets (PATCH /accounts/{id}): a
// Change with Set and a nil Value sends null, which clears an optional
// field; fields not Set are left out and stay as they are.
func (c *Client) UpdateAccount(ctx context.Context, partnerID, authID string, in partnerd.AccountUpdate) (*partnerd.Account, error) {
	// An amount is written in the partner's currency, which only the
	// server knows.
	var currency string
	if v := in.LowBalanceThreshold; v.Set && v.Value != nil {
		me, err := c.Me(ctx)
		if err != nil {
			return nil, err
		}
		currency = me.Currency
	}
	return c.changeAccount(ctx, partnerID, authID, http.MethodPatch, "", accountPatch(in, currency))
}

// accountPatch is the body of PATCH /accounts/{id}: the fields set, a
// cleared one as null, amounts in currency.
func accountPatch(in partnerd.AccountUpdate, currency string) map[string]any {
	body := map[string]any{}
	for name, ch := range map[string]partnerd.Change{
		"name": in.Name, "email": in.Email, "password": in.Password, "phone": in.Phone,
		"description": in.Description, "company": in.Company, "address": in.Address, "city": in.City,
		"state": in.State, "zip_code": in.ZipCode, "timezone": in.Timezone, "gstin": in.GSTIN,
		"gst_status": in.GSTStatus, "account_type": in.AccountType,
	} {
		if ch.Set {
			body[name] = ch.Value
		}
	}
	if ch := in.LowBalanceThreshold; ch.Set {
		body["low_balance_threshold"] = nil
		if ch.Value != nil {
			body["low_balance_threshold"] = wire.Money(*ch.Value, currency)
		}
	}
	return body
}

// SuspendAccount suspends a customer (POST /accounts/{id}/suspend) with
// in.Reason, if given: its calls are refused and its own credentials get
// account_suspended; the partner may still fund it.
func (c *Client) SuspendAccount(ctx context.Context, partnerID, authID string, in partnerd.SuspendInput) (*partnerd.Account, error) {
	var body any
	if in.Reason != nil {
		body = map[string]string{"reason": *in.Reason}
	}
	return c.changeAccount(ctx, partnerID, authID, http.MethodPost, "/suspend", body)
}

// ActivateAccount makes a suspended customer active again
// (POST /accounts/{id}/activate).
func (c *Client) ActivateAccount(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	return c.changeAccount(ctx, partnerID, authID, http.MethodPost, "/activate", nil)
}

// CloseAccount closes a customer for good (POST /accounts/{id}/close):
// its balance goes back to the partner as a withdrawal, its numbers to
// the pool, its token and SIP endpoints stop working.
func (c *Client) CloseAccount(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	return c.changeAccount(ctx, partnerID, authID, http.MethodPost, "/close", nil)
}

// RotateAccountToken gives a customer a new auth_token
// (POST /accounts/{id}/rotate-token); the old one stops working. The
// answer is an Account with only AuthID, PartnerID and AuthToken set.
func (c *Client) RotateAccountToken(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	if err := c.checkAccount(partnerID, authID); err != nil {
		return nil, err
	}
	var out wire.AccountToken
	if err := c.do(ctx, http.MethodPost, "/accounts/"+authID+"/rotate-token", nil, nil, &out); err != nil {
		return nil, err
	}
	return &partnerd.Account{AuthID: out.AuthID, PartnerID: c.partnerID, AuthToken: out.AuthToken}, nil
}

// changeAccount sends one lifecycle request and reads the profile it answers.
func (c *Client) changeAccount(ctx context.Context, partnerID, authID, method, suffix string, body any) (*partnerd.Account, error) {
	if err := c.checkAccount(partnerID, authID); err != nil {
		return nil, err
	}
	var out wire.AccountProfile
	if err := c.do(ctx, method, "/accounts/"+authID+suffix, nil, body, &out); err != nil {
		return nil, err
	}
	return out.Account(c.partnerID)
}

// checkAccount refuses another partner's id, and an auth_id of the wrong
// shape as the server would (which keeps odd ids out of the URL path).
func (c *Client) checkAccount(partnerID, authID string) error {
	if err := c.checkPartner(partnerID); err != nil {
		return err
	}
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	return nil
}
