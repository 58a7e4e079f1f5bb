// Package wire holds the JSON bodies of the partner API, written once:
// internal/httpapi renders them and client decodes them, so the two sides
// cannot drift apart. Each body has a constructor from the domain type
// (what the server sends) and a method back to it (what the client
// returns); TestRoundTrip holds the two equal.
//
// Money is json.RawMessage: the server writes exactly the currency's
// decimals (partnerd.FormatMinor) and the client reads that text straight
// into minor units (ParseMoney), so no amount passes through a float.
// Times are time.Time in UTC at second precision, which encoding/json
// writes as RFC 3339 with a Z suffix (API.md §1).
//
// The package is internal: the public client returns the domain types of
// package partnerd, never these.
package wire
