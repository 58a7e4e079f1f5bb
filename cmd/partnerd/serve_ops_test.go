package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// Operator commands open the database file a running server holds open.
func TestOperatorCommandsBesideServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := tempDB(t)
	srv := mustServe(t, db)
	firstID, firstToken := mustCredentials(t, srv.stdout.String())
	first := client.New(srv.url, firstID, firstToken)

	// Partners are created by the operator while the server writes accounts.
	const partners, accounts = 4, 2
	type created struct {
		p   map[string]any
		err error
	}
	results := make([]created, partners)
	accountIDs := make([]string, accounts)
	var wg sync.WaitGroup
	for i := range partners {
		wg.Go(func() {
			stdout, stderr, err := runCmd("partner", "create", "--db", db, "--name", fmt.Sprintf("Partner %d", i),
				"--email", fmt.Sprintf("p%d@example.com", i), "--currency", "eur")
			if err != nil {
				results[i].err = fmt.Errorf("%v\nstderr:\n%s", err, stderr)
				return
			}
			results[i].err = json.Unmarshal([]byte(stdout), &results[i].p)
		})
	}
	for i := range accounts {
		wg.Go(func() {
			in := seedInput()
			in.Email = fmt.Sprintf("c%d@credresolve.com", i)
			a, err := first.CreateAccount(ctx, "", in)
			if err != nil {
				t.Errorf("CreateAccount during partner create: %v", err)
				return
			}
			accountIDs[i] = a.AuthID
		})
	}
	wg.Wait()

	for i, r := range results {
		if r.err != nil {
			t.Errorf("partner create %d beside the server: %v", i, r.err)
			continue
		}
		id, _ := r.p["auth_id"].(string)
		token, _ := r.p["auth_token"].(string)
		c := client.New(srv.url, id, token)
		me, err := c.Me(ctx)
		if err != nil {
			t.Errorf("Me as new partner %s: %v", id, err)
			continue
		}
		if me.ID != id || me.Name != fmt.Sprintf("Partner %d", i) || me.Currency != "EUR" || me.AccountCount != 0 {
			t.Errorf("Me as new partner = %+v, want %s, Partner %d, EUR, no accounts", me, id, i)
		}
		// The first partner's customers are invisible to the new one.
		if got, total, err := c.ListAccounts(ctx, "", partnerd.AccountFilter{}); err != nil || total != 0 || len(got) != 0 {
			t.Errorf("ListAccounts as new partner: %d rows, total %d, err %v; want none", len(got), total, err)
		}
		if accountIDs[0] != "" {
			if _, err := c.Account(ctx, "", accountIDs[0]); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
				t.Errorf("Account of another partner's customer: code %q, want %q", partnerd.ErrorCode(err), partnerd.ECAccountNotFound)
			}
		}
	}

	stdout, _, err := runCmd("partner", "list", "--db", db)
	if err != nil {
		t.Fatalf("partner list beside the server: %v", err)
	}
	if n := len(nonEmptyLines(stdout)); n != partners+1 {
		t.Errorf("partner list beside the server: %d partners, want %d\n%s", n, partners+1, stdout)
	}
	if me, err := first.Me(ctx); err != nil || me.AccountCount != accounts {
		t.Errorf("first partner after the operator's writes: %+v, %v; want %d accounts", me, err, accounts)
	}
}

// Neither the partner's token, nor a customer's token, nor a password may
// reach the request log, whatever the request's outcome.
func TestLogHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := mustServe(t, tempDB(t))
	partnerID, token := mustCredentials(t, srv.stdout.String())
	c := client.New(srv.url, partnerID, token)

	const password, weakPassword = "Sup3r-Secret!pw", "weakpasswordonly"
	in := seedInput()
	in.Password = password
	a, err := c.CreateAccount(client.WithIdempotencyKey(ctx, "log-test-1"), "", in)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if _, err := c.Account(ctx, "", a.AuthID); err != nil {
		t.Fatalf("Account: %v", err)
	}
	in.Email, in.Password = "weak@credresolve.com", weakPassword
	if _, err := c.CreateAccount(ctx, "", in); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("CreateAccount with a weak password: code %q, want %q", partnerd.ErrorCode(err), partnerd.ECValidation)
	}
	wrongToken := token[:len(token)-4] + "Zz9x"
	if _, err := client.New(srv.url, partnerID, wrongToken).Me(ctx); partnerd.ErrorCode(err) != partnerd.ECInvalidCredentials {
		t.Errorf("Me with a wrong token: code %q, want %q", partnerd.ErrorCode(err), partnerd.ECInvalidCredentials)
	}
	// Bodies the server cannot decode carry a password too.
	for _, body := range []string{`{"password": "` + password + `",`, `{"pasword": "` + password + `"}`} {
		req, _ := http.NewRequest(http.MethodPost, srv.url+"/api/v1/partner/accounts", strings.NewReader(body))
		req.Header.Set("X-Auth-ID", partnerID)
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 400", body, resp.StatusCode)
		}
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("run after cancel = %v, want nil", err)
	}

	log := srv.stderr.String()
	for name, secret := range map[string]string{
		"partner token": token, "wrong partner token": wrongToken, "customer token": a.AuthToken,
		"password": password, "weak password": weakPassword, "any token": "sk_live_",
	} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the %s %q", name, secret)
		}
	}
	requests := 0
	for _, line := range nonEmptyLines(log) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %v\n%s", err, line)
			continue
		}
		if entry["msg"] == "request" && entry["path"] != "/healthz" {
			requests++
			if id, _ := entry["request_id"].(string); id == "" {
				t.Errorf("request log line without request_id: %s", line)
			}
		}
	}
	if requests != 6 {
		t.Errorf("log has %d request lines beyond /healthz, want 6:\n%s", requests, log)
	}
}
