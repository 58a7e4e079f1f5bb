package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

// cookieName is the session cookie. __Host- makes the browser keep it
// only when it is Secure, has no Domain and has Path=/ (loopback counts
// as secure, so tests need no TLS; elsewhere put TLS in front).
const cookieName = "__Host-partnerd_console"

// session is a signed-in request's partner and session.
type session struct {
	partner *partnerd.Partner
	idHash  []byte
}

type sessionFunc func(w http.ResponseWriter, r *http.Request, ss *session) error

func hashSessionID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// session serves h to signed-in partners only: anyone else is sent to
// the sign-in page (303), and an inactive partner is signed out.
func (s *Server) session(h sessionFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(cookieName)
		if err != nil || c.Value == "" || len(c.Value) > 64 {
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return nil
		}
		idHash := hashSessionID(c.Value)
		p, err := s.c.Console.ConsoleSession(r.Context(), idHash)
		if partnerd.ErrorCode(err) == partnerd.ECNotFound || (err == nil && p.Status != partnerd.StatusActive) {
			clearCookie(w)
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return err
		}
		// The server extends the session with each use (ConsoleSession),
		// so the browser's copy is extended too: the idle timeout, not
		// the time since signing in, ends it.
		setCookie(w, c.Value)
		ss := &session{partner: p, idHash: idHash}
		if r.Method == http.MethodPost {
			// Every change the console makes names the console session's
			// partner and this request in the audit log.
			if err := r.ParseForm(); err != nil {
				return partnerd.Errorf(partnerd.ECValidation, "The form could not be read.")
			}
			r = r.WithContext(partnerd.WithAudit(r.Context(), partnerd.AuditContext{
				Actor:     partnerd.Actor{Kind: partnerd.ActorConsole, ID: p.ID},
				RequestID: w.Header().Get("X-Request-Id"), IdempotencyKey: formKey(r),
			}))
		}
		return h(w, r, ss)
	})
}

func setCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(partnerd.ConsoleSessionIdle / time.Second)})
}

// clearCookie ends the browser's copy, replacing any refresh of it this
// answer carried.
func clearCookie(w http.ResponseWriter) {
	w.Header().Del("Set-Cookie")
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// loginPage is the sign-in form's data.
type loginPage struct {
	Email   string
	Message string
	Info    string
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var info string
	switch r.URL.Query().Get("done") {
	case "out":
		info = "You are signed out."
	case "password":
		info = "Your password is set. Sign in with it."
	}
	return s.render(w, r, http.StatusOK, "login", nil, loginPage{Info: info})
}

// badSignIn is the one answer for an unknown email, a wrong password and
// a partner without a console password: it never says which.
const badSignIn = "The email or password is wrong."

func (s *Server) handleLoginPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return partnerd.Errorf(partnerd.ECValidation, "The form could not be read.")
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	fail := func(status int, msg string) error {
		return s.render(w, r, status, "login", nil, loginPage{Email: email, Message: msg})
	}
	if email == "" || password == "" || len(email) > 254 || len(password) > 1024 {
		return fail(http.StatusBadRequest, "Enter your email and password.")
	}
	// The attempt is counted before the password is checked, so that
	// parallel guesses cannot all be checked before the lock sees them.
	in, err := s.c.Console.BeginConsoleSignIn(r.Context(), email)
	if err != nil {
		return err
	}
	if until := in.LockedUntil; until.After(s.c.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(until.Sub(s.c.Now()).Seconds()))))
		return fail(http.StatusTooManyRequests, lockedMessage("sign-ins", until))
	}
	ok := false
	if in.Partner != nil && in.PasswordHash != "" {
		ok, _ = secret.VerifyPassword(in.PasswordHash, password)
	} else {
		// The same work for an unknown email, so timing tells nothing.
		secret.HashPassword(password)
	}
	if !ok {
		// The attempt stays recorded as a failure.
		return fail(http.StatusUnauthorized, badSignIn)
	}
	if in.Partner.Status != partnerd.StatusActive {
		return fail(http.StatusForbidden, "This partner is not active; ask the operator.")
	}
	id := newSessionID()
	ctx := partnerd.WithAudit(r.Context(), partnerd.AuditContext{
		Actor: partnerd.Actor{Kind: partnerd.ActorConsole, ID: in.Partner.ID}, RequestID: w.Header().Get("X-Request-Id")})
	if err := s.c.Console.CreateConsoleSession(ctx, in.Partner.ID, hashSessionID(id), email, in.Attempt); err != nil {
		return err
	}
	setCookie(w, id)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

// lockedMessage answers an attempt at a locked email. It is in UTC,
// whoever asks: the partner's time zone would tell that the email is a
// partner's, and which.
func lockedMessage(what string, until time.Time) string {
	return "Too many failed " + what + ": this email is locked for 15 minutes. Try again after " +
		until.UTC().Format("15:04 MST") + "."
}

// newSessionID is 256 random bits.
func newSessionID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// setupPage is the set-password form's data.
type setupPage struct {
	Partner *partnerd.Partner
	Token   string
	Form    *form
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) error {
	p, err := s.c.Console.ConsoleSetupPartner(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "setup", nil, setupPage{Partner: p, Token: r.PathValue("token"), Form: &form{}})
}

func (s *Server) handleSetupPost(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	p, err := s.c.Console.ConsoleSetupPartner(r.Context(), token)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return partnerd.Errorf(partnerd.ECValidation, "The form could not be read.")
	}
	f := &form{}
	pw, again := r.PostForm.Get("password"), r.PostForm.Get("password_again")
	if err := checkPassword(pw, again); err != nil {
		f.fail(err)
		return s.render(w, r, http.StatusBadRequest, "setup", nil, setupPage{Partner: p, Token: token, Form: f})
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	ctx := partnerd.WithAudit(r.Context(), partnerd.AuditContext{
		Actor: partnerd.Actor{Kind: partnerd.ActorConsole, ID: p.ID}, RequestID: w.Header().Get("X-Request-Id")})
	if _, err := s.c.Console.UseConsoleSetupToken(ctx, token, hash); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/login?done=password", http.StatusSeeOther)
	return nil
}

// checkPassword applies the accounts' password policy (API.md §3), in
// the API's words, and checks the repetition.
func checkPassword(pw, again string) error {
	u := partnerd.AccountUpdate{Password: partnerd.Change{Set: true, Value: &pw}}
	if err := u.Check(); err != nil {
		return err
	}
	if pw != again {
		return partnerd.FieldErrors{{Field: "password_again", Code: partnerd.FCInvalidValue,
			Message: "the two passwords differ"}}.Err()
	}
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, ss *session) error {
	if err := s.c.Console.DeleteConsoleSession(r.Context(), ss.idHash); err != nil {
		return err
	}
	clearCookie(w)
	http.Redirect(w, r, "/console/login?done=out", http.StatusSeeOther)
	return nil
}

func (s *Server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request, ss *session) error {
	if err := s.c.Console.DeleteConsoleSessions(r.Context(), ss.partner.ID); err != nil {
		return err
	}
	clearCookie(w)
	http.Redirect(w, r, "/console/login?done=out", http.StatusSeeOther)
	return nil
}
