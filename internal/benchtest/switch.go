package benchtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// SwitchFunds is what NewSwitch transfers to each customer: enough for
// millions of four-hour reservations at SwitchDeck's prices.
const SwitchFunds = int64(100_000_000_000)

// SwitchDeck is the rate deck of NewSwitch's partner: outbound and
// inbound rates for the prefixes 91 and 9180 to 9189, so that the numbers
// SwitchNumber returns match a prefix of four digits.
func SwitchDeck() []partnerd.Rate {
	deck := []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "91", PerMinute: 4500, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: partnerd.DirectionInbound, Prefix: "91", PerMinute: 1000, InitialIncrement: 1, SubsequentIncrement: 1},
	}
	for d := range 10 {
		p := "918" + strconv.Itoa(d)
		deck = append(deck,
			partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: p, PerMinute: 3000 + int64(d)*100, InitialIncrement: 30, SubsequentIncrement: 6},
			partnerd.Rate{Direction: partnerd.DirectionInbound, Prefix: p, PerMinute: 500, InitialIncrement: 1, SubsequentIncrement: 1})
	}
	return deck
}

// SwitchNumber is the i-th called number: +9180… to +9189….
func SwitchNumber(i int) string {
	return fmt.Sprintf("+918%d%08d", i%10, i%100_000_000)
}

// Switch is a funded partner with many funded customers and a rate deck,
// for the switch API benchmarks (authorize, CDR ingest).
type Switch struct {
	DB        *sqlstore.DB
	PartnerID string
	Customers []string
	// RandomCallIDs makes CDRs' call_uuids random UUIDs, as switches make
	// Call-IDs, instead of names that sort in the order they are made.
	RandomCallIDs bool
}

// NewSwitch creates, on db, a partner with SwitchDeck and n customers
// holding SwitchFunds each. The customers are inserted directly through
// raw (a connection to the same database; postgres says which placeholder
// style it takes), as buildSeeded does, to skip argon2; they are funded
// through db.Transfer, so the ledger adds up.
func NewSwitch(ctx context.Context, db *sqlstore.DB, raw *sql.DB, postgres bool, key []byte, n int) (*Switch, error) {
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Switch Bench", Email: "switch@bench.example", Currency: "INR"})
	if err != nil {
		return nil, fmt.Errorf("CreatePartner: %w", err)
	}
	if _, err := db.FundPartner(ctx, p.ID, SwitchFunds*int64(n+1), nil); err != nil {
		return nil, fmt.Errorf("FundPartner: %w", err)
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, SwitchDeck()); err != nil {
		return nil, fmt.Errorf("ReplaceRateDeck: %w", err)
	}
	pwHash, err := secret.HashPassword("SecurePass@123")
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	bind := func(q string) string {
		if !postgres {
			return q
		}
		var sb strings.Builder
		k := 0
		for _, c := range q {
			if c == '?' {
				k++
				sb.WriteString("$" + strconv.Itoa(k))
				continue
			}
			sb.WriteRune(c)
		}
		return sb.String()
	}
	s := &Switch{DB: db, PartnerID: p.ID, Customers: make([]string, n)}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seen := make(map[string]bool, n)
	now := time.Now().Unix()
	for i := range n {
		id := seedAccountID(rng, seen)
		tok := secret.NewToken()
		name := fmt.Sprintf("Switch Customer %04d", i)
		if _, err := tx.ExecContext(ctx, bind(`INSERT INTO accounts (auth_id, partner_id, name, name_lower, email,
				password_hash, phone, country, timezone, account_type, status, token_hash, token_enc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'IN', 'Asia/Kolkata', 'standard', 'active', ?, ?, ?, ?)`),
			id, p.ID, name, strings.ToLower(name), fmt.Sprintf("switch%04d@bench.example", i), pwHash,
			fmt.Sprintf("97%08d", i), secret.HashToken(tok), box.SealWith([]byte(tok), []byte(id)), now, now); err != nil {
			return nil, fmt.Errorf("account %d: %w", i, err)
		}
		if _, err := tx.ExecContext(ctx, bind(`INSERT INTO wallets (id, kind, currency, balance, updated_at)
			VALUES (?, 'customer', ?, 0, ?)`), id, p.Currency, now); err != nil {
			return nil, fmt.Errorf("wallet %d: %w", i, err)
		}
		s.Customers[i] = id
	}
	if _, err := tx.ExecContext(ctx, bind(`UPDATE partners SET account_count = account_count + ? WHERE id = ?`), n, p.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	sem := make(chan struct{}, 64)
	for i, c := range s.Customers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c, Amount: SwitchFunds})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("funding customers: %w", err)
	}
	return s, nil
}

// CDRs returns batch b of size CDRs: outbound calls with distinct
// call_uuids (prefix names the run, unless RandomCallIDs), spread over the
// customers, with billsec from 1 to 600 seconds.
func (s *Switch) CDRs(prefix string, b, size int) []partnerd.CDRInput {
	out := make([]partnerd.CDRInput, size)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	for k := range out {
		i := b*size + k
		billsec := 1 + i*37%600
		answer := start.Add(5 * time.Second)
		acct := s.Customers[i%len(s.Customers)]
		out[k] = partnerd.CDRInput{
			CallUUID: s.CallID(prefix, i), Direction: partnerd.DirectionOutbound, AccountAuthID: &acct,
			FromNumber: "+919700000001", ToNumber: SwitchNumber(i),
			StartTime: start, AnswerTime: &answer, EndTime: answer.Add(time.Duration(billsec) * time.Second),
			DurationSeconds: billsec + 5, Billsec: billsec,
		}
	}
	return out
}

// CallID is the call_uuid of call i of the run prefix.
func (s *Switch) CallID(prefix string, i int) string {
	if !s.RandomCallIDs {
		return prefix + "-" + strconv.Itoa(i)
	}
	x := fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
