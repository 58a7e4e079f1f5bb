package httpapi

import (
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// rateListParams are the query parameters of GET /rates.
var rateListParams = slices.Concat(pageParams, []string{"direction", "prefix"})

// handleRateList answers one page of the partner's rate deck, ordered by
// direction and prefix; rates are priced in the partner's currency.
func (s *Server) handleRateList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, rateListParams)
	f, err := partnerd.RateParams{Page: q.page(), Direction: q.get("direction"), Prefix: q.get("prefix")}.Filter()
	if err := q.check(err); err != nil {
		return err
	}
	p := partnerFrom(r.Context())
	rates, total, err := s.rates.ListRates(r.Context(), p.ID, f)
	if err != nil {
		return err
	}
	out := wire.List[wire.Rate]{Data: make([]wire.Rate, 0, len(rates)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, rate := range rates {
		out.Data = append(out.Data, wire.NewRate(rate, p.Currency))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
