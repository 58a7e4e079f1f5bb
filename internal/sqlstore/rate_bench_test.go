package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// BenchmarkMatchRate times the switch's rate lookup (one per authorize)
// over a deck of 50,000 prefixes of 1 to 7 digits, from 8 goroutines:
//
//	go test -run '^$' -bench MatchRate ./internal/sqlstore/
func BenchmarkMatchRate(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchMatchRate(b, mustOpen(b, filepath.Join(b.TempDir(), "p.db"), testKey(b)))
	})
	b.Run("postgres", func(b *testing.B) {
		pgtest.Require(b)
		benchMatchRate(b, mustOpenPostgres(b))
	})
}

func benchMatchRate(b *testing.B, db *sqlstore.DB) {
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench", Email: "ops@bench.example"})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	seen := map[string]bool{}
	var deck []partnerd.Rate
	for len(deck) < 50_000 {
		prefix := fmt.Sprint(1_000_000 + rng.IntN(9_000_000))[:1+rng.IntN(7)]
		r := partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: prefix, PerMinute: 4500, InitialIncrement: 60, SubsequentIncrement: 60}
		if !seen[r.RateKey()] {
			seen[r.RateKey()] = true
			deck = append(deck, r)
		}
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, deck); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 7))
		for pb.Next() {
			number := fmt.Sprintf("+%d", 10_000_000_000+rng.Int64N(89_999_999_999))
			if _, err := db.MatchRate(ctx, p.ID, partnerd.DirectionOutbound, number); err != nil && partnerd.ErrorCode(err) != partnerd.ECNoRate {
				b.Fatal(err)
			}
		}
	})
}
