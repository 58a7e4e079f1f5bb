// Package console is the partner web console (API.md §9): server-rendered
// HTML pages under /console/, driven by the same domain services as the
// API (the store interfaces internal/httpapi uses), with the same
// validation messages, idempotency and audit.
//
// Every state change is a plain HTML form that posts and redirects,
// refused cross-origin by http.CrossOriginProtection; every answer carries
// a strict Content-Security-Policy, so pages hold no inline script or
// style. Sessions live in the database (hashed), so every instance of a
// server knows them.
package console
