package console

import (
	"net/http"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

type settingsPage struct {
	Partner *partnerd.Partner
	Forms   forms
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request, ss *session) error {
	return s.render(w, r, http.StatusOK, "settings", ss, settingsPage{Partner: ss.partner, Forms: forms{}})
}

func (s *Server) settingsFailed(w http.ResponseWriter, r *http.Request, ss *session, name string, err error) error {
	if !isInputError(err) {
		return err
	}
	return s.render(w, r, formStatus(err), "settings", ss, settingsPage{Partner: ss.partner, Forms: forms{}.failed(name, r, err)})
}

// tokenPage shows a new API token, once.
type tokenPage struct {
	PartnerID, Token string
}

// handleRotatePartnerToken gives the partner a new API token and shows it
// on the answer itself: never in a redirect's address, so it reaches no
// history or log.
func (s *Server) handleRotatePartnerToken(w http.ResponseWriter, r *http.Request, ss *session) error {
	if r.PostForm.Get("confirm") != "yes" {
		return s.settingsFailed(w, r, ss, "token", partnerd.FieldErrors{{Field: "confirm", Code: partnerd.FCRequired,
			Message: "tick the box to confirm that the current token stops working"}}.Err())
	}
	// Under the form's idempotency key: a second submission (a double
	// click, a second tab) must not rotate again, which would end the
	// token the first one's page shows.
	token, rp, err := idempotent(s, r, ss.partner.ID, func(ctx ctxT) (string, error) {
		return s.c.Partners.RotatePartnerToken(ctx, ss.partner.ID)
	})
	if err != nil {
		return s.settingsFailed(w, r, ss, "token", err)
	}
	s.forget(ss.partner.ID)
	if rp != nil {
		// The token was shown once, by the first submission's answer.
		return redirect(w, r, "/console/settings", "", true)
	}
	return s.render(w, r, http.StatusOK, "token", ss, tokenPage{PartnerID: ss.partner.ID, Token: token})
}

// handlePasswordChange checks the current password as a sign-in does,
// counted toward the same lockout (a stolen session cannot guess it
// without limit), and ends the partner's other sessions.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request, ss *session) error {
	pf := r.PostForm
	if err := checkPassword(pf.Get("password"), pf.Get("password_again")); err != nil {
		return s.settingsFailed(w, r, ss, "password", err)
	}
	in, err := s.c.Console.BeginConsoleSignIn(r.Context(), ss.partner.Email)
	if err != nil {
		return err
	}
	if until := in.LockedUntil; until.After(s.c.Now()) {
		return s.settingsFailed(w, r, ss, "password", partnerd.FieldErrors{{Field: "current_password", Code: partnerd.FCInvalidValue,
			Message: lockedMessage("sign-ins", until)}}.Err())
	}
	if ok, _ := secret.VerifyPassword(in.PasswordHash, pf.Get("current_password")); !ok {
		return s.settingsFailed(w, r, ss, "password", partnerd.FieldErrors{{Field: "current_password", Code: partnerd.FCInvalidValue,
			Message: "current_password is wrong"}}.Err())
	}
	hash, err := secret.HashPassword(pf.Get("password"))
	if err != nil {
		return err
	}
	if err := s.c.Console.SetConsolePassword(r.Context(), ss.partner.ID, hash, ss.idHash, in.Attempt); err != nil {
		return err
	}
	return redirect(w, r, "/console/settings", "password", false)
}

func (s *Server) handleTimezone(w http.ResponseWriter, r *http.Request, ss *session) error {
	tz := strings.TrimSpace(r.PostForm.Get("timezone"))
	if _, err := s.c.Partners.SetPartner(r.Context(), ss.partner.ID, partnerd.PartnerSettings{Timezone: &tz}); err != nil {
		return s.settingsFailed(w, r, ss, "timezone", err)
	}
	return redirect(w, r, "/console/settings", "timezone", false)
}
