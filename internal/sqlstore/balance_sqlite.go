package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/partnerd/partnerd"
)

// sqliteBalanceConns is how many read connections serve AccountBalance on
// SQLite, beside the read pool: enough for both cores and a few callers
// waiting on I/O.
const sqliteBalanceConns = 4

// sqliteBalanceQuery is AccountBalance's query on SQLite.
const sqliteBalanceQuery = `SELECT a.name, w.balance, w.currency, w.updated_at, w.reserved
	FROM accounts a JOIN wallets w ON w.id = a.auth_id
	WHERE a.auth_id = ? AND a.partner_id = ?`

// sqliteBalances runs AccountBalance's point read on SQLite through the
// driver itself, on connections of its own with the statement prepared
// once: database/sql's pool, statement bookkeeping and conversions cost
// as much as the read (a third of GET /balance's server time, profiled).
type sqliteBalances struct {
	conns chan *balanceConn
}

type balanceConn struct {
	conn *sql.Conn
	stmt driver.Stmt // prepared on first use, on conn; used only inside conn.Raw
}

func newSQLiteBalances(ctx context.Context, pool *sql.DB) (*sqliteBalances, error) {
	b := &sqliteBalances{conns: make(chan *balanceConn, sqliteBalanceConns)}
	for range sqliteBalanceConns {
		c, err := pool.Conn(ctx)
		if err != nil {
			b.close()
			return nil, err
		}
		b.conns <- &balanceConn{conn: c}
	}
	return b, nil
}

func (b *sqliteBalances) read(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	var c *balanceConn
	select {
	case c = <-b.conns:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { b.conns <- c }()
	a := &partnerd.Account{AuthID: authID, PartnerID: partnerID}
	var row [5]driver.Value
	err := c.conn.Raw(func(dc any) error {
		if c.stmt == nil {
			st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, sqliteBalanceQuery)
			if err != nil {
				return err
			}
			c.stmt = st
		}
		// A point read by unique key takes microseconds: not worth the
		// driver's goroutine that watches for cancellation.
		rows, err := c.stmt.(driver.StmtQueryContext).QueryContext(context.WithoutCancel(ctx), []driver.NamedValue{
			{Ordinal: 1, Value: authID}, {Ordinal: 2, Value: partnerID},
		})
		if err != nil {
			return err
		}
		err = rows.Next(row[:])
		return errors.Join(err, rows.Close())
	})
	if errors.Is(err, io.EOF) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, fmt.Errorf("account balance: %w", err)
	}
	name, ok1 := row[0].(string)
	balance, ok2 := row[1].(int64)
	currency, ok3 := row[2].(string)
	updated, ok4 := row[3].(int64)
	reserved, ok5 := row[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return nil, fmt.Errorf("account balance: unexpected column types %T %T %T %T %T", row[0], row[1], row[2], row[3], row[4])
	}
	a.Name, a.Balance, a.Currency, a.BalanceUpdatedAt = name, balance, currency, time.Unix(updated, 0).UTC()
	a.Reserved = reserved
	return a, nil
}

func (b *sqliteBalances) close() {
	for {
		select {
		case c := <-b.conns:
			if c.stmt != nil {
				c.conn.Raw(func(any) error { return c.stmt.Close() })
			}
			c.conn.Close()
		default:
			return
		}
	}
}
