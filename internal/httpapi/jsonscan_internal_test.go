package httpapi

import (
	"encoding/json"
	"testing"
)

// FuzzCheckJSON feeds checkJSONExcept valid JSON with any skip: it must
// answer, never panic, and its stack of objects and arrays must follow
// the body's, whatever the strings hold. go test runs the seeds; go test
// -fuzz FuzzCheckJSON searches further.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range []string{
		`{"cdrs":[{"call_uuid":"\ud800]]]]]]]]]]"}]}`,
		`{"cdrs":[{"trunk_id":"\udc00}}}}}}}"}]}`,
		`{"cdrs":[{"a":"\ud800\\\"]}","a":1},{"b":"\ud83d\ude80"}]}`,
		`{"a":{"b":[1,{"c":"\udfff\""}]},"a":2}`,
		`["\ud800",{"\ud800":1,"\ud800":2}]`,
		`"\\ud800"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return
		}
		checkJSONExcept(body, nil)
		checkJSONExcept(body, func(string) bool { return true })
		checkJSONExcept(body, func(path string) bool { return path == "cdrs" })
	})
}
