package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAuditCrash kills a real "partnerd serve" with SIGKILL, three times,
// while it creates accounts, moves money, and creates webhook and SIP
// endpoints for concurrent clients; after each kill and at the end every
// change in the database has its audit row and every audit row its change
// (the row is written in the change's own transaction), and every change
// a client was told of has its row.
func TestAuditCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	t.Parallel()
	db := t.TempDir() + "/partnerd.db"
	auditCrash(t, db, crashEnv(), "sqlite", db)
}

// TestAuditCrashPostgres is TestAuditCrash on a fresh PostgreSQL database.
func TestAuditCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	t.Parallel()
	dsn := pgFreshDSN(t)
	auditCrash(t, dsn, pgEnv(), "pgx", dsn)
}

const auditCrashWorkers = 8

// auditCrashLoad is the clients of one round and what they were told.
type auditCrashLoad struct {
	url, partnerID, token string
	round                 int
	client                *http.Client
	stop                  chan struct{}
	wg                    sync.WaitGroup

	mu       sync.Mutex
	accounts []string // customers created (acknowledged), the moves' targets
	acked    []string // ids of changes acknowledged (2xx): each must have its row
	sent     int
	failed   int // no answer: the kill landed on them
}

func (l *auditCrashLoad) post(path, key string, body any) (map[string]any, int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, l.url+"/api/v1/partner"+path, bytes.NewReader(b))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-ID", l.partnerID)
	req.Header.Set("X-Auth-Token", l.token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m, resp.StatusCode, nil
}

// one sends the n-th change of worker w: an account, a transfer, a
// withdrawal, a webhook endpoint or a SIP endpoint.
func (l *auditCrashLoad) one(rng *rand.Rand, w, n int) {
	key := fmt.Sprintf("audit-crash-r%d-w%d-%d", l.round, w, n)
	l.mu.Lock()
	var customer string
	if len(l.accounts) > 0 {
		customer = l.accounts[rng.IntN(len(l.accounts))]
	}
	l.sent++
	l.mu.Unlock()
	var path, idField string
	var body any
	switch n % 6 {
	case 0:
		path, idField = "/accounts", "auth_id"
		body = map[string]any{"name": "Crash " + key, "email": key + "@audit-crash.example", "password": "SecurePass@123",
			"phone": "9431538535", "country": "IN"}
	case 1, 2:
		path, idField, body = "/accounts/"+customer+"/transfer-balance", "transaction_id", map[string]any{"amount": "10.00"}
	case 3:
		path, idField, body = "/accounts/"+customer+"/withdraw-balance", "transaction_id", map[string]any{"amount": "1.00"}
	case 4:
		path, idField, body = "/webhook-endpoints", "id", map[string]any{"url": "https://hooks.audit-crash.example/" + key}
	default:
		path, idField = "/accounts/"+customer+"/sip-endpoints", "endpoint_id"
		body = map[string]any{"username": key, "password": "SecurePass@123"}
	}
	m, status, err := l.post(path, key, body)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.failed++
	case status/100 == 2:
		id := fmt.Sprint(m[idField])
		l.acked = append(l.acked, id)
		if idField == "auth_id" {
			l.accounts = append(l.accounts, id)
		}
	}
}

func auditCrash(t *testing.T, db string, env []string, driver, dsn string) {
	bin := crashBuildBinary(t)
	partnerID, token := crashCreatePartner(t, bin, db, env)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	var accounts, acked []string
	inFlight := 0
	for round := 1; round <= 3; round++ {
		srv := crashStartEnv(t, bin, db, env)
		l := &auditCrashLoad{url: srv.url, partnerID: partnerID, token: token, round: round, accounts: accounts,
			client: &http.Client{Timeout: 10 * time.Second}, stop: make(chan struct{})}
		if len(accounts) == 0 {
			l.one(rng, 0, 0) // a first customer for the moves
			if len(l.accounts) == 0 {
				t.Fatalf("the first customer could not be created; stderr:\n%s", srv.stderr.tail(20))
			}
		}
		for w := range auditCrashWorkers {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				wrng := rand.New(rand.NewPCG(seed, uint64(round*100+w)))
				for n := 1; ; n++ {
					select {
					case <-l.stop:
						return
					default:
					}
					l.one(wrng, w, n)
				}
			}()
		}
		time.Sleep(500*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second))))
		close(l.stop) // no new request: the kill lands on those in flight
		srv.kill(t)
		l.wg.Wait()
		l.client.CloseIdleConnections()
		accounts, acked = l.accounts, append(acked, l.acked...)
		inFlight += l.failed
		t.Logf("kill %d: %d changes sent, %d acknowledged, %d cut off", round, l.sent, len(l.acked), l.failed)
		checkAuditMatchesEffects(t, driver, dsn, acked, fmt.Sprintf("after kill %d", round))
		if t.Failed() {
			t.FailNow()
		}
	}
	if inFlight == 0 {
		t.Errorf("no change was in flight at any kill: the test proved nothing about them")
	}
	// A restart finds the same books: the rows were durable with their changes.
	srv := crashStartEnv(t, bin, db, env)
	if code := srv.terminate(t, 25*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	checkAuditMatchesEffects(t, driver, dsn, acked, "at the end")
	crashVerifyLedgerEnv(t, bin, env, db, "at the end")
}

// checkAuditMatchesEffects finds, in the database, every change without
// its audit row and every audit row without its change, and every
// acknowledged change without its row.
func checkAuditMatchesEffects(t *testing.T, driver, dsn string, acked []string, when string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Each query lists what breaks the rule it is named by.
	checks := []struct{ rule, query string }{
		{"a ledger transaction without its row",
			`SELECT id FROM ledger_transactions WHERE id NOT IN (SELECT target FROM audit_events)`},
		{"a money row without its ledger transaction",
			`SELECT target FROM audit_events WHERE action IN ('balance.transfer', 'balance.withdraw', 'partner.fund')
				AND target NOT IN (SELECT id FROM ledger_transactions)`},
		{"a row whose Idempotency-Key is not its transaction's",
			`SELECT l.id FROM ledger_transactions l JOIN audit_events a ON a.target = l.id
				WHERE COALESCE(l.idempotency_key, '') <> COALESCE(a.idempotency_key, '')`},
		{"an account without its row",
			`SELECT auth_id FROM accounts WHERE auth_id NOT IN (SELECT target FROM audit_events WHERE action = 'account.create')`},
		{"an account.create row without its account",
			`SELECT target FROM audit_events WHERE action = 'account.create' AND target NOT IN (SELECT auth_id FROM accounts)`},
		{"a partner without its row",
			`SELECT id FROM partners WHERE id NOT IN (SELECT target FROM audit_events WHERE action = 'partner.create')`},
		{"a webhook endpoint without its row",
			`SELECT id FROM webhook_endpoints WHERE id NOT IN (SELECT target FROM audit_events WHERE action = 'webhook_endpoint.create')`},
		{"a webhook_endpoint.create row without its endpoint",
			`SELECT target FROM audit_events WHERE action = 'webhook_endpoint.create' AND target NOT IN (SELECT id FROM webhook_endpoints)`},
		{"a SIP endpoint without its row",
			`SELECT id FROM sip_endpoints WHERE id NOT IN (SELECT target FROM audit_events WHERE action = 'sip_endpoint.create')`},
		{"a sip_endpoint.create row without its endpoint",
			`SELECT target FROM audit_events WHERE action = 'sip_endpoint.create' AND target NOT IN (SELECT id FROM sip_endpoints)`},
		{"a change recorded twice",
			`SELECT target FROM audit_events GROUP BY action, target HAVING COUNT(*) > 1`},
	}
	for _, c := range checks {
		rows, err := db.Query(c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		var bad []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			bad = append(bad, id)
		}
		rows.Close()
		if len(bad) > 0 {
			t.Errorf("%s: %s: %s", when, c.rule, strings.Join(bad, ", "))
		}
	}
	recorded := map[string]bool{}
	rows, err := db.Query(`SELECT target FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		recorded[id] = true
	}
	for _, id := range acked {
		if !recorded[id] {
			t.Errorf("%s: change %s was acknowledged but has no audit row", when, id)
		}
	}
	if len(recorded) < 10 {
		t.Errorf("%s: only %d audit rows: the load made too few changes to prove anything", when, len(recorded))
	}
}
