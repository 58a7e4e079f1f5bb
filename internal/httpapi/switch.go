package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// handleSIPCredentials answers a switch's digest challenge lookup. Every
// miss (a name that cannot be a username, an unknown or deleted endpoint,
// a suspended or closed account) is the same 404. The store remembers a
// found credential for a second but forgets it when an endpoint or an
// account changes: a deleted endpoint stops authenticating with the next
// lookup.
func (s *Server) handleSIPCredentials(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	username := r.PathValue("username")
	if !partnerd.IsSIPUsername(username) || s.sip == nil {
		return errNoSIPCredential()
	}
	c, err := s.sip.SIPCredential(r.Context(), username)
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		return errNoSIPCredential()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(wire.NewSIPCredential(c).AppendJSON(make([]byte, 0, 320)))
	return nil
}

// errNoSIPCredential is the one answer for every username that does not
// authenticate; it does not say why.
func errNoSIPCredential() error {
	return partnerd.Errorf(partnerd.ECNotFound, "No active SIP endpoint has this username.")
}

// maxCDRBody is the largest body POST /api/v1/switch/cdrs reads: a batch
// of MaxCDRBatch records.
const maxCDRBody = 2 << 20

// authorizeFields are the keys of an authorize body.
var authorizeFields = []string{"call_uuid", "direction", "from", "to", "account_auth_id"}

// handleAuthorize answers the switch before a call: how long it may last,
// with that much of the customer's balance reserved, or why not.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, authorizeFields...)
	if err != nil {
		return err
	}
	in := partnerd.AuthorizeInput{
		CallUUID: o.str("call_uuid"), Direction: o.str("direction"), From: o.str("from"), To: o.str("to"),
		AccountAuthID: o.optString("account_auth_id"),
	}
	if err := o.validate(&in); err != nil {
		return err
	}
	if s.calls == nil {
		return errNoCalls()
	}
	a, err := s.calls.Authorize(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewAuthorization(a))
	return nil
}

// cdrFields are the keys of one call record.
var cdrFields = []string{"call_uuid", "direction", "account_auth_id", "from_number", "to_number", "start_time",
	"answer_time", "end_time", "duration_seconds", "billsec", "hangup_cause", "sip_response_code", "trunk_id", "context"}

// handleCDRs takes one call record or {"cdrs": [...]}: each is read,
// checked, rated and charged on its own, and the answer has one result
// per record in the order sent. A record that cannot be read spares its
// neighbours; only a body that is not JSON at all is refused whole.
func (s *Server) handleCDRs(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBodyMax(r, maxCDRBody)
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		return partnerd.Errorf(partnerd.ECInvalidJSON, "The request body is not valid JSON.")
	}
	// A batch's records are checked one by one below: a key repeated in
	// one of them rejects that record, not the batch.
	inBatch := func(path string) bool { return strings.HasPrefix(path, "cdrs[") }
	if err := checkJSONExcept(body, inBatch); err != nil {
		return err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return partnerd.Errorf(partnerd.ECInvalidJSON, `The request body must be one CDR object or {"cdrs": [...]}.`)
	}
	raws := []json.RawMessage{body}
	if batch, ok := top["cdrs"]; ok {
		if len(top) > 1 {
			var fe partnerd.FieldErrors
			for k := range top {
				if k != "cdrs" {
					fe.Add(k, partnerd.FCUnknownField, strconv.Quote(k)+` is not a known field beside "cdrs"`)
				}
			}
			return fe.Err()
		}
		raws = nil
		if err := json.Unmarshal(batch, &raws); err != nil || raws == nil {
			return partnerd.FieldErrors{{Field: "cdrs", Code: partnerd.FCInvalidType, Message: "cdrs must be an array of CDR objects"}}.Err()
		}
		switch {
		case len(raws) == 0:
			return partnerd.FieldErrors{{Field: "cdrs", Code: partnerd.FCRequired, Message: "cdrs must hold at least one CDR"}}.Err()
		case len(raws) > partnerd.MaxCDRBatch:
			return partnerd.FieldErrors{{Field: "cdrs", Code: partnerd.FCTooLarge,
				Message: fmt.Sprintf("cdrs holds %d CDRs; send at most %d at a time", len(raws), partnerd.MaxCDRBatch)}}.Err()
		}
	}
	ins := make([]partnerd.CDRInput, len(raws))
	invalid := make([]*partnerd.Error, len(raws))
	for i, raw := range raws {
		ins[i], invalid[i] = decodeCDR(raw)
	}
	if s.calls == nil {
		return errNoCalls()
	}
	results, err := s.calls.PostCDRs(r.Context(), ins, invalid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewCDRResults(results))
	return nil
}

// decodeCDR reads one call record, field by field; the error lists every
// field it could not read or that Validate refuses. A record that is not
// the JSON the API reads (a key given twice, half a surrogate pair) is
// refused as invalid_json, reported by its call_uuid unless that is the
// key repeated: which of its values is meant is not guessed.
func decodeCDR(raw json.RawMessage) (partnerd.CDRInput, *partnerd.Error) {
	var in partnerd.CDRInput
	if err := checkJSON(raw); err != nil {
		var pe *partnerd.Error
		errors.As(err, &pe)
		if pe.Details["key"] != "call_uuid" {
			var id struct {
				CallUUID string `json:"call_uuid"`
			}
			json.Unmarshal(raw, &id)
			in.CallUUID = id.CallUUID
		}
		return in, pe
	}
	o := &object{}
	if err := json.Unmarshal(raw, &o.fields); err != nil || o.fields == nil {
		in.CallUUID = "" // nothing to report it by
		return in, &partnerd.Error{Code: partnerd.ECValidation, Message: "A CDR must be a JSON object."}
	}
	for k := range o.fields {
		if !slices.Contains(cdrFields, k) {
			o.errs.Add(k, partnerd.FCUnknownField, strconv.Quote(k)+" is not a known field")
		}
	}
	in.CallUUID, in.Direction = o.str("call_uuid"), o.str("direction")
	in.AccountAuthID = o.optString("account_auth_id")
	in.FromNumber, in.ToNumber = o.str("from_number"), o.str("to_number")
	in.StartTime = derefTime(o.optTime("start_time"))
	in.AnswerTime = o.optTime("answer_time")
	in.EndTime = derefTime(o.optTime("end_time"))
	in.DurationSeconds = derefInt(o.optInt("duration_seconds"), -1, "duration_seconds", o)
	in.Billsec = derefInt(o.optInt("billsec"), -1, "billsec", o)
	in.HangupCause, in.TrunkID, in.Context = o.optString("hangup_cause"), o.optString("trunk_id"), o.optString("context")
	in.SIPResponseCode = o.optInt("sip_response_code")
	if err := o.validate(&in); err != nil {
		var pe *partnerd.Error
		if errors.As(err, &pe) {
			return in, pe
		}
		return in, &partnerd.Error{Code: partnerd.ECValidation, Message: err.Error()}
	}
	return in, nil
}

// optTime returns a time field (RFC 3339), nil when absent or null.
func (o *object) optTime(name string) *time.Time {
	raw, ok := o.fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.errs.Add(name, partnerd.FCInvalidType, name+" must be an RFC 3339 time string")
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		o.errs.Add(name, partnerd.FCInvalidFormat, name+" must be an RFC 3339 time such as 2026-03-25T11:00:00Z")
		return nil
	}
	return &t
}

// optInt returns an integer field, nil when absent or null.
func (o *object) optInt(name string) *int {
	raw, ok := o.fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	n, fe := partnerd.ParseWholeNumber(name, string(raw))
	if fe != nil {
		o.errs = append(o.errs, *fe)
		return nil
	}
	return &n
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// derefInt returns *p, or reports name as required and returns def.
func derefInt(p *int, def int, name string, o *object) int {
	if p == nil {
		if !o.errs.Has(name) {
			o.errs.Add(name, partnerd.FCRequired, name+" is required")
		}
		return def
	}
	return *p
}

func errNoCalls() error {
	return partnerd.Errorf(partnerd.ECUnavailable, "This server does not serve the switch's calls.")
}
