package httpapi

// WithoutAudit makes s send no audit context to the store, so that its
// writes record no audit row: the "off" side of the benchmarks that
// measure the log's cost. Nothing else may turn the log off.
func WithoutAudit(s *Server) *Server {
	s.noAudit = true
	return s
}

// AuditActions is the route → audit action table (audit.go).
var AuditActions = auditActions

// SyncLog is a log sink the server's goroutines may write at once.
type SyncLog = syncLog
