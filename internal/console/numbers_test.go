package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
)

// TestCustomerPageReachesEveryNumber: with more free numbers than the
// assign list shows, any of them can be typed in and assigned, and the
// page says how many the lists leave out.
func TestCustomerPageReachesEveryNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Pooled")
	a := e.mustCustomer(t, p.ID, "Collector")
	path := "/console/customers/" + a.AuthID
	const n = 102
	for i := range n {
		if _, err := e.db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: fmt.Sprintf("+912271264%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	page := b.wantStatus(b.get(path), http.StatusOK)
	wantIn(t, page, fmt.Sprintf("of %d free numbers", n))
	var unlisted string
	for i := range n {
		if num := fmt.Sprintf("+912271264%03d", i); !strings.Contains(page.body, `value="`+num+`"`) {
			unlisted = num
		}
	}
	if unlisted == "" {
		t.Fatalf("every one of %d numbers is in the list", n)
	}
	b.wantStatus(b.submit(path, path+"/numbers", url.Values{"number_text": {unlisted}}), http.StatusSeeOther)
	held, _, _ := e.db.ListAccountNumbers(ctx, p.ID, a.AuthID, partnerd.NumberFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if len(held) != 1 || held[0].Number != unlisted {
		t.Fatalf("after typing %s the customer holds %v", unlisted, held)
	}
	for i := range n {
		if num := fmt.Sprintf("+912271264%03d", i); num != unlisted {
			if _, err := e.db.AssignNumber(ctx, p.ID, a.AuthID, num); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantIn(t, b.get(path), fmt.Sprintf("The first 100 of %d numbers.", n))
}
