// Package webhook delivers partners' events to their webhook endpoints
// (API.md §8): Standard Webhooks 1.0 signing, the retry schedule, and a
// dispatcher that claims due deliveries from the store with a lease,
// sends them outside any transaction and records each outcome fenced by
// its lease. Every instance of partnerd runs one; they share the work
// through the database.
package webhook
