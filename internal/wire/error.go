package wire

import (
	"bytes"
	"encoding/json"
	"maps"

	"github.com/partnerd/partnerd"
)

// The error body is flat (API.md §1): error, message, request_id, fields
// when a validation failed, and the error's Details as extra keys.

// ErrorBody renders e answered under requestID.
func ErrorBody(e *partnerd.Error, requestID string) map[string]any {
	body := make(map[string]any, len(e.Details)+4)
	maps.Copy(body, e.Details)
	body["error"] = e.Code
	body["message"] = e.Message
	body["request_id"] = requestID
	if len(e.Fields) > 0 {
		body["fields"] = e.Fields
	}
	return body
}

// ParseError reads an error body back into *partnerd.Error, and reports
// false when b is not one (no "error" code), as a proxy's page is not.
// Keys other than error, message and fields go to Details (request_id
// among them), numbers as json.Number so that amounts such as
// current_balance keep their exact text.
func ParseError(b []byte) (*partnerd.Error, bool) {
	var raw map[string]json.RawMessage
	e := &partnerd.Error{}
	if json.Unmarshal(b, &raw) != nil || json.Unmarshal(raw["error"], &e.Code) != nil || e.Code == "" {
		return nil, false
	}
	json.Unmarshal(raw["message"], &e.Message)
	json.Unmarshal(raw["fields"], &e.Fields)
	for k, v := range raw {
		if k == "error" || k == "message" || k == "fields" {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) != nil {
			continue
		}
		if e.Details == nil {
			e.Details = make(map[string]any)
		}
		e.Details[k] = x
	}
	return e, true
}

// DetailMoney reads the amount detail key of an error (such as
// current_balance of insufficient_balance) as minor units of currency.
func DetailMoney(e *partnerd.Error, key, currency string) (int64, error) {
	n, _ := e.Details[key].(json.Number)
	return ParseMoney(json.RawMessage(n), currency)
}
