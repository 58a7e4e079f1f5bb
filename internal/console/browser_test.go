package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/partnerd/partnerd"
)

// chromiumPath is Debian's Chromium (.ci/run installs it).
const chromiumPath = "/usr/bin/chromium"

// requireChromium skips the test without Chromium, or fails it under
// CI=true, where the browser tests may not skip.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing and CI=true: the browser tests may not skip (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s is missing", chromiumPath)
	}
}

// tab is a headless Chromium tab of its own browser (its own profile),
// which records every console error, uncaught exception and CSP
// violation of every page it shows.
type tab struct {
	t         *testing.T
	ctx       context.Context
	base      string
	artifacts string
	shot      int
	mu        sync.Mutex
	problems  []string
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	requireChromium(t)
	tb := &tab{t: t, base: base}
	if dir := os.Getenv("PARTNERD_ARTIFACTS"); dir != "" {
		tb.artifacts = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(tb.artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		tb.artifacts = t.TempDir()
	}
	t.Logf("screenshots of the console: %s", tb.artifacts)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-pings", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// The browser's days are the partner's (UTC): no "today" flips at
	// midnight between them.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	// confirm() dialogs (closing, rotating) are accepted as a person would.
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return tb
}

// listen records problems; it runs in the tab's loop, so it only notes.
func (tb *tab) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			p = fmt.Sprintf("console.%s: %v", ev.Type, ev.Args)
		}
	case *runtime.EventExceptionThrown:
		p = fmt.Sprintf("uncaught exception: %+v", ev.ExceptionDetails)
	case *cdplog.EventEntryAdded:
		if ev.Entry != nil && (ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Source == cdplog.EntrySourceSecurity) {
			p = fmt.Sprintf("log %s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
	}
	if p != "" {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// checkProblems fails the test for any console error or CSP violation
// seen so far.
func (tb *tab) checkProblems(where string) {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s: %s", where, p)
	}
	tb.problems = nil
}

// open navigates to path and checks the page it lands on is want.
func (tb *tab) open(path, want string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(tb.base+path)); err != nil {
		tb.t.Fatalf("navigate %s: %v", path, err)
	}
	tb.landed(path, want)
}

// submit clicks button (a CSS selector) and waits for the navigation the
// form's POST and redirect make, then checks the page is want.
func (tb *tab) submit(button, want string) {
	tb.t.Helper()
	if _, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		tb.t.Fatalf("submit %s: %v", button, err)
	}
	tb.landed(button, want)
}

func (tb *tab) fill(fields map[string]string) {
	tb.t.Helper()
	for sel, v := range fields {
		if err := chromedp.Do(tb.ctx, chromedp.SetValue(chromedp.CSS(sel), v)); err != nil {
			tb.t.Fatalf("fill %s: %v", sel, err)
		}
	}
}

// landed checks the shown page: its data-page, exactly one level-1
// heading and a name on every control (the accessibility tree), no
// console problem; and saves a full-page screenshot.
func (tb *tab) landed(after, want string) {
	tb.t.Helper()
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector("main").dataset.page`))
	if err != nil || got != want {
		loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
		tb.t.Fatalf("after %s: page %q at %s (%v), want %q", after, got, loc, err, want)
	}
	tree, err := chromedp.Call(tb.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		tb.t.Fatal(err)
	}
	h1 := 0
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := axString(n.Role)
		name := axString(n.Name)
		switch role {
		case "heading":
			for _, p := range n.Properties {
				if p.Name == accessibility.PropertyNameLevel && axString(p.Value) == "1" {
					h1++
				}
			}
		case "textbox", "searchbox", "combobox", "checkbox", "button", "link", "spinbutton", "radio", "ListBox":
			if strings.TrimSpace(name) == "" {
				tb.t.Errorf("page %s: a %s has no accessible name (no label)", want, role)
			}
		}
	}
	if h1 != 1 {
		tb.t.Errorf("page %s: %d level-1 headings in the accessibility tree, want 1", want, h1)
	}
	tb.checkProblems("page " + want)
	tb.screenshot(want)
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s any
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return fmt.Sprint(s)
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	tb.shot++
	file := filepath.Join(tb.artifacts, fmt.Sprintf("%02d-%s.png", tb.shot, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *tab) text() string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil {
		tb.t.Fatal(err)
	}
	return s
}

func (tb *tab) wantText(want ...string) {
	tb.t.Helper()
	s := tb.text()
	for _, w := range want {
		if !strings.Contains(s, w) {
			tb.t.Errorf("the page lacks %q:\n%s", w, s)
		}
	}
}

// TestConsoleInBrowser walks a partner's day in Chromium: sign in through
// the setup link, create a customer, fund it, assign a number, see the
// calls and charts, rotate its token, suspend and close it, sign out;
// every page without console errors or CSP violations, with a label on
// every control and one h1.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Browser Telecom", Email: "ops@browser.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.FundPartner(ctx, p.ID, 5_000_000, nil); err != nil { // 50,000.00
		t.Fatal(err)
	}
	if _, err := e.db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264217", MonthlyCost: 25_000}); err != nil {
		t.Fatal(err)
	}
	link, _, err := e.db.CreateConsoleSetupToken(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, e.urls[0])

	tb.open("/console/setup/"+link, "setup")
	tb.fill(map[string]string{"#password": partnerPassword, "#password_again": partnerPassword})
	tb.submit("form button[type=submit]", "login")
	tb.wantText("Your password is set.")
	tb.fill(map[string]string{"#email": "ops@browser.example", "#password": partnerPassword})
	tb.submit("form button[type=submit]", "overview")
	tb.wantText("50,000.00 INR")

	tb.open("/console/customers", "customers")
	tb.fill(map[string]string{"#create-name": "Credresolve", "#create-email": "admin@credresolve.example",
		"#create-password": "SecurePass@123", "#create-phone": "9431538535", "#create-country": "IN"})
	tb.submit("#create button[type=submit]", "customer")
	tb.wantText("Credresolve", "The customer was created.")
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	customer := strings.TrimPrefix(u.Path, "/console/customers/")

	tb.fill(map[string]string{"#transfer-amount": "2450", "#transfer-description": "April recharge"})
	tb.submit("#transfer button[type=submit]", "customer")
	tb.wantText("The money was transferred.", "2,450.00 INR", "April recharge")

	tb.submit("#assign button[type=submit]", "customer")
	tb.wantText("The number was assigned.", "+912271264217")

	mustCall(t, e, p.ID, customer, "browser-call-0001", 125)
	tb.open("/console/calls", "calls")
	tb.wantText("+14155550100", "answered", "Download every matching call as CSV")
	tb.open("/console/", "overview")
	charts, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart").length`))
	if err != nil || charts != 3 {
		t.Errorf("overview charts = %d (%v), want 3", charts, err)
	}
	bars, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("svg.chart rect.bar")].filter(r => +r.getAttribute("height") > 0).length`))
	if bars < 2 {
		t.Errorf("drawn bars = %d, want the call's spend and count", bars)
	}
	tb.open("/console/transactions", "transactions")
	tb.wantText("recharge", "debit")
	tb.open("/console/numbers", "numbers")
	tb.wantText("+912271264217", "Credresolve")
	ep, err := e.db.CreateWebhookEndpoint(ctx, p.ID, partnerd.WebhookEndpointInput{URL: "https://hooks.example/in", EventTypes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	tb.open("/console/webhooks", "webhooks")
	tb.open("/console/webhooks/"+ep.ID, "webhook")
	tb.open("/console/audit", "audit")
	tb.wantText("account.create", "balance.transfer", "console.sign_in")
	tb.open("/console/settings", "settings")
	if _, err := e.db.CreateSIPEndpoint(ctx, p.ID, customer, partnerd.DefaultSIPRealm,
		partnerd.SIPEndpointInput{Username: "desk.browser", Password: "Sip@Secret9"}); err != nil {
		t.Fatal(err)
	}

	path := "/console/customers/" + customer
	before, _ := e.db.Account(ctx, p.ID, customer)
	tb.open(path, "customer")
	tb.submit("#credentials button[type=submit]", "customer")
	tb.wantText("The customer has a new token")
	if after, _ := e.db.Account(ctx, p.ID, customer); after.AuthToken == before.AuthToken {
		t.Errorf("the token did not change")
	}
	tb.fill(map[string]string{"#suspend-reason": "Unpaid invoice"})
	tb.submit("#status form[action$=suspend] button[type=submit]", "customer")
	tb.wantText("The customer is suspended.", "Unpaid invoice")
	tb.fill(map[string]string{"#close-confirm": customer})
	tb.submit("#status form[action$=close] button[type=submit]", "customer")
	tb.wantText("The customer is closed")
	if a, _ := e.db.Account(ctx, p.ID, customer); a.Status != partnerd.StatusClosed {
		t.Errorf("status after close = %s", a.Status)
	}

	// Layout: no horizontal scroll at a phone's width nor a desktop's.
	for _, width := range []int64{390, 1440} {
		if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		for _, pg := range []struct{ path, name string }{{"/console/", "overview"}, {"/console/customers", "customers"},
			{path, "customer"}, {"/console/calls", "calls"}, {"/console/transactions", "transactions"},
			{"/console/numbers", "numbers"}, {"/console/webhooks", "webhooks"}, {"/console/audit", "audit"}, {"/console/settings", "settings"}} {
			tb.open(pg.path, pg.name)
			over, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
			if err != nil || over > 0 {
				t.Errorf("%s at %d px scrolls sideways by %d px (%v)", pg.path, width, over, err)
			}
		}
	}

	tb.submit("header form.signout button", "login")
	tb.wantText("You are signed out.")
	tb.open("/console/customers", "login")
}
