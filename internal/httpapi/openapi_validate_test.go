package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/responses"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/partnerd/partnerd/internal/httpapi"
)

// The HTTP tests hold every answer the server gives them to the OpenAPI
// document (API.md §7): each test server's handler is wrapped by
// contractCheck, which validates the status, headers and body of every
// response against openapi.json. A mismatch fails the test that received
// the answer (request looks it up by the answer's X-Request-Id), and any
// mismatch at all fails the package in TestMain, so that answers read by
// other means (a raw connection, another client) are held to it too.

// openAPIPath is the document the server embeds and serves.
const openAPIPath = "openapi.json"

// contract is the parsed document and its validator, built once: parsing
// and compiling the schemas takes a while under -race.
type contract struct {
	doc       []byte
	model     *v3.Document
	validator validator.Validator
	// mu guards the validator (its caches are not documented as safe for
	// concurrent use) and the violations.
	mu sync.Mutex
	// violations are the mismatches found, by the X-Request-Id of the
	// answer, until a test takes them; all keeps every one for TestMain.
	violations map[string][]string
	all        []string
}

var (
	contractOnce sync.Once
	theContract  *contract
	contractErr  error
)

// loadContract returns the document's validator.
func loadContract() (*contract, error) {
	contractOnce.Do(func() {
		theContract, contractErr = newContract(openAPIPath)
	})
	return theContract, contractErr
}

func newContract(file string) (*contract, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("%s: building the model: %v", file, err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %v", file, errs)
	}
	return &contract{doc: b, model: &m.Model, validator: v, violations: map[string][]string{}}, nil
}

// mustContract is loadContract for code that cannot go on without it.
func mustContract() *contract {
	c, err := loadContract()
	if err != nil {
		panic(fmt.Sprintf("OpenAPI document: %v", err))
	}
	return c
}

// contractCheck wraps the handler of api's test server so that every
// answer is validated against the document.
func contractCheck(api *httpapi.Server) http.Handler {
	c := mustContract()
	routes := routeMux(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request as the handler got it, before it reads the body.
		req := r.Clone(r.Context())
		req.Body = http.NoBody
		var sent bytes.Buffer
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, &sent), r.Body}
		}
		cw := &capture{ResponseWriter: w}
		api.ServeHTTP(cw, r)
		req.Body = io.NopCloser(bytes.NewReader(sent.Bytes()))
		c.record(routes, req, cw)
	})
}

// routeMux is a mux of api's routes, which tells routed requests from
// the others as the server's does.
func routeMux(api *httpapi.Server) *http.ServeMux {
	routes := http.NewServeMux()
	for _, p := range api.Routes() {
		routes.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	return routes
}

// capture passes a response through and keeps a copy of it.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (CSV streams
// flush and move their write deadline).
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// record validates one answer and records what does not match.
func (c *contract) record(routes *http.ServeMux, req *http.Request, cw *capture) {
	resp := cw.response(req)
	problems := c.problems(routes, req, resp)
	if len(problems) == 0 {
		return
	}
	id := resp.Header.Get("X-Request-Id")
	msg := fmt.Sprintf("%s %s answered %d, which the OpenAPI document does not allow:\n\t%s\n\tbody: %.600s",
		req.Method, req.URL.RequestURI(), resp.StatusCode, strings.Join(problems, "\n\t"), cw.body.String())
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations[id] = append(c.violations[id], msg)
	c.all = append(c.all, msg)
}

// response is the captured answer as a client would read it.
func (cw *capture) response(req *http.Request) *http.Response {
	status := cw.status
	if status == 0 {
		status = http.StatusOK
	}
	resp := &http.Response{
		StatusCode: status, Header: cw.Header().Clone(), Request: req, ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(bytes.NewReader(bytes.Clone(cw.body.Bytes()))),
	}
	if cw.body.Len() == 0 {
		resp.Body = http.NoBody
	}
	return resp
}

// problems returns what the document finds wrong with resp, the answer
// to req.
func (c *contract) problems(routes *http.ServeMux, req *http.Request, resp *http.Response) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pattern := route(routes, req); pattern != "" {
		problems := c.checkOperation(pattern, req, resp)
		if resp.StatusCode < 300 && req.Method != http.MethodHead {
			problems = append(problems, c.checkAccepted(pattern, req)...)
		}
		return problems
	}
	return c.checkUnrouted(req, resp)
}

// route returns the pattern the server routes req to, as Server.route
// decides (only canonical paths are routed), or "" if none.
func route(routes *http.ServeMux, req *http.Request) string {
	if req.ProtoMajor != 1 {
		return ""
	}
	if !httpapi.Routable(req.URL.EscapedPath()) {
		return ""
	}
	_, pattern := routes.Handler(req)
	return pattern
}

// checkOperation validates the answer of a request the server routed to
// pattern against the operation of the same method and path template
// (the server's choice, not a guess of the validator's router: an escaped
// slash in a path value is one segment to both). A HEAD is held to its
// GET, without a body to check.
func (c *contract) checkOperation(pattern string, req *http.Request, resp *http.Response) []string {
	_, tmpl, _ := strings.Cut(pattern, " ")
	tmpl = strings.TrimSuffix(tmpl, "{$}") // the document writes the trailing slash alone
	item := c.model.Paths.PathItems.GetOrZero(tmpl)
	if item == nil {
		return []string{"the document has no path " + tmpl}
	}
	if req.Method == http.MethodHead {
		return c.checkDeclared(item, tmpl, req, resp)
	}
	_, errs := c.validator.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(req, resp, item, tmpl)
	return errorTexts(errs)
}

// checkAccepted checks that the document accepts a request the server
// accepted (its parameters and body), so that it never documents a
// request shape stricter than the server's.
func (c *contract) checkAccepted(pattern string, req *http.Request) []string {
	_, tmpl, _ := strings.Cut(pattern, " ")
	item := c.model.Paths.PathItems.GetOrZero(tmpl)
	if item == nil {
		return nil
	}
	// An empty value is an absent parameter to the server (query.go).
	req = req.Clone(req.Context())
	q := req.URL.Query()
	for k, vs := range q {
		if len(vs) == 1 && vs[0] == "" {
			q.Del(k)
		}
	}
	req.URL.RawQuery = q.Encode()
	_, errs := c.validator.ValidateHttpRequestSyncWithPathItem(req, item, tmpl)
	return errorTexts(errs)
}

// checkDeclared checks that the GET operation of item declares resp's
// status and that resp has the headers it requires.
func (c *contract) checkDeclared(item *v3.PathItem, tmpl string, req *http.Request, resp *http.Response) []string {
	if item.Get == nil {
		return []string{"the document has no GET " + tmpl}
	}
	code := strconv.Itoa(resp.StatusCode)
	r := item.Get.Responses.Codes.GetOrZero(code)
	if r == nil {
		return []string{fmt.Sprintf("GET %s does not declare status %d", tmpl, resp.StatusCode)}
	}
	_, errs := responses.ValidateResponseHeaders(req, resp, r.Headers, tmpl, code)
	return errorTexts(errs)
}

// protocolCodes are the error codes of the answers given before routing
// (net/http's own refusals, rewritten by the server), by status: whatever
// the path, they are the document's ProtocolError.
var protocolCodes = map[string]int{
	"malformed_request":          http.StatusBadRequest,
	"headers_too_large":          http.StatusRequestHeaderFieldsTooLarge,
	"expectation_failed":         http.StatusExpectationFailed,
	"not_implemented":            http.StatusNotImplemented,
	"http_version_not_supported": http.StatusHTTPVersionNotSupported,
}

// allRoutes is the mux of the routes every server registers.
var allRoutes = sync.OnceValue(func() *http.ServeMux { return routeMux(httpapi.NewServer(httpapi.Config{})) })

// rawProblems is problems for an answer read off a raw connection, to
// raw, the request as sent (which may not even parse). An answer given
// before routing is held to ProtocolError, the others to what the request
// reached.
func (c *contract) rawProblems(raw string, resp *http.Response, body []byte) []string {
	var e struct{ Error string }
	json.Unmarshal(body, &e)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if status, ok := protocolCodes[e.Error]; ok || err != nil {
		if req == nil {
			req = httptest.NewRequest(http.MethodGet, "/", nil)
		}
		if status != resp.StatusCode {
			return []string{fmt.Sprintf("a request refused before routing answered %d %s; the document gives %s the status %d", resp.StatusCode, e.Error, e.Error, status)}
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.checkShared(req, resp, "ProtocolError")
	}
	return c.problems(allRoutes(), req, resp)
}

// unroutedResponses are the shared answers of requests that reach no
// operation, by status: the document describes them once, in components.
var unroutedResponses = map[int]string{
	http.StatusNotFound:                "RouteNotFound",
	http.StatusMethodNotAllowed:        "MethodNotAllowed",
	http.StatusHTTPVersionNotSupported: "ProtocolError",
}

// checkUnrouted validates the answer of a request no route takes against
// the shared response of its status.
func (c *contract) checkUnrouted(req *http.Request, resp *http.Response) []string {
	name, ok := unroutedResponses[resp.StatusCode]
	if !ok {
		return []string{fmt.Sprintf("a request no route takes answered %d; the document describes only %v", resp.StatusCode, slices.Sorted(maps.Keys(unroutedResponses)))}
	}
	return c.checkShared(req, resp, name)
}

// checkShared validates resp against components.responses.name.
func (c *contract) checkShared(req *http.Request, resp *http.Response, name string) []string {
	r := c.model.Components.Responses.GetOrZero(name)
	if r == nil {
		return []string{"the document has no components.responses." + name}
	}
	var out []string
	if _, errs := responses.ValidateResponseHeaders(req, resp, r.Headers, req.URL.Path, strconv.Itoa(resp.StatusCode)); len(errs) > 0 {
		out = append(out, errorTexts(errs)...)
	}
	mt := r.Content.GetOrZero("application/json")
	if got := resp.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		out = append(out, fmt.Sprintf("Content-Type %q, want application/json; charset=utf-8", got))
	}
	_, errs := responses.ValidateResponseSchema(&responses.ValidateResponseSchemaInput{
		Request: req, Response: resp, Schema: mt.Schema.Schema(), Version: 3.1,
	})
	return append(out, errorTexts(errs)...)
}

func errorTexts[E error](errs []E) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// takeViolations returns and forgets the mismatches of the answer with
// X-Request-Id id.
func takeViolations(id string) []string {
	c, err := loadContract()
	if err != nil {
		return []string{err.Error()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.violations[id]
	delete(c.violations, id)
	return v
}

// allViolations returns every mismatch found in this run.
func allViolations() []string {
	c, err := loadContract()
	if err != nil {
		return []string{err.Error()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}
