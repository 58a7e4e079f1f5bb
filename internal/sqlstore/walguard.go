package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnerd/partnerd"
)

// The SQLite files' guard. Until a checkpoint copies them into the
// database file, committed transactions live only in the -wal file, and
// the -shm file is how every process agrees on it. Deleted or replaced
// while partnerd runs (a clean-up script, a restore of the database file
// alone), they keep working for this process, on inodes no one else can
// see, and everything committed since the last checkpoint is lost when
// the process ends: measured, 1,025.00 of acknowledged transfers gone
// after a kill -9, and a corrupt database when another process opened it
// meanwhile. So the writer checks, before each commit and once a second,
// that both files are still the ones it opened. When one is not, it
// refuses the commit, copies what the old WAL holds into the database
// file (a checkpoint, through the inodes it still has open), and refuses
// every later write: only a restart opens the files anew.

// filesGuard watches the -wal and -shm files of a SQLite store.
type filesGuard struct {
	db       *DB
	path     string
	wal, shm os.FileInfo
	// gone is set once either file is found missing or replaced.
	gone    atomic.Bool
	rescue  sync.Once
	stopped sync.Once
	stop    chan struct{}
	done    chan struct{}
}

// filesCheckEvery is how often the guard looks when no write does.
const filesCheckEvery = time.Second

// guardFiles starts the guard of a writable SQLite store at path.
func (db *DB) guardFiles(ctx context.Context, path string) error {
	// A transaction of the writer's makes sure both files exist.
	if err := db.update(ctx, func(*txn) error { return nil }); err != nil {
		return err
	}
	g := &filesGuard{db: db, path: path, stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	if g.wal, err = os.Stat(path + "-wal"); err != nil {
		return err
	}
	if g.shm, err = os.Stat(path + "-shm"); err != nil {
		return err
	}
	db.files = g
	db.writer.files.Store(g)
	go g.watch()
	return nil
}

// check returns an error once either file is no longer the one opened
// (the writer refuses its commit with it, then calls save).
func (g *filesGuard) check() error {
	if !g.gone.Load() {
		for _, f := range []struct {
			name string
			fi   os.FileInfo
		}{{"-wal", g.wal}, {"-shm", g.shm}} {
			if cur, err := os.Stat(g.path + f.name); err != nil || !os.SameFile(cur, f.fi) {
				g.gone.Store(true)
				break
			}
		}
	}
	if g.gone.Load() {
		return &partnerd.Error{Code: partnerd.ECUnavailable, RetryAfter: 30 * time.Second, Err: errFilesGone,
			Message: "The database's files were removed or replaced under the server, so it takes no more writes; nothing was changed. The operator must restart it."}
	}
	return nil
}

var errFilesGone = errors.New("the database's -wal or -shm file was removed or replaced while partnerd ran")

// save copies the old WAL into the database file, once, on the writer's
// connection outside any transaction, and tells the operator.
func (g *filesGuard) save(w *writer) {
	g.rescue.Do(func() {
		var busy, frames, done int
		err := w.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(FULL)").Scan(&busy, &frames, &done)
		if err == nil && busy != 0 {
			err = fmt.Errorf("checkpoint blocked by a reader (%d of %d frames copied)", done, frames)
		}
		if err != nil {
			g.db.log.Error("partnerd's -wal or -shm file was removed or replaced while it ran, and what the old WAL held could not all be saved: stop partnerd with SIGTERM (not kill -9) so SQLite copies it as it closes, then start it again",
				"db", g.path, "err", err)
			return
		}
		g.db.log.Error("partnerd's -wal or -shm file was removed or replaced while it ran: every write is refused (503) until partnerd is restarted; what the old WAL held is saved in the database file",
			"db", g.path, "frames_saved", done)
	})
}

// watch checks once a second: a WAL removed while no one writes holds
// transactions committed before, which a restart would lose.
func (g *filesGuard) watch() {
	defer close(g.done)
	t := time.NewTicker(filesCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		if g.check() != nil {
			// An empty write: the writer finds the files gone and saves.
			g.db.update(context.Background(), func(*txn) error { return nil })
			return
		}
	}
}

// close stops the guard: a store that closes removes the files itself.
// A store may be closed twice.
func (g *filesGuard) close() {
	if g == nil {
		return
	}
	g.stopped.Do(func() { close(g.stop) })
	<-g.done
}
