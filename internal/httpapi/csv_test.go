package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// jsonRows reads every page of a JSON list.
func jsonRows(t *testing.T, e *testEnv, c creds, path string, q url.Values) []map[string]any {
	t.Helper()
	var out []map[string]any
	for page := 1; ; page++ {
		q.Set("page", fmt.Sprint(page))
		q.Set("size", "100")
		r := e.get(t, path+"?"+q.Encode(), c)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, r.status, r.raw)
		}
		rows := data(t, r)
		out = append(out, rows...)
		if len(rows) < 100 {
			return out
		}
	}
}

// csvRows reads a CSV export through encoding/csv.
func csvRows(t *testing.T, e *testEnv, c creds, path string, q url.Values, accept bool) [][]string {
	t.Helper()
	hdr := map[string]string{}
	if accept {
		hdr["Accept"] = "text/csv"
	} else {
		q.Set("format", "csv")
	}
	r := e.send(t, http.MethodGet, path+"?"+q.Encode(), c, nil, hdr)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("GET %s as CSV = %d %q: %s", path, r.status, r.header.Get("Content-Type"), r.raw)
	}
	rows, err := csv.NewReader(strings.NewReader(r.raw)).ReadAll()
	if err != nil {
		t.Fatalf("CSV of %s does not parse: %v\n%s", path, err, r.raw)
	}
	return rows
}

// wantCSV renders JSON rows as the CSV export must: the keys of the first
// row as the header (in the order of header), each value as its JSON text
// (null empty), and the cells named in formulaSafe with a leading
// apostrophe when a spreadsheet would run them: when they start with =,
// +, -, @, a tab or a carriage return and are not a plain signed number.
func wantCSV(header []string, rows []map[string]any, formulaSafe ...string) [][]string {
	out := [][]string{header}
	for _, row := range rows {
		var cells []string
		for _, k := range header {
			var cell string
			switch v := row[k].(type) {
			case nil:
			case string:
				cell = v
				if len(v) > 0 && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !signedNumber.MatchString(v) && slicesContains(formulaSafe, k) {
					cell = "'" + v
				}
			case json.Number:
				cell = string(v)
			default:
				cell = fmt.Sprint(v)
			}
			cells = append(cells, cell)
		}
		out = append(out, cells)
	}
	return out
}

// signedNumber is a number a spreadsheet reads as one: an E.164 number,
// a negative amount.
var signedNumber = regexp.MustCompile(`^[+-][0-9]+(\.[0-9]+)?$`)

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestTransactionsCSV(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ctx := context.Background()
	p, authID := e.mustCustomer(t, "csvtx")
	if _, err := e.db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"Plan, \"gold\"\nsecond line", "=HYPERLINK(\"http://x\")", "-5 refund", "@SUM(A1)", "+1", "+1+1", "ünïcödé", ""} {
		var desc *string
		if d != "" {
			desc = &d
		}
		if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: authID, Amount: 1234, Description: desc}); err != nil {
			t.Fatal(err)
		}
	}
	// A call's charge: its reference is the call_uuid, which the
	// customer's phone chose.
	if err := e.db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 6000, InitialIncrement: 60, SubsequentIncrement: 60},
	}); err != nil {
		t.Fatal(err)
	}
	call := partnerd.CDRInput{CallUUID: `+HYPERLINK("http://evil/","x")@` + p.ID, Direction: partnerd.DirectionOutbound,
		AccountAuthID: &authID, FromNumber: "+919876543210", ToNumber: "+14155550100",
		StartTime: time.Now().Add(-time.Hour).Truncate(time.Second), DurationSeconds: 60, Billsec: 60}
	answer := call.StartTime
	call.EndTime, call.AnswerTime = call.StartTime.Add(time.Minute), &answer
	if res, err := e.db.PostCDRs(ctx, []partnerd.CDRInput{call}, make([]*partnerd.Error, 1)); err != nil || res[0].Status != partnerd.CDRCharged {
		t.Fatalf("PostCDRs = %+v, %v", res, err)
	}
	header := []string{"id", "type", "amount", "currency", "balance_before", "balance_after", "description",
		"initiated_by", "reference", "created_at"}
	for _, accept := range []bool{false, true} {
		path := base + "/accounts/" + authID + "/transactions"
		want := wantCSV(header, jsonRows(t, e, p, path, url.Values{}), "description", "reference")
		if diff := cmp.Diff(want, csvRows(t, e, p, path, url.Values{}, accept)); diff != "" {
			t.Errorf("account transactions CSV (accept %v) (-want +got):\n%s", accept, diff)
		}
		path = base + "/transactions"
		want = wantCSV(append(header, "account_auth_id"), jsonRows(t, e, p, path, url.Values{}), "description", "reference")
		if diff := cmp.Diff(want, csvRows(t, e, p, path, url.Values{}, accept)); diff != "" {
			t.Errorf("partner-wide transactions CSV (-want +got):\n%s", diff)
		}
		path = base + "/me/transactions"
		want = wantCSV(header, jsonRows(t, e, p, path, url.Values{}), "description", "reference")
		if diff := cmp.Diff(want, csvRows(t, e, p, path, url.Values{}, accept)); diff != "" {
			t.Errorf("master wallet CSV (-want +got):\n%s", diff)
		}
	}
	// Filters apply to the export as to the list; errors are JSON.
	q := url.Values{"transaction_type": {"withdrawal"}}
	if rows := csvRows(t, e, p, base+"/accounts/"+authID+"/transactions", q, true); len(rows) != 1 {
		t.Errorf("CSV of no withdrawals = %v, want the header alone", rows)
	}
	wantError(t, e.doJSON(t, http.MethodGet, base+"/accounts/MA_00000000/transactions", p, nil, map[string]string{"Accept": "text/csv"}),
		http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.get(t, base+"/transactions?format=xlsx", p), http.StatusBadRequest, partnerd.ECValidation)
	// Accept: CSV when it is preferred to JSON, by its q.
	for accept, csv := range map[string]bool{
		"text/csv": true, "text/csv, */*": true, "application/json;q=0.5, text/csv": true,
		"text/csv;q=0.5, application/json": false, "application/json, text/csv": false, "text/csv;q=0": false,
		"text/csv;q=abc": false, "*/*": false, "": false,
	} {
		r := e.send(t, http.MethodGet, base+"/transactions", p, nil, map[string]string{"Accept": accept})
		if got := strings.HasPrefix(r.header.Get("Content-Type"), "text/csv"); r.status != http.StatusOK || got != csv {
			t.Errorf("Accept %q: %d %q, want CSV %v", accept, r.status, r.header.Get("Content-Type"), csv)
		}
	}
}

func TestCDRsCSV(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	f := mustCDRFixture(t, e, "cdrcsv", 230, 3)
	// The switch's text that a customer's phone or a carrier may choose,
	// each written to run as a formula.
	switchText := []string{"call_uuid", "from_number", "to_number", "hangup_cause", "trunk_id", "context"}
	hostile := []string{`=HYPERLINK("http://x","y")`, `@SUM(1)`, `-2+3`, "+cmd|'/Ccalc'!A0"}
	var calls []partnerd.CDRInput
	for i, text := range hostile {
		text := fmt.Sprintf("%s-%d", text, i)
		start := time.Now().Add(-time.Hour).Truncate(time.Second)
		call := partnerd.CDRInput{StartTime: start, EndTime: start.Add(5 * time.Second), DurationSeconds: 5}
		call.CallUUID, call.HangupCause, call.TrunkID, call.Context = text+"-"+f.authID, &text, &text, &text
		call.Direction, call.AccountAuthID, call.FromNumber, call.ToNumber = partnerd.DirectionOutbound, &f.authID, text, "+14155550100"
		calls = append(calls, call)
	}
	if res, err := e.db.PostCDRs(context.Background(), calls, make([]*partnerd.Error, len(calls))); err != nil {
		t.Fatal(err)
	} else {
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				t.Fatalf("CDR %s: %+v", r.CallUUID, r.Err)
			}
		}
	}
	// They are in the default window, so the first query checks them.
	if rows := csvRows(t, e, f.p, base+"/cdrs", url.Values{"search": {"HYPERLINK"}}, true); len(rows) != 2 || rows[1][0] != "'"+calls[0].CallUUID {
		t.Errorf("CSV of the call named %s = %q", calls[0].CallUUID, rows)
	}
	header := []string{"call_uuid", "from_number", "to_number", "direction", "status", "duration_seconds",
		"billsec", "hangup_cause", "cost", "currency", "start_time", "answer_time", "end_time", "trunk_id", "context"}
	for _, query := range []string{"", "status=answered", "call_direction=inbound&start_date=2020-01-01&end_date=2020-12-31"} {
		q, _ := url.ParseQuery(query)
		path := base + "/accounts/" + f.authID + "/cdrs"
		want := wantCSV(header, jsonRows(t, e, f.p, path, q), switchText...)
		q, _ = url.ParseQuery(query)
		if diff := cmp.Diff(want, csvRows(t, e, f.p, path, q, true)); diff != "" {
			t.Errorf("account CDRs CSV ?%s (-want +got):\n%s", query, diff)
		}
		q, _ = url.ParseQuery(query)
		want = wantCSV(append(header, "account_auth_id"), jsonRows(t, e, f.p, base+"/cdrs", q), switchText...)
		q, _ = url.ParseQuery(query)
		if diff := cmp.Diff(want, csvRows(t, e, f.p, base+"/cdrs", q, false)); diff != "" {
			t.Errorf("partner CDRs CSV ?%s (-want +got):\n%s", query, diff)
		}
	}
}
