package httpapi

import (
	"bufio"
	"encoding/csv"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// wantsCSV reports whether a list is asked for as CSV: format=csv, or an
// Accept header that prefers text/csv to application/json (a higher q; a
// tie, or a wildcard's q, keeps JSON, the API's own type). format=json
// asks for the JSON page.
func wantsCSV(r *http.Request, q *query) (bool, error) {
	if f := q.get("format"); f != nil {
		switch *f {
		case "csv":
			return true, nil
		case "json":
			return false, nil
		}
		return false, partnerd.FieldErrors{{Field: "format", Code: partnerd.FCInvalidValue, Message: `format must be "csv" or "json"`}}.Err()
	}
	csvQ, jsonQ := 0.0, -1.0 // -1: JSON not named
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			switch mt {
			case "text/csv":
				csvQ = max(csvQ, q)
			case "application/json":
				jsonQ = max(jsonQ, q)
			}
		}
	}
	return csvQ > 0 && csvQ > jsonQ, nil
}

// csvStall bounds how long one chunk of a CSV stream may take to leave:
// the server's write timeout bounds a whole answer, which would cut off a
// large export, so each flush moves the deadline instead.
const csvStall = 60 * time.Second

// csvFlushRows is how many rows a CSV stream writes between flushes.
const csvFlushRows = 512

// streamCSV answers with every row of seq as CSV, header first: streamed,
// in constant memory. An error before the first row (an unknown account)
// is answered as JSON like any other; one after it cuts the response off
// (the client sees a truncated transfer, never a short file that looks
// whole) and is logged.
func streamCSV[T any](s *Server, w http.ResponseWriter, r *http.Request, name string, header []string, seq iter.Seq2[T, error], row func(T, []string) []string) error {
	next, stop := iter.Pull2(seq)
	defer stop()
	first, err, ok := next()
	if ok && err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(csvStall))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	cw := csv.NewWriter(bw)
	cw.Write(header)
	cells := make([]string, 0, len(header))
	flush := func() error {
		cw.Flush()
		if err := bw.Flush(); err != nil {
			return err
		}
		rc.SetWriteDeadline(time.Now().Add(csvStall))
		return rc.Flush()
	}
	// The header leaves at once, before the rest of the query.
	if err := flush(); err != nil {
		return nil // the client went away
	}
	for n := 0; ok; n++ {
		if err != nil {
			if r.Context().Err() != nil {
				return nil // the client went away: its access line says how much it got
			}
			s.log.Error("CSV export cut off", "request_id", requestID(r.Context()), "error", err.Error())
			panic(http.ErrAbortHandler)
		}
		cw.Write(row(first, cells[:0]))
		if n%csvFlushRows == csvFlushRows-1 {
			if err := flush(); err != nil {
				return nil
			}
		}
		first, err, ok = next()
	}
	flush()
	return nil
}

func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func csvMoney(v int64, currency string) string { return partnerd.FormatMinor(v, currency) }

func csvInt(v int) string { return strconv.Itoa(v) }
