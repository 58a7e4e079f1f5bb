package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

// Low-balance alerts and auto top-up are decided by balanceMoved, which
// every change of a customer's balance calls inside its transaction, with
// the wallet's row already written (locked on PostgreSQL): post, the
// combined moves of transfer_pg.go and the CDR charges of a batch. It
// costs nothing but a cached read unless the change crosses a threshold.

// alertConfig is what balanceMoved needs of an account: its low-balance
// threshold and, when auto top-up is on, that threshold.
type alertConfig struct {
	partnerID, currency string
	low                 int64
	topup               int64 // the auto top-up threshold; -1 when off
	read                time.Time
}

// alertConfigTTL bounds how stale a cached alertConfig may be: a
// partner's new --low-balance applies within it. A change made through
// the API (auto top-up settings, an account's threshold) is answered only
// once it has passed (alertConfigChanged), so it applies on every
// instance to whatever its caller does next.
const alertConfigTTL = time.Second

// alertConfigChanged follows a committed change of an account's alert or
// auto top-up settings: this instance forgets the account's alertConfig
// at once, and the change's caller waits until no other instance can
// still hold it as it was before (each cached one is at most
// alertConfigTTL old), or until ctx ends. Without the wait a withdrawal
// sent to another instance right after the answer could cross the new
// threshold unseen, a crossing lost for good.
func (db *DB) alertConfigChanged(ctx context.Context, authID string) {
	db.alertCfg.forget(authID)
	t := time.NewTimer(alertConfigTTL)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// alertConfigs caches alertConfig per account.
type alertConfigs struct {
	mu sync.Mutex
	m  map[string]alertConfig
}

func (c *alertConfigs) get(authID string, now time.Time) (alertConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, ok := c.m[authID]
	if !ok || now.Sub(cfg.read) > alertConfigTTL || now.Before(cfg.read) {
		return alertConfig{}, false
	}
	return cfg, true
}

func (c *alertConfigs) put(authID string, cfg alertConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = make(map[string]alertConfig)
	}
	c.m[authID] = cfg
}

func (c *alertConfigs) forget(authID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, authID)
}

// majorUnit is 1.00 of currency in minor units.
func majorUnit(currency string) int64 {
	return int64(math.Pow10(partnerd.CurrencyExponent(currency)))
}

// ForgetAlertConfig drops what balance alerts cached of an account: its
// threshold, or its partner's, changed (this instance applies it at once,
// others within alertConfigTTL).
func (db *DB) ForgetAlertConfig(authID string) { db.alertCfg.forget(authID) }

// alertConfigOf reads an account's alertConfig, from the cache when fresh.
func (db *DB) alertConfigOf(tx *txn, authID string) (alertConfig, error) {
	now := time.Now()
	if cfg, ok := db.alertCfg.get(authID, now); ok {
		return cfg, nil
	}
	var partnerID, currency string
	var low, topup sql.NullInt64
	err := tx.queryRow(`SELECT a.partner_id, p.currency, `+alertConfigColumns+`
		FROM accounts a JOIN partners p ON p.id = a.partner_id
		LEFT JOIN autotopup_settings s ON s.auth_id = a.auth_id AND s.enabled = 1
		WHERE a.auth_id = ?`, authID).Scan(&partnerID, &currency, &low, &topup)
	if err != nil {
		return alertConfig{}, err
	}
	return db.cacheAlertConfig(authID, partnerID, currency, low, topup, now), nil
}

// alertConfigColumns are the low-balance and auto top-up thresholds, over
// accounts a, partners p and a LEFT JOIN of autotopup_settings s ON
// s.auth_id = a.auth_id AND s.enabled = 1: a statement that reads an
// account for a balance change can read its alertConfig with it (see
// cacheAlertConfig).
const alertConfigColumns = `COALESCE(a.low_balance_threshold, p.low_balance), s.threshold`

// cacheAlertConfig caches and returns the alertConfig of the account read
// at now: its partner, its partner's currency and alertConfigColumns.
func (db *DB) cacheAlertConfig(authID, partnerID, currency string, low, topup sql.NullInt64, now time.Time) alertConfig {
	cfg := alertConfig{partnerID: partnerID, currency: currency, read: now, low: 100 * majorUnit(currency), topup: -1}
	if low.Valid {
		cfg.low = low.Int64
	}
	if topup.Valid {
		cfg.topup = topup.Int64
	}
	db.alertCfg.put(authID, cfg)
	return cfg
}

// rearmLevel is the balance above which balance.low and balance.depleted
// fire again: the threshold plus 10 %, at least 1.00.
func rearmLevel(threshold int64, currency string) int64 {
	return threshold + max(threshold/10, majorUnit(currency))
}

// balanceAlert is the data of balance.low and balance.depleted.
type balanceAlert struct {
	AuthID    string          `json:"auth_id"`
	Balance   partnerd.Money  `json:"balance"`
	Threshold *partnerd.Money `json:"threshold,omitempty"`
	Currency  string          `json:"currency"`
}

// balanceMoved decides, in the transaction that moved a customer's
// balance from before to after, the balance alerts and auto top-up
// crossings that move makes: balance.low once when it falls from at or
// above the threshold to below it, balance.depleted once when it reaches
// zero (both re-armed only when the balance rises above the re-arm
// level), and a pending auto top-up crossing when it falls below the
// auto top-up threshold.
func (db *DB) balanceMoved(tx *txn, authID string, before, after int64) error {
	if before == after || tx.closing == authID {
		return nil
	}
	cfg, err := db.alertConfigOf(tx, authID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a customer's wallet
	}
	if err != nil {
		return err
	}
	money := func(v int64) partnerd.Money { return partnerd.Money{Minor: v, Currency: cfg.currency} }
	if after > before {
		if r := rearmLevel(cfg.low, cfg.currency); before <= r && after > r {
			_, err := tx.exec(`UPDATE balance_alerts SET low_fired = 0, depleted_fired = 0
				WHERE auth_id = ? AND (low_fired = 1 OR depleted_fired = 1)`, authID)
			return err
		}
		return nil
	}
	if before >= cfg.low && after < cfg.low {
		fired, err := fire(tx, authID, "low_fired")
		if err != nil {
			return err
		}
		if fired {
			t := money(cfg.low)
			if err := db.emit(tx, cfg.partnerID, authID, partnerd.EventBalanceLow, balanceAlert{AuthID: authID,
				Balance: money(after), Threshold: &t, Currency: cfg.currency}); err != nil {
				return err
			}
		}
	}
	if before > 0 && after <= 0 {
		fired, err := fire(tx, authID, "depleted_fired")
		if err != nil {
			return err
		}
		if fired {
			if err := db.emit(tx, cfg.partnerID, authID, partnerd.EventBalanceDepleted, balanceAlert{AuthID: authID,
				Balance: money(after), Currency: cfg.currency}); err != nil {
				return err
			}
		}
	}
	if cfg.topup >= 0 && before >= cfg.topup && after < cfg.topup {
		return db.crossTopup(tx, authID, cfg.partnerID)
	}
	return nil
}

// crossTopup records a pending auto top-up crossing of the account and
// wakes the top-ups' sweeper. At most one crossing per account is pending
// (a unique index): a crossing while one waits for its top-up is the same
// shortfall.
func (db *DB) crossTopup(tx *txn, authID, partnerID string) error {
	_, err := tx.exec(`INSERT INTO autotopup_crossings (id, auth_id, partner_id, state, created_at)
		VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
		"atc_"+partnerd.NewTransactionID(db.Now())[4:], authID, partnerID, db.now().Unix())
	if err != nil {
		return err
	}
	db.topupWake.wake()
	return nil
}

// fire marks an alert (column low_fired or depleted_fired) as fired and
// reports whether it was armed.
func fire(tx *txn, authID, column string) (bool, error) {
	res, err := tx.exec(`INSERT INTO balance_alerts (auth_id, `+column+`) VALUES (?, 1)
		ON CONFLICT (auth_id) DO UPDATE SET `+column+` = 1 WHERE balance_alerts.`+column+` = 0`, authID)
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// alertsLast moves a request's balance alerts after its other events,
// keeping each group's order. An alert is raised inside the ledger's
// posting, before the request announces the change that made it (the
// transfer, the number's charge): it is news of that change, so its
// sequence comes after the change's, and a receiver that drops stale news
// by sequence (API.md §8) keeps it.
func alertsLast(events []pendingEvent) {
	slices.SortStableFunc(events, func(a, b pendingEvent) int {
		return cmp.Compare(isAlert(a.typ), isAlert(b.typ))
	})
}

func isAlert(typ string) int {
	if typ == partnerd.EventBalanceLow || typ == partnerd.EventBalanceDepleted {
		return 1
	}
	return 0
}
