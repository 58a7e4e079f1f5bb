// Package httpapi serves the partner API over HTTP: routing (routes.go),
// middleware (request ids, logging, recovery), authentication (auth.go:
// every kind of caller is read, checked and cached there), JSON
// decoding and encoding, and one file of handlers per resource. Handlers
// return errors; one adapter turns every error into the flat error body.
// httpserver.go configures the HTTP server itself (limits, timeouts) and
// makes JSON even the answers net/http writes before any handler runs.
package httpapi
