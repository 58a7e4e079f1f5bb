package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A CSV export's end is logged as what it was: a client that went away
// is an ordinary request (no ERROR), a database that failed half-way is
// an ERROR and a cut connection; either way the request has its access
// line, as every request does.
func TestCSVExportEnds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      error // what the rows end with, after the client's cancel if nil
		wantError bool
	}{
		{"client went away", nil, false},
		{"database failed", errors.New("disk I/O error"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncLog
			s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
			rows := func(r *http.Request) iter.Seq2[string, error] {
				return func(yield func(string, error) bool) {
					if !yield("first", nil) {
						return
					}
					if tc.fail != nil {
						yield("", tc.fail)
						return
					}
					<-r.Context().Done()
					yield("", r.Context().Err())
				}
			}
			done := make(chan struct{})
			srv := httptest.NewServer(s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				streamCSV(s, w, r, "x", []string{"cell"}, rows(r), func(v string, cells []string) []string { return append(cells, v) })
			})))
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/export", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			header, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || header != "cell\n" {
				t.Fatalf("first line %q, %v; want the header", header, err)
			}
			if tc.fail == nil {
				cancel()
			} else if _, err := io.ReadAll(resp.Body); err == nil {
				t.Error("the export that failed half-way ended like a whole file; want the connection cut")
			}
			resp.Body.Close()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the handler did not end")
			}
			// The access line is written as the handler returns.
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logs.String(), `"msg":"request"`) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			out := logs.String()
			if !strings.Contains(out, `"msg":"request"`) {
				t.Errorf("no access line for the export; log:\n%s", out)
			}
			if got := strings.Contains(out, `"level":"ERROR"`); got != tc.wantError {
				t.Errorf("ERROR logged: %v, want %v; log:\n%s", got, tc.wantError, out)
			}
		})
	}
}

// syncLog is a log sink the server's goroutines may write at once.
type syncLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
