package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportKeepsGoodFile: an export cut short leaves the file it would
// replace as it was, and no temporary file; a whole one replaces it.
func TestExportKeepsGoodFile(t *testing.T) {
	s := mustServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(file, []byte("good\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := s.via(afterForwarding(t, s, 0, func(r *http.Request) bool { return r.Method == http.MethodGet }, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("call_uuid,account_auth_id\nc1,MA_"))
	}))
	for _, args := range [][]string{{"cdrs", "export", "--file", file}, {"transactions", "--file", file}} {
		r := cut.ctl(t, args...)
		if b, _ := os.ReadFile(file); r.code != exitNoAnswer || string(b) != "good\n" {
			t.Errorf("partnerctl %s cut short: exit %d, file now %q; want exit 3 and the file as it was", strings.Join(args, " "), r.code, b)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only calls.csv", len(entries))
	}
	s.mustOK(t, "cdrs", "export", "--file", file)
	if b, _ := os.ReadFile(file); !strings.HasPrefix(string(b), "call_uuid,") {
		t.Errorf("after a whole export the file is %q", b)
	}
}
