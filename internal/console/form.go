package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/partnerd/partnerd"
)

// form is one HTML form's state on a rendered page: the values to show
// again, the API's messages (at the top and beside each field) and the
// idempotency key its next submission carries.
type form struct {
	name    string
	Message string
	fields  map[string]string
	values  url.Values
	key     string
}

// Key is the form's idempotency key: one per rendering, so submitting the
// same rendered form twice is one request (API.md §1, Idempotency).
func (f *form) Key() string {
	if f.key == "" {
		var b [18]byte
		rand.Read(b[:])
		f.key = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return f.key
}

// Err is the message of field, if it was refused.
func (f *form) Err(field string) string { return f.fields[field] }

// Value is what the partner typed in field.
func (f *form) Value(field string) string { return f.values.Get(field) }

// Failed reports whether the form was refused.
func (f *form) Failed() bool { return f.Message != "" }

// fail records a domain error in the API's words: the message at the top
// of the form and each bad field's message beside it.
func (f *form) fail(err error) {
	var e *partnerd.Error
	if !errors.As(err, &e) {
		f.Message = "Something went wrong on our side; nothing was changed."
		return
	}
	f.Message = e.Message
	for _, fe := range e.Fields {
		if f.fields == nil {
			f.fields = map[string]string{}
		}
		f.fields[fe.Field] = fe.Message
	}
}

// forms are a page's forms by name, each made when first asked for.
type forms map[string]*form

// F returns the form named name.
func (fs forms) F(name string) *form {
	f, ok := fs[name]
	if !ok {
		f = &form{name: name}
		fs[name] = f
	}
	return f
}

// failed returns the form name, refused with err, its values kept. A form
// whose first submission is still running keeps that submission's key: so
// submitted again it shows that submission's outcome, never makes a
// second one.
func (fs forms) failed(name string, r *http.Request, err error) forms {
	f := fs.F(name)
	f.values = r.PostForm
	if partnerd.ErrorCode(err) == partnerd.ECIdempotencyInUse {
		f.key = r.PostForm.Get(keyField)
		f.Message = "This form's first submission is still being processed: submit it again in a moment to see its outcome."
		return fs
	}
	f.fail(err)
	return fs
}

// formStatus is the status of the page that shows a form refused with err.
func formStatus(err error) int {
	if partnerd.ErrorCode(err) == partnerd.ECIdempotencyInUse {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// keyField is the hidden field that carries a form's idempotency key.
const keyField = "idempotency_key"

// formKey is the request's idempotency key as stored: console keys live
// in the partner's key space, so they are prefixed to never meet an API
// client's. Empty when the form carries none or a malformed one.
func formKey(r *http.Request) string {
	k := r.PostForm.Get(keyField)
	if k == "" || len(k) > 200 {
		return ""
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return ""
		}
	}
	return "console:" + k
}

// replay is a second submission of a rendered form whose first one
// succeeded: nothing was done again. ID is what the first one made (a
// customer's auth_id, a webhook endpoint's id), when it made something.
type replay struct {
	ID string `json:"id"`
}

// idempotent runs op under the form's idempotency key, through the same
// store mechanism as the API's Idempotency-Key: the first submission's
// outcome is stored in the transaction of its effect, and a second
// submission of the same rendered form (a double click, a reload) does
// nothing and returns the replay. A different request under the key, or
// one still running, is the API's error.
func idempotent[T any](s *Server, r *http.Request, partnerID string, op func(ctx context.Context) (T, error)) (res T, rp *replay, err error) {
	key := formKey(r)
	if key == "" && r.PostForm.Get(keyField) != "" {
		// Only a hand-made form carries one: refused, as the API's
		// Idempotency-Key is, rather than run without one.
		return res, nil, partnerd.FieldErrors{{Field: keyField, Code: partnerd.FCInvalidFormat,
			Message: "idempotency_key must be 1-200 printable ASCII characters"}}.Err()
	}
	if key == "" || s.c.Idempotency == nil {
		res, err = op(r.Context())
		return res, nil, err
	}
	body := url.Values{}
	for k, v := range r.PostForm {
		if k != keyField {
			body[k] = v
		}
	}
	fp := sha256.New()
	io.WriteString(fp, r.Method+"\x00"+r.URL.Path+"\x00"+body.Encode())
	stored, claim, err := s.c.Idempotency.ClaimIdempotencyKey(r.Context(), partnerd.IdempotencyRequest{
		PartnerID: partnerID, Key: key, Fingerprint: fp.Sum(nil)})
	if err != nil {
		return res, nil, err
	}
	if stored != nil {
		rp = &replay{}
		json.Unmarshal(stored.Body, rp)
		return res, rp, nil
	}
	defer s.c.Idempotency.ReleaseIdempotencyKey(context.WithoutCancel(r.Context()), claim)
	// What a replay needs is that it happened and where its result is
	// shown: no secret is stored.
	claim.Respond = func(result any) (int, []byte, error) {
		body, err := json.Marshal(struct {
			Console string `json:"console"`
			ID      string `json:"id,omitempty"`
		}{"done", madeID(result)})
		return http.StatusOK, body, err
	}
	res, err = op(partnerd.WithIdempotencyClaim(r.Context(), claim))
	return res, nil, err
}

// madeID is the id of what a form made, whose page its replay shows.
func madeID(result any) string {
	switch v := result.(type) {
	case *partnerd.Account:
		return v.AuthID
	case *partnerd.WebhookEndpoint:
		return v.ID
	}
	return ""
}

// isInputError reports whether err is the caller's fault (a 4xx of the
// API), to be shown on the form; other errors are the server's.
func isInputError(err error) bool {
	var e *partnerd.Error
	return errors.As(err, &e) && e.Code != partnerd.ECInternal && e.Code != partnerd.ECUnavailable
}

// ctxT shortens the operations' signatures.
type ctxT = context.Context

// fieldView is one labelled input of a form (the "field" template).
type fieldView struct {
	ID, Name, Label, Type, Value, Err string
}

// field describes input name of f: its value is what the partner typed
// when the form was refused, else def; passwords are never shown again.
func field(f *form, name, label, typ string, def ...string) fieldView {
	v := fieldView{ID: f.name + "-" + name, Name: name, Label: label, Type: typ, Err: f.Err(name)}
	switch {
	case typ == "password":
	case f.values != nil:
		v.Value = f.Value(name)
	case len(def) > 0:
		v.Value = def[0]
	}
	return v
}
