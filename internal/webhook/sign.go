package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
func Body(e *partnerd.Event) []byte {
	b := make([]byte, 0, len(e.Data)+192)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, e.Type)
	b = append(b, `,"timestamp":"`...)
	b = e.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	b = append(b, `","data":`...)
	data := strings.TrimSpace(string(e.Data))
	if len(data) < 2 || data[0] != '{' {
		data = "{}"
	}
	b = append(b, data[:len(data)-1]...)
	if strings.TrimSpace(data[1:len(data)-1]) != "" {
		b = append(b, ',')
	}
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
