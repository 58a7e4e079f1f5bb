// Package client is the Go client of the partnerd partner API: what a
// partner imports to provision and inspect its customer accounts; and of
// the switch API, for a SIP switch (see NewSwitch).
//
//	c := client.New("https://partnerd.example.com", "PA_7QX2M9KD", os.Getenv("PARTNERD_TOKEN"))
//	a, err := c.CreateAccount(ctx, "", partnerd.AccountInput{Name: "Credresolve", …})
//	if partnerd.ErrorCode(err) == partnerd.ECEmailTaken { … }
//
// Methods return the domain types of package partnerd, and *Client
// implements partnerd.AccountService, LedgerService, EventService,
// WebhookService and AutoTopupService over HTTP, and the methods of
// AccountLifecycleService that a partner calls (UpdateAccount,
// SuspendAccount, ActivateAccount, CloseAccount, RotateAccountToken).
// Transfers send amounts as decimal strings in the partner's currency,
// which the client learns once from GET /me (or from WithCurrency). Every error the server
// answers is a *partnerd.Error carrying the body's code, message, invalid
// fields and remaining keys (request_id among them), so callers branch on
// partnerd.ErrorCode(err) as they would against the store itself. A call
// that got no usable answer after its retries (no connection, a lost
// answer, the context's end, a proxy's 502, 503 or 504) returns
// *NoAnswerError, which wraps the cause and names the Idempotency-Key to
// send the call again under when it may have acted.
//
// Redirects are never followed: partnerd never redirects, and following
// one would send the credentials elsewhere. A 3xx answer is a
// *RedirectError naming where it points, also with WithHTTPClient's
// client, whose CheckRedirect is replaced.
//
// NewSwitch returns a Switch, the client of the switch API
// (/api/v1/switch) that a SIP switch uses with its own token
// (Authorization: Bearer): SIPCredential, Authorize before a call and
// PostCDRs after it.
//
// NewCustomer returns a Customer, the client of a customer's own
// read-only API (/api/v1/Account/{auth_id}) with the customer's auth_id
// and auth_token: its profile, balance, transactions, calls, numbers and
// SIP endpoints, in the shapes of the partner's views of it.
//
// WithResponse describes the HTTP answer of a call (status, request id,
// whether it replayed an earlier call with the same Idempotency-Key).
//
// Retries: a call is sent again (WithRetries times, DefaultRetries by
// default) when no answer arrived, and on 429, 503 and 409
// idempotency_key_in_use, after the answer's Retry-After or a short
// jittered backoff, never past the context's deadline; a proxy's 502, 503
// or 504 only when the request is safe to repeat (GET, PUT, DELETE, a
// POST under an Idempotency-Key, never a PATCH). A DELETE whose earlier
// attempt may have acted succeeds when its retry answers 404. Every POST of the
// partner API carries an Idempotency-Key (WithIdempotencyKey's, else a
// new random one) that all its attempts share, so a POST whose answer
// was lost acts once and its retry gets the stored answer. RequestID(err)
// is the request id of an error the server answered, to quote to its
// operator.
//
// Lists: List… returns one page and the total; …Seq (AccountsSeq,
// CDRsSeq, AccountEntriesSeq, …) is an iter.Seq2 over every row, asking
// for the next page only when the consumer needs it. CDRsCSV,
// AccountCDRsCSV and the …EntriesCSV methods stream the server's CSV
// exports.
//
// Adding an endpoint is a few lines: a method that calls c.do (or
// getList for a page of a list, walk for its iterator) with the wire type
// of internal/wire and converts the answer to the domain type; retries,
// idempotency keys, errors and WithResponse come with c.do.
//
// Amounts are decoded from their JSON text straight into int64 minor units;
// no amount ever passes through a float. The text must have exactly the
// currency's decimals, as a partnerd server writes it.
package client
