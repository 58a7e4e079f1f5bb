package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func renderAutoTopup(a *partnerd.AutoTopup) any { return wire.NewAutoTopup(a) }

// handleAutoTopupPut sets every setting at once: each field is required.
func (s *Server) handleAutoTopupPut(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	fields := []string{"enabled", "threshold", "target_balance", "max_per_day", "max_per_month", "max_count_per_day"}
	o, err := decodeObject(body, fields...)
	if err != nil {
		return err
	}
	currency := partnerFrom(r.Context()).Currency
	var in partnerd.AutoTopupInput
	switch raw, ok := o.fields["enabled"]; {
	case !ok || string(raw) == "null":
		o.errs.Add("enabled", partnerd.FCRequired, "enabled is required: true or false")
	case json.Unmarshal(raw, &in.Enabled) != nil:
		o.errs.Add("enabled", partnerd.FCInvalidType, "enabled must be true or false")
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"threshold", &in.Threshold}, {"target_balance", &in.TargetBalance}, {"max_per_day", &in.MaxPerDay}, {"max_per_month", &in.MaxPerMonth}} {
		v, fe := partnerd.ParsePositiveAmount(f.name, o.fields[f.name], currency)
		if fe != nil {
			o.errs = append(o.errs, *fe)
			continue
		}
		*f.v = v
	}
	in.MaxCountPerDay = derefInt(o.optInt("max_count_per_day"), 0, "max_count_per_day", o)
	// Every bad field at once: what the domain checks of the fields that
	// decoded, beside those that did not.
	if err := o.validate(in); err != nil {
		return err
	}
	id, err := customerID(r)
	if err != nil {
		return err
	}
	a, err := s.topups.SetAutoTopup(r.Context(), partnerFrom(r.Context()).ID, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderAutoTopup(a))
	return nil
}

func (s *Server) handleAutoTopupGet(w http.ResponseWriter, r *http.Request) error {
	return s.autoTopupRead(w, r, s.topups.AutoTopup)
}

func (s *Server) handleAutoTopupDelete(w http.ResponseWriter, r *http.Request) error {
	return s.autoTopupRead(w, r, s.topups.DisableAutoTopup)
}

func (s *Server) autoTopupRead(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, partnerID, authID string) (*partnerd.AutoTopup, error)) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := customerID(r)
	if err != nil {
		return err
	}
	a, err := op(r.Context(), partnerFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderAutoTopup(a))
	return nil
}
