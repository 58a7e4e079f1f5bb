package wire

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/partnerd/partnerd"
)

// The error body is flat (API.md §1): error, message, request_id, fields
// when a validation failed, and the error's Details as extra keys.

// ErrorBody renders e answered under requestID.
func ErrorBody(e *partnerd.Error, requestID string) json.Marshaler {
	return errorBody{e, requestID}
}

// errorBody writes its keys in a fixed order, which a map would not:
// error, message and request_id first, as a person reads them, then
// fields, then the details sorted by key.
type errorBody struct {
	e         *partnerd.Error
	requestID string
}

// reservedKeys are the keys a detail cannot take over.
var reservedKeys = []string{"error", "message", "request_id", "fields"}

func (b errorBody) MarshalJSON() ([]byte, error) {
	out := append(make([]byte, 0, 256), `{"error":`...)
	out = AppendString(out, b.e.Code, true)
	out = append(out, `,"message":`...)
	out = AppendString(out, b.e.Message, true)
	out = append(out, `,"request_id":`...)
	out = AppendString(out, b.requestID, true)
	if len(b.e.Fields) > 0 {
		fields, err := json.Marshal(b.e.Fields)
		if err != nil {
			return nil, err
		}
		out = append(append(out, `,"fields":`...), fields...)
	}
	for _, k := range slices.Sorted(maps.Keys(b.e.Details)) {
		if slices.Contains(reservedKeys, k) {
			continue
		}
		v, err := json.Marshal(b.e.Details[k])
		if err != nil {
			return nil, err
		}
		out = append(AppendString(append(out, ','), k, true), ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
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
