// Package benchtest holds what the benchmarks of several packages share,
// so that the store's benchmarks (internal/sqlstore) and the same
// workloads over HTTP (internal/httpapi) measure identical data the same
// way: a cached database of one partner with 100,000 accounts (Seeded), a
// funded partner with customers for the hot-row benchmarks (NewLedger),
// and the runners that time them (Measure, RunConcurrent).
//
// Nothing here runs in go test ./... : only benchmarks call it.
package benchtest
