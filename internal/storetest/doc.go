// Package storetest is the conformance suite every partnerd store must
// pass: SQLite today, PostgreSQL later. A backend's own test calls Run with
// a function that opens a fresh, empty store; the suite then checks the
// behaviour the API contract (shared/API.md §1–§3) asks of the partner and
// account services through their interfaces alone, so the same assertions
// hold for every backend.
//
// It is an ordinary (non-test) package so that each backend's _test.go
// files can import it; nothing outside tests should.
package storetest
