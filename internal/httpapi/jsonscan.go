package httpapi

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/partnerd/partnerd"
)

// checkJSON refuses the bodies encoding/json accepts by guessing (API.md
// §1: bad input is refused, never guessed), so every body is I-JSON (RFC
// 7493) before it is decoded:
//
//   - a key given twice in one object, at any depth: json.Unmarshal keeps
//     the last, so {"amount":1,"amount":900000} would move 9000.00. The
//     error names the key by its path ("description.a", "items[1].b").
//   - text that is not Unicode: invalid UTF-8 and \uD800–\uDFFF escapes
//     that do not form a pair, which json.Unmarshal silently turns into
//     U+FFFD.
//
// Both are invalid_json, not a field's validation_error: the body is not
// the JSON the API reads, whichever field the bad text sits in, and the
// check runs before any field is looked at. body must be valid JSON
// syntax (json.Valid).
func checkJSON(body []byte) error { return checkJSONExcept(body, nil) }

// checkJSONExcept is checkJSON that passes over the repeated keys and
// unpaired surrogates inside the objects and arrays whose path skip
// accepts (a batch's elements, each checked on its own so that one bad
// element spares its neighbours). Invalid UTF-8 is always the body's
// fault: it is not JSON text at all.
func checkJSONExcept(body []byte, skip func(path string) bool) error {
	if !utf8.Valid(body) {
		return partnerd.Errorf(partnerd.ECInvalidJSON, "The request body is not valid UTF-8.")
	}
	// One frame per open object or array; an object's frame remembers its
	// keys, an array's counts its elements, so a nested value's path can
	// be named.
	type frame struct {
		path      string
		keys      map[string]bool // nil for an array
		expectKey bool
		key       string // the key whose value is being read
		index     int
	}
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.keys == nil {
			return f.path + "[" + strconv.Itoa(f.index) + "]"
		}
		if f.path == "" {
			return f.key
		}
		return f.path + "." + f.key
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{':
			stack = append(stack, &frame{path: childPath(), keys: map[string]bool{}, expectKey: true})
		case '[':
			stack = append(stack, &frame{path: childPath()})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if f := stack[len(stack)-1]; f.keys != nil {
				f.expectKey = true
			} else {
				f.index++
			}
		case '"':
			end, ok := scanString(body, i)
			skipped := skip != nil && len(stack) > 0 && skip(stack[len(stack)-1].path)
			if !ok && !skipped {
				return partnerd.Errorf(partnerd.ECInvalidJSON,
					"The request body holds a \\u escape of half a UTF-16 surrogate pair, which is not a character.")
			}
			if len(stack) > 0 && stack[len(stack)-1].expectKey {
				f := stack[len(stack)-1]
				var key string
				json.Unmarshal(body[i:end+1], &key) // valid: json.Valid passed
				f.key, f.expectKey = key, false
				if f.keys[key] && !skipped {
					e := partnerd.Errorf(partnerd.ECInvalidJSON, "The request body gives the key %s twice.", strconv.Quote(childPath()))
					e.Details = map[string]any{"key": childPath()}
					return e
				}
				f.keys[key] = true
			}
			i = end
		}
	}
	return nil
}

// scanString returns the index of the quote that closes the JSON string
// opening at body[start], and false if the string holds an unpaired
// surrogate escape. It always reads to the closing quote: a caller that
// passes over the bad string carries on after it, never inside it.
func scanString(body []byte, start int) (end int, ok bool) {
	ok = true
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '"':
			return i, ok
		case '\\':
			if body[i+1] != 'u' {
				i++
				continue
			}
			r := hex4(body[i+2 : i+6])
			switch {
			case utf16.IsSurrogate(r) && r < 0xdc00 && i+12 <= len(body) && body[i+6] == '\\' && body[i+7] == 'u' &&
				utf16.DecodeRune(r, hex4(body[i+8:i+12])) != utf8.RuneError:
				i += 11 // a high and a low surrogate: one character
			case utf16.IsSurrogate(r):
				ok = false
				i += 5
			default:
				i += 5
			}
		}
	}
	return len(body), ok
}

// hex4 reads four hex digits (json.Valid checked them).
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 16)
	return rune(n)
}
