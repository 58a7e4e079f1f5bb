package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	oabase "github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/partnerd/partnerd/internal/httpapi"
)

// mustLoadContract returns the document's validator or fails the test.
func mustLoadContract(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	return c
}

// rawDocument is the document as plain JSON values, for the lint walk.
type rawDocument struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func mustRawDocument(t *testing.T, c *contract) rawDocument {
	t.Helper()
	var d rawDocument
	if err := json.Unmarshal(c.doc, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return d
}

// httpMethods are the keys of a path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations returns "METHOD /path/{param}" for every operation of d.
func (d rawDocument) operations() []string {
	var out []string
	for p, item := range d.Paths {
		for m := range item {
			if slices.Contains(httpMethods, m) {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIOperationsAreTheRoutes proves that the routes the server
// registers and the operations the document describes are the same set:
// a route without an operation, or an operation without a route, fails.
func TestOpenAPIOperationsAreTheRoutes(t *testing.T) {
	c := mustLoadContract(t)
	api := httpapi.NewServer(httpapi.Config{})
	var routes []string
	for _, p := range api.Routes() {
		method, path, ok := strings.Cut(p, " ")
		// "/{$}" ends a path with its trailing slash, as the document writes it.
		path = strings.TrimSuffix(path, "{$}")
		if !ok || strings.Contains(path, "...}") || strings.Contains(path, "{$}") {
			t.Fatalf("route %q: the test knows only METHOD /path/{name} patterns", p)
		}
		routes = append(routes, method+" "+path)
	}
	slices.Sort(routes)
	if len(routes) == 0 {
		t.Fatal("the server registers no routes")
	}
	ops := mustRawDocument(t, c).operations()
	if diff := cmp.Diff(routes, ops); diff != "" {
		t.Errorf("routes (-) and OpenAPI operations (+) differ:\n%s", diff)
	}
}

// TestOpenAPIDocumentIsValid validates the document against the OpenAPI
// 3.1 schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	c := mustLoadContract(t)
	if v := mustRawDocument(t, c).OpenAPI; !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	ok, errs := c.validator.ValidateDocument()
	for _, e := range errs {
		t.Error(e.Error())
	}
	if !ok && len(errs) == 0 {
		t.Error("ValidateDocument failed without saying why")
	}
}

// TestOpenAPILint holds every operation to the house rules: a unique
// operationId, a summary, a tag, an example of each JSON body, each
// response described, each answer's X-Request-Id declared, and every
// error answer in the §1 error shape. Every example validates against
// its schema.
func TestOpenAPILint(t *testing.T) {
	c := mustLoadContract(t)
	d := mustRawDocument(t, c)
	ids := map[string]string{}
	sv := schema_validation.NewSchemaValidator()
	for p, item := range d.Paths {
		for m, rawOp := range item {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			var raw map[string]any
			if err := json.Unmarshal(rawOp, &raw); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			name := strings.ToUpper(m) + " " + p
			op := mustModelOperation(t, c, p, m)
			id, _ := raw["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s has no operationId", name)
			case ids[id] != "":
				t.Errorf("%s and %s share operationId %q", name, ids[id], id)
			default:
				ids[id] = name
			}
			if s, _ := raw["summary"].(string); s == "" {
				t.Errorf("%s has no summary", name)
			}
			if tags, _ := raw["tags"].([]any); len(tags) == 0 {
				t.Errorf("%s has no tag", name)
			}
			for _, want := range pathParams(p) {
				if !declaresPathParam(pathItem(c, p).Parameters, want) && !declaresPathParam(op.Parameters, want) {
					t.Errorf("%s does not declare its path parameter %s", name, want)
				}
			}
			examples := 0
			if op.RequestBody != nil {
				for mt, media := range op.RequestBody.Content.FromOldest() {
					examples += checkExample(t, sv, name+" request "+mt, media)
				}
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				where := name + " " + code
				if r.Description == "" {
					t.Errorf("%s has no description", where)
				}
				if r.Headers.GetOrZero("X-Request-Id") == nil {
					t.Errorf("%s does not declare X-Request-Id", where)
				}
				for mt, media := range r.Content.FromOldest() {
					examples += checkExample(t, sv, where+" "+mt, media)
				}
				if code[0] == '4' || code[0] == '5' {
					if !isErrorShape(r) {
						t.Errorf("%s is not the §1 error shape (components/schemas/Error)", where)
					}
				}
			}
			if op.Responses.Default != nil {
				t.Errorf("%s has a default response: list every status instead", name)
			}
			if examples == 0 {
				t.Errorf("%s has no example", name)
			}
		}
	}
	for name, proxy := range c.model.Components.Schemas.FromOldest() {
		s := proxy.Schema()
		if s == nil || s.Example == nil {
			continue
		}
		var v any
		if err := s.Example.Decode(&v); err != nil {
			t.Errorf("schema %s: example: %v", name, err)
			continue
		}
		if ok, errs := sv.ValidateSchemaObjectWithVersion(s, jsonValue(v), 3.1); !ok {
			t.Errorf("schema %s: its example does not validate: %v", name, errorTexts(errs))
		}
	}
}

// pathParams returns the {names} of a path template.
func pathParams(tmpl string) []string {
	var out []string
	for seg := range strings.SplitSeq(tmpl, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// declaresPathParam reports whether ps holds the path parameter name.
func declaresPathParam(ps []*v3.Parameter, name string) bool {
	return slices.ContainsFunc(ps, func(p *v3.Parameter) bool {
		return p.In == "path" && p.Name == name && p.Required != nil && *p.Required
	})
}

// pathItem returns the model's path item of path.
func pathItem(c *contract, path string) *v3.PathItem {
	return c.model.Paths.PathItems.GetOrZero(path)
}

// mustModelOperation returns the built model's operation.
func mustModelOperation(t *testing.T, c *contract, path, method string) *v3.Operation {
	t.Helper()
	item := c.model.Paths.PathItems.GetOrZero(path)
	if item == nil {
		t.Fatalf("the model has no path %s", path)
	}
	op := item.GetOperations().GetOrZero(method)
	if op == nil {
		t.Fatalf("the model has no %s %s", method, path)
	}
	return op
}

// checkExample validates the example of a JSON media type against its
// schema and returns 1 if there is one (text/csv examples count as
// given).
func checkExample(t *testing.T, sv schema_validation.SchemaValidator, where string, media *v3.MediaType) int {
	t.Helper()
	if media.Example == nil {
		if media.Examples.Len() > 0 {
			t.Errorf("%s: use example, not examples, so that the test validates it", where)
		}
		t.Errorf("%s has no example", where)
		return 0
	}
	if !strings.Contains(where, "json") || media.Schema == nil {
		return 1
	}
	var v any
	if err := media.Example.Decode(&v); err != nil {
		t.Errorf("%s: example: %v", where, err)
		return 1
	}
	if ok, errs := sv.ValidateSchemaObjectWithVersion(media.Schema.Schema(), jsonValue(v), 3.1); !ok {
		t.Errorf("%s: example does not validate: %v", where, errorTexts(errs))
	}
	return 1
}

// jsonValue turns a YAML-decoded value into what encoding/json decodes,
// the form the schema validator expects.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// isErrorShape reports whether the response's JSON body is the Error
// schema or built on it.
func isErrorShape(r *v3.Response) bool {
	media := r.Content.GetOrZero("application/json")
	if media == nil || media.Schema == nil {
		return false
	}
	if media.Schema.GetReference() == "#/components/schemas/Error" {
		return true
	}
	s := media.Schema.Schema()
	return s != nil && slices.ContainsFunc(s.AllOf, func(p *oabase.SchemaProxy) bool {
		return p.GetReference() == "#/components/schemas/Error"
	})
}

// TestOpenAPIServed fetches the document without credentials: it is the
// file in the repository, byte for byte.
func TestOpenAPIServed(t *testing.T) {
	e := sharedEnv(t)
	c := mustLoadContract(t)
	r := e.get(t, "/api/v1/openapi.json", noCreds)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d, want 200; body %.300s", r.status, r.raw)
	}
	if r.raw != string(c.doc) {
		t.Errorf("the served document is not openapi.json (%d bytes served, %d in the file)", len(r.raw), len(c.doc))
	}
	wantError(t, e.get(t, "/api/v1/openapi.json?x=1", noCreds), http.StatusBadRequest, "validation_error")
}

// TestContractCheckCatchesMismatches proves that the validation every
// HTTP test runs under fails answers the document does not allow: a
// missing field, an undeclared field, an undeclared status, a missing
// header, a wrong error code, a non-error body where no route is, and a
// success for a request the document would refuse.
func TestContractCheckCatchesMismatches(t *testing.T) {
	c := mustLoadContract(t)
	routes := routeMux(httpapi.NewServer(httpapi.Config{}))
	goodHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"req_1"}, "Cache-Control": {"no-store"}}
	balance := `{"auth_id":"MA_48149cf4","name":"Credresolve","balance":2450.00,"currency":"INR","last_updated":"2026-03-25T09:55:32Z","reserved":0.00,"available":2450.00}`
	emptyList := `{"data":[],"meta":{"total":0,"page":1,"size":100,"per_page":100,"total_pages":0}}`
	notFound := `{"error":"account_not_found","message":"No such account.","request_id":"req_1"}`
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantOK             bool
	}{
		{"valid balance", "GET", base + "/accounts/MA_48149cf4/balance", 200, goodHeader, balance, true},
		{"valid 404", "GET", base + "/accounts/MA_48149cf4/balance", 404, goodHeader, notFound, true},
		{"valid route_not_found", "GET", "/nowhere", 404, goodHeader, strings.ReplaceAll(notFound, "account_not_found", "route_not_found"), true},
		{"missing field", "GET", base + "/accounts/MA_48149cf4/balance", 200, goodHeader, strings.Replace(balance, `"name":"Credresolve",`, "", 1), false},
		{"undeclared field", "GET", base + "/accounts/MA_48149cf4/balance", 200, goodHeader, strings.Replace(balance, `{`, `{"extra":1,`, 1), false},
		{"money as a string", "GET", base + "/accounts/MA_48149cf4/balance", 200, goodHeader, strings.Replace(balance, `2450.00,"currency"`, `"2450.00","currency"`, 1), false},
		{"undeclared status", "GET", base + "/accounts/MA_48149cf4/balance", 418, goodHeader, notFound, false},
		{"missing X-Request-Id", "GET", base + "/accounts/MA_48149cf4/balance", 200, withoutHeader(goodHeader, "X-Request-Id"), balance, false},
		{"missing Cache-Control", "GET", base + "/accounts/MA_48149cf4/balance", 200, withoutHeader(goodHeader, "Cache-Control"), balance, false},
		{"wrong error code", "GET", base + "/accounts/MA_48149cf4/balance", 404, goodHeader, strings.ReplaceAll(notFound, "account_not_found", "email_taken"), false},
		{"error without request_id", "GET", base + "/accounts/MA_48149cf4/balance", 404, goodHeader, `{"error":"account_not_found","message":"No."}`, false},
		{"unrouted non-error body", "GET", "/nowhere", 404, goodHeader, `{"status":"ok"}`, false},
		{"unrouted 200", "GET", "/nowhere", 200, goodHeader, `{"status":"ok"}`, false},
		{"valid list", "GET", base + "/accounts?size=100", 200, goodHeader, emptyList, true},
		{"2xx to a request the document refuses", "GET", base + "/accounts?size=500", 200, goodHeader, emptyList, false},
		{"405 without Allow", "PUT", base + "/me", 405, goodHeader, strings.ReplaceAll(notFound, "account_not_found", "method_not_allowed"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://partnerd.test"+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Auth-ID", "PA_7K2M9Q4X")
			req.Header.Set("X-Auth-Token", "sk_live_3xAmPle9T0kEn4Cust0merZq81LmNoPqRs")
			resp := &http.Response{StatusCode: tt.status, Header: tt.header.Clone(), Request: req,
				Body: io.NopCloser(strings.NewReader(tt.body))}
			problems := c.problems(routes, req, resp)
			if got := len(problems) == 0; got != tt.wantOK {
				t.Errorf("valid = %v, want %v; problems: %s", got, tt.wantOK, fmt.Sprint(problems))
			}
		})
	}
}

func withoutHeader(h http.Header, name string) http.Header {
	h = h.Clone()
	h.Del(name)
	return h
}
