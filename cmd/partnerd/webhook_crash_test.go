package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestWebhookCrashSQLite kills the one server with SIGKILL while it
// delivers webhooks and starts it again: every event is delivered.
func TestWebhookCrashSQLite(t *testing.T) {
	testWebhookCrash(t, "sqlite")
}

// TestWebhookCrashPostgres runs three instances on one database and
// kills one while they deliver: every event is delivered by the others.
func TestWebhookCrashPostgres(t *testing.T) {
	testWebhookCrash(t, "postgres")
}

// hookReceiver records when each webhook-id arrived.
type hookReceiver struct {
	mu  sync.Mutex
	got map[string][]time.Time
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	h.got[id] = append(h.got[id], time.Now())
	h.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // keep attempts in flight
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) seen() map[string][]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][]time.Time, len(h.got))
	for k, v := range h.got {
		out[k] = append([]time.Time(nil), v...)
	}
	return out
}

// hookCall makes one partner API call and decodes its JSON answer.
func hookCall(url, method, path, id, token string, body any, out any) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url+"/api/v1/partner"+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Auth-ID", id)
	req.Header.Set("X-Auth-Token", token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

func testWebhookCrash(t *testing.T, engine string) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	var db string
	var env []string
	instances := 1
	if engine == "postgres" {
		db, env, instances = pgFreshDSN(t), pgEnv(), 3
	} else {
		db, env = filepath.Join(t.TempDir(), "p.db"), crashEnv()
	}
	const lease = 16 * time.Second
	env = append(env, "PARTNERD_WEBHOOK_ALLOW_PRIVATE=true", "PARTNERD_WEBHOOK_LEASE="+lease.String())
	bin := crashBuildBinary(t)
	rcv := &hookReceiver{got: map[string][]time.Time{}}
	hooks := httptest.NewServer(rcv)
	defer hooks.Close()

	servers := make([]*crashServer, instances)
	for i := range servers {
		servers[i] = crashStartEnv(t, bin, db, env)
	}
	out := servers[0].stdout.String()
	idm, tokm := scaleFirstID.FindStringSubmatch(out), scaleFirstToken.FindStringSubmatch(out)
	if idm == nil || tokm == nil {
		t.Fatalf("no first-start credentials:\n%s", out)
	}
	pid, token := idm[1], tokm[1]
	if _, errOut, code := crashRunEnv(t, bin, env, "partner", "fund", "--db", db, pid, "100000.00"); code != 0 {
		t.Fatalf("partner fund: %s", errOut)
	}
	var ep struct{ ID string }
	if code, err := hookCall(servers[0].url, "POST", "/webhook-endpoints", pid, token, map[string]any{"url": hooks.URL}, &ep); code != 201 || err != nil {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	var acct struct {
		AuthID string `json:"auth_id"`
	}
	if code, err := hookCall(servers[0].url, "POST", "/accounts", pid, token, map[string]any{"name": "Hooked", "email": "hooked@crash.example",
		"password": "SecurePass@123", "phone": "9431538535", "country": "IN"}, &acct); code != 201 || err != nil {
		t.Fatalf("create account: %d %v", code, err)
	}

	// Transfers from 8 clients over every instance; halfway, SIGKILL the
	// first instance (on SQLite, the server, started again at once).
	const transfers = 240
	var diedAt time.Time
	var mu sync.Mutex
	next, ok := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == transfers {
					mu.Unlock()
					return
				}
				i := next
				next++
				if i == transfers/2 {
					if err := servers[0].killNow(); err != nil {
						t.Error(err)
					}
					diedAt = time.Now()
					if instances == 1 {
						servers[0] = crashStartEnv(t, bin, db, env)
					} else {
						servers = servers[1:]
					}
				}
				url := servers[i%len(servers)].url
				mu.Unlock()
				code, err := hookCall(url, "POST", "/accounts/"+acct.AuthID+"/transfer-balance", pid, token, map[string]any{"amount": "1.00"}, nil)
				if err == nil && code == 200 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if ok < transfers/2 {
		t.Fatalf("only %d of %d transfers succeeded", ok, transfers)
	}

	// Every event that committed is delivered: the killed instance's
	// claims after their lease ran out.
	var events []string
	for page := 1; ; page++ {
		var list struct {
			Data []struct{ ID string }
		}
		if code, err := hookCall(servers[0].url, "GET", fmt.Sprintf("/events?size=100&page=%d", page), pid, token, nil, &list); code != 200 || err != nil {
			t.Fatalf("GET /events: %d %v", code, err)
		}
		for _, e := range list.Data {
			events = append(events, e.ID)
		}
		if len(list.Data) < 100 {
			break
		}
	}
	if len(events) < ok+1 {
		t.Fatalf("%d events for %d transfers and an account", len(events), ok)
	}
	deadline := time.Now().Add(90 * time.Second)
	var missing []string
	for {
		seen := rcv.seen()
		missing = missing[:0]
		for _, id := range events {
			if len(seen[id]) == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d events never delivered, e.g. %s", len(missing), len(events), missing[0])
	}
	// A duplicate is an attempt whose lease was lost: made by the killed
	// instance before it died (received by then, or soon after for a
	// request already on its way), and made again once the lease ran out.
	dups := 0
	for id, times := range rcv.seen() {
		if len(times) > 1 {
			dups++
			if !times[0].Before(diedAt.Add(2 * time.Second)) {
				t.Errorf("event %s delivered %d times, first %v after the killed instance died", id, len(times), times[0].Sub(diedAt))
			}
			if gap := times[1].Sub(times[0]); gap < lease/2 {
				t.Errorf("event %s delivered again %v after its first delivery, within its lease (%v)", id, gap, lease)
			}
		}
	}
	t.Logf("%d events delivered over %d instances (one killed); %d delivered twice after a lost lease", len(events), instances, dups)
	crashVerifyLedgerEnv(t, bin, env, db, "after the webhook crash")
}
