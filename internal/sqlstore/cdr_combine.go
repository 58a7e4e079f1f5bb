package sqlstore

import (
	"context"
	"database/sql"

	"github.com/partnerd/partnerd"
)

// Combined CDR batches (see batchOp): the PostCDRs requests of one writer
// transaction are charged as one batch, so that their reads, their
// charges and records, and their usage are a few statements for all of
// them instead of for each (on PostgreSQL, round trips made while the
// transaction holds its wallets' locks). A record repeated in two
// requests is a duplicate in the second, as it would be were they charged
// one after the other. Should the combined batch fail, the writer runs
// the requests again one by one, and the one at fault fails alone.

func (o *cdrOp) combiner() combiner { return cdrCombiner{} }

// lockKeys names no wallet: the combined read locks the accounts of every
// request (those of their authorizations too), in one sorted statement.
// lockKeys are the customers the records name (cdrBatch.read locks them
// again, with those it finds through the calls' authorizations).
func (o *cdrOp) lockKeys() []string {
	var ids []string
	seen := make(map[string]bool)
	for i := range o.ins {
		if id := o.ins[i].AccountAuthID; id != nil && o.rejected[i] == nil && !seen[*id] {
			seen[*id] = true
			ids = append(ids, *id)
		}
	}
	return ids
}

func (o *cdrOp) combined() bool { return o.out != nil }

func (o *cdrOp) setCombined(ok bool) {
	if !ok {
		o.out = nil
	}
}

type cdrCombiner struct{}

func (cdrCombiner) combine(ctx context.Context, q queryer, ops []batchOp) error {
	tx, ok := q.(*txn)
	if !ok {
		return nil // not in a write transaction: every op runs on its own
	}
	all := &cdrOp{}
	for _, b := range ops {
		o := b.(*cdrOp)
		all.db = o.db
		all.ins = append(all.ins, o.ins...)
		all.rejected = append(all.rejected, o.rejected...)
		// The batch's records and charges bear the time of the latest
		// request, the one nearest the commit.
		if o.now.After(all.now) {
			all.now = o.now
		}
	}
	out, err := all.charges(tx)
	if err != nil {
		return err
	}
	for _, b := range ops {
		o := b.(*cdrOp)
		o.out, out = out[:len(o.ins):len(o.ins)], out[len(o.ins):]
	}
	return nil
}

// readLockKeys names the accounts of the inbound records that name none:
// their calls' authorizations' and their numbers' holders (cdrBatch.read
// and charge find them so), so that the writer locks them first with the
// batch's other wallets (see lockFirst).
func (o *cdrOp) readLockKeys(tx *txn) ([]string, error) {
	var calls, numbers []string
	for i := range o.ins {
		in := &o.ins[i]
		if o.rejected[i] != nil || in.Direction != partnerd.DirectionInbound || in.AccountAuthID != nil {
			continue
		}
		calls = append(calls, in.CallUUID)
		if n, ok := e164Of(in.ToNumber); ok {
			numbers = append(numbers, n)
		}
	}
	if len(calls) == 0 {
		return nil, nil
	}
	var ids []string
	scan := func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}
	cond, arg := inList(tx.dialect, "call_uuid", calls)
	if err := tx.scanRows(scan, `SELECT account_auth_id FROM authorizations WHERE account_auth_id IS NOT NULL AND `+cond, arg); err != nil {
		return nil, err
	}
	if len(numbers) > 0 {
		cond, arg = inList(tx.dialect, "number", numbers)
		if err := tx.scanRows(scan, `SELECT account_auth_id FROM numbers WHERE account_auth_id IS NOT NULL AND `+cond, arg); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
