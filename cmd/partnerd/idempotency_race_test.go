package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestIdempotentRaceAcrossInstances sends one keyed withdrawal at once to
// two instances on one PostgreSQL database, from a balance that pays for
// it once. One instance answers 200; the other must replay that answer or
// say the key is in use (409). A refusal (insufficient_balance, caused by
// its twin's withdrawal) would tell a client retrying a lost request that
// its money did not move, when it did.
func TestIdempotentRaceAcrossInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	dsn, env, bin := pgFreshDSN(t), pgEnv(), crashBuildBinary(t)
	addrs := scaleAddrs(t, 2)
	var servers []*crashServer
	for _, addr := range addrs { // one after the other: the first creates the partner
		s, err := crashLaunch(t, bin, dsn, addr, env)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	id, tok := scaleFirstID.FindStringSubmatch(servers[0].stdout.String()), scaleFirstToken.FindStringSubmatch(servers[0].stdout.String())
	if id == nil || tok == nil {
		t.Fatalf("the first instance printed no credentials:\n%s", servers[0].stdout.String())
	}
	partnerID, token := id[1], tok[1]
	if out, errOut, code := crashRunEnv(t, bin, env, "partner", "fund", "--db", dsn, partnerID, "10000.00"); code != 0 {
		t.Fatalf("partner fund: exit %d: %s\n%s", code, errOut, out)
	}
	customer := scaleCreateCustomers(t, servers, partnerID, token, 1)[0]

	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	type answer struct {
		status   int
		replayed bool
		body     []byte
	}
	post := func(s *crashServer, action, key, amount string) answer {
		req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/partner/accounts/"+customer+"/"+action,
			bytes.NewReader([]byte(`{"amount": "`+amount+`", "description": "race"}`)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Auth-ID", partnerID)
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return answer{}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", b}
	}
	code := func(a answer) string {
		var e struct{ Error string }
		json.Unmarshal(a.body, &e)
		return e.Error
	}

	if a := post(servers[0], "transfer-balance", "", "50.00"); a.status != http.StatusOK {
		t.Fatalf("transfer: %d %s", a.status, a.body)
	}
	const rounds = 30
	replays, inUse := 0, 0
	for round := range rounds {
		key := fmt.Sprintf("race-%d", round)
		var got [2]answer
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range got {
			wg.Go(func() {
				<-start
				got[i] = post(servers[i], "withdraw-balance", key, "30.00")
			})
		}
		close(start)
		wg.Wait()
		first, other := got[0], got[1]
		if first.replayed || first.status != http.StatusOK {
			first, other = other, first
		}
		switch {
		case first.status != http.StatusOK || first.replayed:
			t.Fatalf("round %d: no instance made the withdrawal: %d %s / %d %s", round, got[0].status, got[0].body, got[1].status, got[1].body)
		case other.status == http.StatusOK && other.replayed && bytes.Equal(other.body, first.body):
			replays++
		case other.status == http.StatusConflict && code(other) == "idempotency_key_in_use":
			inUse++
		default:
			t.Errorf("round %d: one instance withdrew (%s); the other answered %d (replayed %v) %s: want a replay of that answer or 409 idempotency_key_in_use",
				round, first.body, other.status, other.replayed, other.body)
		}
		if a := post(servers[round%2], "transfer-balance", "", "30.00"); a.status != http.StatusOK {
			t.Fatalf("refill: %d %s", a.status, a.body)
		}
	}
	t.Logf("%d rounds: the second answer was a replay %d times, 409 %d times", rounds, replays, inUse)
	crashVerifyLedgerEnv(t, bin, env, dsn, "after the races")
}
