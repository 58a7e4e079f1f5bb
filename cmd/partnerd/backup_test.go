package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// TestBackupUnderLoad: partnerd backup of a database that a server keeps
// moving money in is a copy whose ledger verifies, holding the money moved
// before it, and a server starts from it with the same credentials.
func TestBackupUnderLoad(t *testing.T) {
	db := tempDB(t)
	s := mustServe(t, db)
	id, token := mustCredentials(t, s.stdout.String())
	if _, errOut, err := runCmd("partner", "fund", "--db", db, id, "100000.00"); err != nil {
		t.Fatalf("partner fund: %v\n%s", err, errOut)
	}
	ctx := context.Background()
	c := client.New(s.url, id, token)
	var accounts []string
	for i := range 4 {
		a, err := c.CreateAccount(ctx, id, partnerd.AccountInput{Name: fmt.Sprintf("Backup %d", i),
			Email: fmt.Sprintf("backup%d@example.com", i), Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a.AuthID)
	}

	// Transfers run on four connections while the backup is taken.
	stop := make(chan struct{})
	var moved atomic.Int64
	var wg sync.WaitGroup
	for _, a := range accounts {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := c.Transfer(ctx, id, partnerd.TransferInput{AuthID: a, Amount: 1_00}); err != nil {
					t.Errorf("transfer: %v", err)
					return
				}
				moved.Add(1)
			}
		})
	}
	for moved.Load() < 50 {
		if t.Failed() {
			break
		}
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	stdout, errOut, err := runCmd("backup", "--db", db, out)
	movedBefore := moved.Load()
	for moved.Load() < movedBefore+50 && !t.Failed() {
	}
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut)
	}
	var rep struct {
		KeyFile string `json:"key_file"`
		Bytes   int64  `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Bytes <= 0 || rep.KeyFile != out+".key" {
		t.Fatalf("backup printed %q (%v); want its file's size and key file", stdout, err)
	}
	// The database, its WAL and the copy hold personal data and secrets'
	// ciphertexts: their owner's alone, as the key is.
	for _, f := range []string{db, db + "-wal", out} {
		if st, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(out + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file beside the copy: %v, %v; want mode 0600", st, err)
	}
	if _, errOut, err := runCmd("ledger", "verify", "--db", out); err != nil {
		t.Fatalf("ledger verify of the copy: %v\n%s", err, errOut)
	}
	if _, errOut, err := runCmd("ledger", "verify", "--db", db); err != nil {
		t.Fatalf("ledger verify of the source: %v\n%s", err, errOut)
	}

	// A server starts from the copy and knows the partner's token; the
	// copy holds some of the transfers, and none that the source lacks.
	s.stop(t)
	copySrv := mustServe(t, out)
	cc := client.New(copySrv.url, id, token)
	var inCopy int
	for _, a := range accounts {
		b, err := cc.AccountBalance(ctx, id, a)
		if err != nil {
			t.Fatalf("balance on the copy: %v", err)
		}
		inCopy += int(b.Balance / 1_00)
	}
	if inCopy < 50 || int64(inCopy) > moved.Load() {
		t.Errorf("the copy holds %d transfers; want at least the 50 before the backup and at most the %d made", inCopy, moved.Load())
	}

	// Refusals: an existing file, and PostgreSQL.
	if _, errOut, err := runCmd("backup", "--db", db, out); err == nil || !strings.Contains(err.Error()+errOut, "exists") {
		t.Errorf("backup over an existing file: %v %s; want a refusal", err, errOut)
	}
	if _, _, err := runCmd("backup", "--db", "postgres://localhost/x", out+"2"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v; want a pointer to pg_dump", err)
	}
}
