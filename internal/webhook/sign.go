package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256 of id.timestamp.body keyed with each secret's
// decoded bytes, space-separated (several during a rotation).
func Sign(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	var b strings.Builder
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write(strconv.AppendInt(nil, timestamp, 10))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String(), nil
}

// secretKey decodes a whsec_ secret to the HMAC key it stands for.
func secretKey(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, fmt.Errorf("webhook secret without whsec_ prefix")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	return key, nil
}

// Body is what a delivery of e sends: {"type", "timestamp", "data"},
// with data the event's data plus its id, account_auth_id and sequence.
// Those three are the event's: a field of the data under one of their
// names (account_auth_id of number.assigned, number.released and
// call.refused) is left out rather than written twice, since a key given
// twice is JSON that parsers read differently (or refuse).
func Body(e *partnerd.Event) []byte {
	b := make([]byte, 0, len(e.Data)+192)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, e.Type)
	b = append(b, `,"timestamp":"`...)
	b = e.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	b = append(b, `","data":{`...)
	b = appendDataFields(b, e.Data)
	b = append(b, `"id":`...)
	b = strconv.AppendQuote(b, e.ID)
	b = append(b, `,"account_auth_id":`...)
	if e.AccountAuthID != nil {
		b = strconv.AppendQuote(b, *e.AccountAuthID)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"sequence":`...)
	b = strconv.AppendInt(b, e.Sequence, 10)
	return append(b, "}}"...)
}

// appendDataFields appends each member of the data object, in its order
// and followed by a comma, but those Body writes itself. Data that is not
// a JSON object (never stored: the store marshals a struct) adds nothing.
func appendDataFields(b []byte, data json.RawMessage) []byte {
	start := len(b)
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return b
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return b[:start]
		}
		if key == "id" || key == "account_auth_id" || key == "sequence" {
			continue
		}
		k, _ := json.Marshal(key)
		b = append(append(append(b, k...), ':'), v...)
		b = append(b, ',')
	}
	return b
}
