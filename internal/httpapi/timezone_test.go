package httpapi_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestDaysInPartnerTimezone: date filters count days in the partner's
// time zone. A transfer and a call at 00:30 in Kolkata (19:00 UTC the day
// before) belong to the Kolkata day, for a partner there, and to the UTC
// day for a partner in UTC.
func TestDaysInPartnerTimezone(t *testing.T) {
	t.Parallel()
	var clock atomic.Pointer[time.Time]
	at := time.Date(2026, 3, 24, 19, 0, 0, 0, time.UTC) // 2026-03-25 00:30 in Kolkata
	clock.Store(&at)
	now := func() time.Time { return *clock.Load() }
	e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{now: now, serverNow: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	ctx := context.Background()
	for _, tc := range []struct {
		timezone string
		day      string // the day both rows are on
		other    string // a day they are not on
	}{
		{"Asia/Kolkata", "2026-03-25", "2026-03-24"},
		{"UTC", "2026-03-24", "2026-03-25"},
	} {
		p, authID := e.mustCustomer(t, "tz"+tc.timezone[:3])
		if _, err := e.db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &tc.timezone}); err != nil {
			t.Fatal(err)
		}
		e.api.ForgetCredentials(p.ID) // as the server does on a change it makes
		if _, err := e.db.FundPartner(ctx, p.ID, 100000, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: authID, Amount: 5000}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1",
			PerMinute: 100, InitialIncrement: 1, SubsequentIncrement: 1}}); err != nil {
			t.Fatal(err)
		}
		call := "tz-" + authID
		if res, err := e.db.PostCDRs(ctx, []partnerd.CDRInput{{CallUUID: call, Direction: partnerd.DirectionOutbound,
			AccountAuthID: &authID, FromNumber: "+919876543210", ToNumber: "+14155550100", StartTime: at,
			EndTime: at.Add(time.Second), DurationSeconds: 1}}, make([]*partnerd.Error, 1)); err != nil || res[0].Status != partnerd.CDRCharged {
			t.Fatalf("PostCDRs = %+v, %v", res, err)
		}
		for _, day := range []string{tc.day, tc.other} {
			want := 0
			if day == tc.day {
				want = 1
			}
			r := e.get(t, base+"/accounts/"+authID+"/transactions?from_date="+day+"&to_date="+day, p)
			if r.status != http.StatusOK || len(data(t, r)) != want {
				t.Errorf("%s: transactions on %s = %d %s, want %d rows", tc.timezone, day, r.status, r.raw, want)
			}
			r = e.get(t, base+"/accounts/"+authID+"/cdrs?start_date="+day+"&end_date="+day, p)
			if r.status != http.StatusOK || len(data(t, r)) != want {
				t.Errorf("%s: cdrs on %s = %d %s, want %d rows", tc.timezone, day, r.status, r.raw, want)
			}
		}
		// Without dates, the last 30 days up to the partner's today.
		r := e.get(t, base+"/cdrs", p)
		if len(data(t, r)) != 1 {
			t.Fatalf("%s: default window = %s, want the call", tc.timezone, r.raw)
		}
		if diff := cmp.Diff([]string{call}, []string{str(data(t, r)[0]["call_uuid"])}); r.status != http.StatusOK || diff != "" {
			t.Errorf("%s: default window (-want +got):\n%s", tc.timezone, diff)
		}
	}
}
