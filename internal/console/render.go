package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// pages are the parsed templates, one set per page.
type pages struct {
	sets map[string]*template.Template
}

var funcs = template.FuncMap{
	"money":      formatMoney,
	"field":      field,
	"topup":      topupValue,
	"has":        slices.Contains[[]string],
	"callStatus": func(c *partnerd.CDR) string { return partnerd.CallStatus(c.Billsec, c.HangupCause) },
	"add1":       func(n int) int { return n + 1 },
	"sub1":       func(n int) int { return n - 1 },
	"num":        formatInt,
	"deref":      func(s *string) string { return deref(s) },
	"ms":         func(d time.Duration) string { return formatInt(int(d.Milliseconds())) + " ms" },
	"threshold":  ownThreshold,
}

func mustParsePages() *pages {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		p.sets[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return p
}

// view is what every page template gets: the page's own data in Data.
type view struct {
	Page    string
	Title   string
	Partner *partnerd.Partner
	Flash   string
	Data    any
	loc     *time.Location
}

// T formats an instant for people, in the partner's time zone.
func (v *view) T(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(v.loc).Format("2 Jan 2006 15:04 MST")
}

// TP formats an optional instant.
func (v *view) TP(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return v.T(*t)
}

// Day formats a day.
func (v *view) Day(t time.Time) string { return t.In(v.loc).Format("2 Jan 2006") }

// titles are the pages' titles (each page's h1 says more).
var titles = map[string]string{
	"login": "Sign in", "setup": "Set your password", "error": "Error", "overview": "Overview",
	"customers": "Customers", "customer": "Customer", "numbers": "Numbers", "calls": "Calls",
	"transactions": "Transactions", "webhooks": "Webhooks", "webhook": "Webhook endpoint", "settings": "Settings",
	"audit": "Audit log",
	"token": "New API token",
}

// flashes are the messages a redirect after a change may show (?done=…):
// fixed texts, so nothing a link carries is echoed into a page.
var flashes = map[string]string{
	"created": "The customer was created.", "updated": "The profile was saved.",
	"transferred": "The money was transferred.", "withdrawn": "The money was withdrawn.",
	"suspended": "The customer is suspended.", "activated": "The customer is active.",
	"closed": "The customer is closed; its balance went back to your wallet.", "rotated": "The customer has a new token; the old one no longer works.",
	"assigned": "The number was assigned.", "released": "The number went back to your pool.",
	"sip_created": "The SIP endpoint was created.", "sip_deleted": "The SIP endpoint was deleted.", "sip_password": "The SIP password was changed.",
	"topup_saved": "Auto top-up was saved.", "topup_off": "Auto top-up is off.",
	"replayed":        "This form was already submitted: nothing was done again.",
	"webhook_created": "The endpoint was created.", "webhook_saved": "The endpoint was saved.",
	"webhook_rotated": "The endpoint has a new secret.", "webhook_tested": "A ping event was sent.",
	"webhook_deleted": "The endpoint was deleted.", "retried": "The delivery will be tried again.",
	"password": "Your console password was changed.", "timezone": "Your time zone was saved.",
}

// render writes page name with status. ss is nil on pages shown without
// a session.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, ss *session, data any) error {
	v := &view{Page: name, Title: titles[name], Data: data, loc: time.UTC}
	if ss != nil {
		v.Partner, v.loc = ss.partner, ss.partner.Location()
	}
	if r.Method == http.MethodGet {
		v.Flash = flashes[r.URL.Query().Get("done")]
	}
	var buf bytes.Buffer
	if err := s.pages.sets[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// errorPage is the error page's data.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	heading := http.StatusText(status)
	if status == http.StatusNotFound {
		heading = "Not found"
	}
	s.render(w, r, status, "error", nil, errorPage{Status: status, Heading: heading, Message: msg})
}

// redirect answers a change with a 303 to where its outcome shows.
func redirect(w http.ResponseWriter, r *http.Request, to, done string, replayed bool) error {
	if replayed {
		done = "replayed"
	}
	if done != "" {
		if strings.Contains(to, "?") {
			to += "&done=" + done
		} else {
			to += "?done=" + done
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// formatMoney writes an amount for people: 2,450.00 INR.
func formatMoney(minor int64, currency string) string {
	s := partnerd.FormatMinor(minor, currency)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	out := groupDigits(whole)
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out + " " + currency
}

// formatInt writes an integer with thousands separators.
func formatInt(n int) string {
	if n < 0 {
		return "-" + groupDigits(strconv.Itoa(-n))
	}
	return groupDigits(strconv.Itoa(n))
}

func groupDigits(d string) string {
	if len(d) <= 3 {
		return d
	}
	var b strings.Builder
	head := len(d) % 3
	if head > 0 {
		b.WriteString(d[:head])
	}
	for i := head; i < len(d); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d[i : i+3])
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// topupValue is a setting of an enabled auto top-up as its form field
// shows it, empty when it is off.
func topupValue(t *partnerd.AutoTopup, name string) string {
	if t == nil || !t.Enabled {
		return ""
	}
	switch name {
	case "threshold":
		return partnerd.FormatMinor(t.Threshold, t.Currency)
	case "target_balance":
		return partnerd.FormatMinor(t.TargetBalance, t.Currency)
	case "max_per_day":
		return partnerd.FormatMinor(t.MaxPerDay, t.Currency)
	case "max_per_month":
		return partnerd.FormatMinor(t.MaxPerMonth, t.Currency)
	case "max_count_per_day":
		return strconv.Itoa(t.MaxCountPerDay)
	}
	return ""
}
