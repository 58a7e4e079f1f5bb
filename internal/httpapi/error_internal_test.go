package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request whose client went away ends with the store's "context
// canceled": it is answered 499 for the access log and logged as no
// error; the same error while the client still waits is an internal one.
func TestClientGoneIsNoError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gone       bool
		wantStatus int
		wantLogged bool
	}{
		{"client went away", true, statusClientClosed, false},
		{"client still there", false, http.StatusInternalServerError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncLog
			s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.gone {
				cancel()
			}
			r := httptest.NewRequest(http.MethodPost, "/api/v1/partner/accounts", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			s.writeError(w, r, fmt.Errorf("claim idempotency key: %w", context.Canceled))
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if logged := strings.Contains(logs.String(), `"level":"ERROR"`); logged != tc.wantLogged {
				t.Errorf("logged an ERROR: %v, want %v; log: %s", logged, tc.wantLogged, logs.String())
			}
		})
	}
}
