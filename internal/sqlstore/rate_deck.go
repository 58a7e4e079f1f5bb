package sqlstore

import (
	"database/sql"
	"slices"
	"sync"

	"github.com/partnerd/partnerd"
)

// Rate decks in memory, for rating call records: a batch of CDRs is
// matched in Go, a few map lookups per record, instead of by a query per
// number (or one query for the batch before the write, which on
// PostgreSQL was as much server time as the charges' own statements).
//
// A deck is valid at a version: partners.rate_deck_version, which
// ReplaceRateDeck raises in the transaction that replaces the deck
// (migration 00022). The write that rates a record reads the version of
// its partner in its own transaction, with the account, and uses a cached
// deck only at that version; otherwise it reads the deck again. So a deck
// replaced by any instance, or by `partnerd rate import` in another
// process, is used from the first write that can see it, as a query would.

// rateDeckBudget bounds how many rates the cache holds over all partners
// (about 100 bytes each); a deck larger than that is matched by queries.
const rateDeckBudget = 2_000_000

// rateDecks caches partners' decks; the zero value is ready.
type rateDecks struct {
	mu    sync.Mutex
	decks map[string]*rateDeck // partner → deck
	size  int                  // rates held
}

// rateDeck is one version of a partner's deck. It is never changed once
// made, so a write may keep using it without the lock.
type rateDeck struct {
	version int64
	rates   map[rateDeckKey]*partnerd.Rate
}

type rateDeckKey struct{ direction, prefix string }

// rateDeck returns partnerID's deck at version, reading it in tx unless
// the cache holds that version. It returns nil (match by query) for a
// deck too large to cache.
func (db *DB) rateDeck(tx *txn, partnerID string, version int64) (*rateDeck, error) {
	c := &db.decks
	c.mu.Lock()
	d := c.decks[partnerID]
	c.mu.Unlock()
	if d != nil && d.version == version {
		return d, nil
	}
	d, err := readRateDeck(tx, partnerID)
	if err != nil || d == nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.decks[partnerID]; old != nil {
		c.size -= len(old.rates)
		delete(c.decks, partnerID)
	}
	// Room for it: other partners' decks go, in no particular order (a
	// deck dropped is read again by its partner's next write).
	for id, other := range c.decks {
		if c.size+len(d.rates) <= rateDeckBudget {
			break
		}
		c.size -= len(other.rates)
		delete(c.decks, id)
	}
	if c.decks == nil {
		c.decks = make(map[string]*rateDeck)
	}
	c.decks[partnerID] = d
	c.size += len(d.rates)
	// The deck read may be newer than version (PostgreSQL: a replacement
	// committed between the two statements): it is the one to use.
	return d, nil
}

// readRateDeck reads partnerID's deck and its version in one statement
// (one snapshot on PostgreSQL, whose statements each see the latest
// commit), or returns nil when it has more rates than rateDeckBudget.
func readRateDeck(tx *txn, partnerID string) (*rateDeck, error) {
	d := &rateDeck{rates: make(map[rateDeckKey]*partnerd.Rate)}
	tooLarge := false
	err := tx.scanRows(func(rows *sql.Rows) error {
		var direction, prefix sql.NullString
		var perMinute, initial, subsequent sql.NullInt64
		if err := rows.Scan(&d.version, &direction, &prefix, &perMinute, &initial, &subsequent); err != nil {
			return err
		}
		if !direction.Valid || tooLarge {
			return nil // a partner without rates, or a deck not kept
		}
		if len(d.rates) == rateDeckBudget {
			tooLarge, d.rates = true, nil
			return nil
		}
		d.rates[rateDeckKey{direction.String, prefix.String}] = &partnerd.Rate{Direction: direction.String,
			Prefix: prefix.String, PerMinute: perMinute.Int64, InitialIncrement: int(initial.Int64),
			SubsequentIncrement: int(subsequent.Int64)}
		return nil
	}, `SELECT p.rate_deck_version, r.direction, r.prefix, r.rate_per_minute, r.initial_increment, r.subsequent_increment
		FROM partners p LEFT JOIN rates r ON r.partner_id = p.id WHERE p.id = ?`, partnerID)
	if err != nil || tooLarge {
		return nil, err
	}
	return d, nil
}

// match returns the deck's rate for a call of direction to or from
// number, as matchRate finds it: the longest prefix of its digits.
func (d *rateDeck) match(direction, number string) (*partnerd.Rate, *partnerd.Error) {
	digits, ok := partnerd.DialledDigits(number)
	if !ok || !slices.Contains(partnerd.Directions, direction) {
		return nil, partnerd.ErrNoRate(direction, number)
	}
	for n := min(len(digits), partnerd.MaxPrefixLen); n > 0; n-- {
		if r, ok := d.rates[rateDeckKey{direction, digits[:n]}]; ok {
			return r, nil
		}
	}
	return nil, partnerd.ErrNoRate(direction, number)
}
