package sqlstore_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/partnerd/partnerd/internal/benchtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := benchtest.DropPostgres(); err != nil {
		fmt.Fprintf(os.Stderr, "drop the benchmarks' PostgreSQL databases: %v\n", err)
	}
	os.Exit(code)
}
