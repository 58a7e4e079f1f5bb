package benchtest

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/sqlstore"
)

// Measure runs op b.N times, timing each call, and reports the p50 and
// p99 of those durations in milliseconds.
func Measure(b *testing.B, op func(i int)) {
	b.Helper()
	ds := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		start := time.Now()
		op(i)
		ds = append(ds, time.Since(start))
		i++
	}
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Nanoseconds()) / 1e6
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// RunConcurrent runs b.N operations over the given number of concurrent
// workers and reports transfers/s over the wall time of the whole run,
// the CPU the process used per operation, and how many cores other
// processes kept busy meanwhile.
func RunConcurrent(b *testing.B, workers int, op func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Bool
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0, busy0 := processCPU(), machineBusy()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(int(i)); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu, busy := processCPU()-cpu0, machineBusy()-busy0
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "transfers/s")
	// CPU of the whole test process (server, clients, writer) per
	// operation: moved much less by other processes than transfers/s.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	// Cores other processes kept busy meanwhile: the run's noise.
	if busy > 0 {
		b.ReportMetric(max(0, (busy-cpu).Seconds()/elapsed.Seconds()), "other-cores")
	}
}

// processCPU is the user+system CPU time the test process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy is the CPU time all processes of the machine used so far
// (Linux /proc/stat), or 0 if unknown.
func machineBusy() time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest (already in user)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	const userHZ = 100 // USER_HZ, fixed at 100 on Linux
	return time.Duration(ticks) * (time.Second / userHZ)
}

// ReportBatches runs run and reports, from the writers of dbs together
// (one per instance), their mean batch (requests/commit) and commits/op.
// When each of the b.N operations moved money once, it also reports
// transfers/commit: how many transfers one durable commit carried.
func ReportBatches(b *testing.B, dbs []*sqlstore.DB, transfers bool, run func()) {
	b.Helper()
	sum := func() sqlstore.WriterStats {
		var s sqlstore.WriterStats
		for _, db := range dbs {
			w := db.WriterStats()
			s.Commits, s.Requests = s.Commits+w.Commits, s.Requests+w.Requests
		}
		return s
	}
	before := sum()
	run()
	d := sum().Sub(before)
	b.ReportMetric(float64(d.Commits)/float64(b.N), "commits/op")
	if d.Commits > 0 {
		b.ReportMetric(float64(d.Requests)/float64(d.Commits), "requests/commit")
		if transfers {
			b.ReportMetric(float64(b.N)/float64(d.Commits), "transfers/commit")
		}
	}
}

// RunConcurrentLatency is RunConcurrent that also times each operation
// and reports the p50 and p99 of those durations in milliseconds: the
// latency a caller saw under the run's load.
func RunConcurrentLatency(b *testing.B, workers int, op func(i int) error) {
	b.Helper()
	ds := make([]time.Duration, b.N)
	RunConcurrent(b, workers, func(i int) error {
		start := time.Now()
		err := op(i)
		ds[i] = time.Since(start)
		return err
	})
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Nanoseconds()) / 1e6
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
