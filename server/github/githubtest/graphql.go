package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The GraphQL endpoint (POST /graphql): GraphQL's wire format, a JSON body
// {"query", "variables"} answered with {"data"} and/or {"errors"}. The
// query is parsed (operations, variables, arguments, aliases, inline
// fragments) and checked against the slice of GitHub's schema the fake
// knows, so a field portico asks for that GitHub does not have fails here
// as it would there; then it is executed against the fake's discussions.

// RouteGraphQL names the GraphQL endpoint, for Fail and Calls.
const RouteGraphQL = "graphql"

// GraphQLFault is an error answer for one top-level field (the mutation or
// query root field named in FailGraphQL): GitHub's "errors" array, with
// the HTTP status (200 unless set) and headers given.
type GraphQLFault struct {
	Status  int
	Type    string
	Message string
	Header  func() http.Header
	// AfterEffect does the work first, then answers with the fault.
	AfterEffect bool
}

// GraphQLRateLimit is GitHub's answer once the GraphQL points are spent:
// 200, an error of type RATE_LIMITED and X-RateLimit-Remaining: 0 with the
// reset time.
func GraphQLRateLimit(reset time.Time) GraphQLFault {
	return GraphQLFault{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for installation ID 1.",
		Header: func() http.Header {
			return http.Header{
				"X-Ratelimit-Limit":     {"5000"},
				"X-Ratelimit-Remaining": {"0"},
				"X-Ratelimit-Used":      {"5000"},
				"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
				"X-Ratelimit-Resource":  {"graphql"},
			}
		}}
}

// GraphQLErr is an error of GitHub's type typ (NOT_FOUND, FORBIDDEN, ...).
func GraphQLErr(typ, message string) GraphQLFault {
	return GraphQLFault{Type: typ, Message: message}
}

// FailGraphQL makes the next operation that has field at its top level
// answer with f (several calls queue several faults).
func (s *Server) FailGraphQL(field string, f GraphQLFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gql.faults[field] = append(s.gql.faults[field], f)
}

// GraphQLCall is one GraphQL operation the fake answered.
type GraphQLCall struct {
	// Operation is "query" or "mutation"; Fields its top-level fields.
	Operation string
	Fields    []string
	Query     string
	Variables map[string]any
	Errors    []string
	At        time.Time
}

// GraphQLCalls returns the operations that had field at their top level
// ("" for all), in order.
func (s *Server) GraphQLCalls(field string) []GraphQLCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []GraphQLCall
	for _, c := range s.gql.calls {
		if field == "" || slices.Contains(c.Fields, field) {
			out = append(out, c)
		}
	}
	return out
}

// gqlError is one entry of the "errors" array.
type gqlError struct {
	Type      string `json:"type,omitempty"`
	Path      []any  `json:"path,omitempty"`
	Locations []any  `json:"locations,omitempty"`
	Message   string `json:"message"`
}

func (s *Server) graphql(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	w.Header().Set("X-RateLimit-Resource", "graphql")
	op, err := parseOperation(in.Query)
	if err == nil {
		err = validate(op)
	}
	call := GraphQLCall{Operation: op.kind, Query: in.Query, Variables: in.Variables, At: time.Now()}
	for _, f := range op.sel {
		if f.field != nil {
			call.Fields = append(call.Fields, f.field.name)
		}
	}
	answer := func(status int, data map[string]any, errs []gqlError) {
		for _, e := range errs {
			call.Errors = append(call.Errors, e.Message)
		}
		s.mu.Lock()
		s.gql.calls = append(s.gql.calls, call)
		s.mu.Unlock()
		out := map[string]any{}
		if data != nil {
			out["data"] = data
		}
		if len(errs) > 0 {
			out["errors"] = errs
		}
		writeJSON(w, status, out)
	}
	if err != nil {
		answer(http.StatusOK, nil, []gqlError{{Message: err.Error(), Locations: []any{map[string]int{"line": 1, "column": 1}}}})
		return
	}
	if in.Variables == nil {
		in.Variables = map[string]any{}
	}
	for _, v := range op.vars {
		if _, ok := in.Variables[v]; !ok && op.required[v] {
			answer(http.StatusOK, nil, []gqlError{{Message: fmt.Sprintf("Variable $%s of type %s was provided invalid value", v, op.types[v])}})
			return
		}
	}

	s.mu.Lock()
	var fault *GraphQLFault
	var faultField string
	for _, name := range call.Fields {
		if q := s.gql.faults[name]; len(q) > 0 {
			fault, faultField = &q[0], name
			s.gql.faults[name] = q[1:]
			break
		}
	}
	var data map[string]any
	var errs []gqlError
	if fault == nil || fault.AfterEffect {
		x := &executor{s: s, vars: in.Variables}
		var root object = queryRoot{}
		if op.kind == "mutation" {
			root = mutationRoot{}
		}
		data = x.object(root, op.sel, nil)
		errs = x.errs
	}
	s.mu.Unlock()
	if fault != nil {
		if fault.Header != nil {
			for k, vs := range fault.Header() {
				w.Header()[http.CanonicalHeaderKey(k)] = vs
			}
		}
		status := fault.Status
		if status == 0 {
			status = http.StatusOK
		}
		answer(status, map[string]any{faultField: nil}, []gqlError{{Type: fault.Type, Path: []any{faultField}, Message: fault.Message}})
		return
	}
	answer(http.StatusOK, data, errs)
}

// Parsing.

type operation struct {
	kind     string // query or mutation
	vars     []string
	types    map[string]string
	required map[string]bool
	sel      []selection
}

// selection is a field or an inline fragment (... on Type { ... }).
type selection struct {
	field *field
	on    string
	frag  []selection
}

type field struct {
	alias, name string
	args        map[string]any // literals, or varRef
	sel         []selection
}

func (f *field) key() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

type varRef string

type enumValue string

type parser struct {
	src string
	pos int
}

func parseOperation(src string) (operation, error) {
	p := &parser{src: src}
	op := operation{kind: "query", types: map[string]string{}, required: map[string]bool{}}
	if name := p.peekName(); name == "query" || name == "mutation" {
		op.kind = p.name()
		if n := p.peekName(); n != "" {
			p.name() // operation name
		}
		if p.peek() == '(' {
			p.next()
			for p.peek() != ')' {
				if err := p.expect('$'); err != nil {
					return op, err
				}
				v := p.name()
				if err := p.expect(':'); err != nil {
					return op, err
				}
				typ, err := p.typeRef()
				if err != nil {
					return op, err
				}
				op.vars = append(op.vars, v)
				op.types[v] = typ
				op.required[v] = strings.HasSuffix(typ, "!")
				if p.peek() == '=' {
					p.next()
					if _, err := p.value(); err != nil {
						return op, err
					}
				}
				if p.peek() == 0 {
					return op, p.fail("unexpected end of variable definitions")
				}
			}
			p.next()
		}
	}
	sel, err := p.selectionSet()
	if err != nil {
		return op, err
	}
	if p.peek() != 0 {
		return op, p.fail("unexpected text after the operation")
	}
	op.sel = sel
	return op, nil
}

func (p *parser) fail(msg string) error {
	return messagef("Parse error on %q (at %d): %s", p.rest(), p.pos, msg)
}

func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20]
	}
	return r
}

// skip passes whitespace, commas (insignificant in GraphQL) and comments.
func (p *parser) skip() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	p.skip()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) next() byte {
	c := p.peek()
	p.pos++
	return c
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		return p.fail(fmt.Sprintf("expected %q", c))
	}
	p.pos++
	return nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || unicode.IsLetter(rune(c)) || (!first && c >= '0' && c <= '9')
}

func (p *parser) peekName() string {
	p.skip()
	end := p.pos
	for end < len(p.src) && isNameByte(p.src[end], end == p.pos) {
		end++
	}
	return p.src[p.pos:end]
}

func (p *parser) name() string {
	n := p.peekName()
	p.pos += len(n)
	return n
}

func (p *parser) typeRef() (string, error) {
	var t string
	if p.peek() == '[' {
		p.next()
		inner, err := p.typeRef()
		if err != nil {
			return "", err
		}
		if err := p.expect(']'); err != nil {
			return "", err
		}
		t = "[" + inner + "]"
	} else {
		t = p.name()
		if t == "" {
			return "", p.fail("expected a type")
		}
	}
	if p.peek() == '!' {
		p.next()
		t += "!"
	}
	return t, nil
}

func (p *parser) selectionSet() ([]selection, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	var out []selection
	for p.peek() != '}' {
		if p.peek() == 0 {
			return nil, p.fail("unexpected end of the selection set")
		}
		if strings.HasPrefix(p.src[p.pos:], "...") {
			p.pos += 3
			if p.name() != "on" {
				return nil, p.fail("only inline fragments (... on Type) are supported")
			}
			typ := p.name()
			frag, err := p.selectionSet()
			if err != nil {
				return nil, err
			}
			out = append(out, selection{on: typ, frag: frag})
			continue
		}
		f := &field{name: p.name()}
		if f.name == "" {
			return nil, p.fail("expected a field")
		}
		if p.peek() == ':' {
			p.next()
			f.alias, f.name = f.name, p.name()
		}
		if p.peek() == '(' {
			p.next()
			f.args = map[string]any{}
			for p.peek() != ')' {
				n := p.name()
				if n == "" {
					return nil, p.fail("expected an argument")
				}
				if err := p.expect(':'); err != nil {
					return nil, err
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				f.args[n] = v
			}
			p.next()
		}
		if p.peek() == '{' {
			sel, err := p.selectionSet()
			if err != nil {
				return nil, err
			}
			f.sel = sel
		}
		out = append(out, selection{field: f})
	}
	p.next()
	if len(out) == 0 {
		return nil, p.fail("empty selection set")
	}
	return out, nil
}

func (p *parser) value() (any, error) {
	switch c := p.peek(); {
	case c == '$':
		p.next()
		return varRef(p.name()), nil
	case c == '"':
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && p.src[p.pos] != '"' {
			if p.src[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		p.pos++
		s, err := strconv.Unquote(p.src[start:min(p.pos, len(p.src))])
		if err != nil {
			return nil, p.fail("bad string")
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		n, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, p.fail("bad number")
		}
		return n, nil
	case c == '[':
		p.next()
		list := []any{}
		for p.peek() != ']' {
			if p.peek() == 0 {
				return nil, p.fail("unexpected end of a list")
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		p.next()
		return list, nil
	case c == '{':
		p.next()
		obj := map[string]any{}
		for p.peek() != '}' {
			n := p.name()
			if n == "" {
				return nil, p.fail("expected an object field")
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			obj[n] = v
		}
		p.next()
		return obj, nil
	default:
		switch n := p.name(); n {
		case "":
			return nil, p.fail("expected a value")
		case "true", "false":
			return n == "true", nil
		case "null":
			return nil, nil
		default:
			return enumValue(n), nil
		}
	}
}

// message is an error as GitHub words it, capital letter and all: it is
// what the fake answers.
type message string

func (m message) Error() string { return string(m) }

func messagef(format string, args ...any) error { return message(fmt.Sprintf(format, args...)) }

// Validation against the part of GitHub's schema the fake serves: type →
// field → the field's type (scalars are the names in scalars).

var schema = map[string]map[string]string{
	"Query":    {"repository": "Repository", "node": "Node"},
	"Mutation": {"createDiscussion": "CreateDiscussionPayload", "addDiscussionComment": "AddDiscussionCommentPayload", "closeDiscussion": "CloseDiscussionPayload", "reopenDiscussion": "ReopenDiscussionPayload", "addReaction": "AddReactionPayload", "updateDiscussion": "UpdateDiscussionPayload", "updateDiscussionComment": "UpdateDiscussionCommentPayload"},

	"CreateDiscussionPayload":        {"clientMutationId": "String", "discussion": "Discussion"},
	"CloseDiscussionPayload":         {"clientMutationId": "String", "discussion": "Discussion"},
	"ReopenDiscussionPayload":        {"clientMutationId": "String", "discussion": "Discussion"},
	"UpdateDiscussionPayload":        {"clientMutationId": "String", "discussion": "Discussion"},
	"AddDiscussionCommentPayload":    {"clientMutationId": "String", "comment": "DiscussionComment"},
	"UpdateDiscussionCommentPayload": {"clientMutationId": "String", "comment": "DiscussionComment"},
	"AddReactionPayload":             {"clientMutationId": "String", "reaction": "Reaction", "subject": "Reactable"},
	"Reaction":                       {"id": "ID", "content": "ReactionContent"},
	"Reactable":                      {"id": "ID"},

	"Repository": {"id": "ID", "name": "String", "nameWithOwner": "String", "hasDiscussionsEnabled": "Boolean",
		"discussionCategories": "DiscussionCategoryConnection", "discussions": "DiscussionConnection", "discussion": "Discussion"},
	"DiscussionCategoryConnection": {"nodes": "DiscussionCategory", "totalCount": "Int", "pageInfo": "PageInfo"},
	"DiscussionConnection":         {"nodes": "Discussion", "totalCount": "Int", "pageInfo": "PageInfo"},
	"DiscussionCommentConnection":  {"nodes": "DiscussionComment", "totalCount": "Int", "pageInfo": "PageInfo"},
	"PageInfo":                     {"hasNextPage": "Boolean", "hasPreviousPage": "Boolean", "endCursor": "String", "startCursor": "String"},
	"DiscussionCategory":           {"id": "ID", "name": "String", "slug": "String", "emoji": "String", "description": "String", "isAnswerable": "Boolean"},
	"Discussion": {"id": "ID", "databaseId": "Int", "number": "Int", "title": "String", "body": "String", "url": "URI",
		"closed": "Boolean", "closedAt": "DateTime", "stateReason": "DiscussionStateReason", "createdAt": "DateTime",
		"updatedAt": "DateTime", "category": "DiscussionCategory", "comments": "DiscussionCommentConnection", "author": "Actor"},
	"DiscussionComment": {"id": "ID", "databaseId": "Int", "body": "String", "url": "URI", "createdAt": "DateTime",
		"updatedAt": "DateTime", "author": "Actor", "discussion": "Discussion"},
	"Actor": {"login": "String"},
	"Node":  {"id": "ID"},
}

var scalars = map[string]bool{"ID": true, "String": true, "Int": true, "Boolean": true, "DateTime": true, "URI": true,
	"ReactionContent": true, "DiscussionStateReason": true}

// implements says which types an abstract type's fragments may name.
var implements = map[string][]string{
	"Node":      {"Discussion", "DiscussionComment", "DiscussionCategory", "Repository"},
	"Reactable": {"Discussion", "DiscussionComment"},
}

func validate(op operation) error {
	root := "Query"
	if op.kind == "mutation" {
		root = "Mutation"
	}
	return validateSel(root, op.sel)
}

func validateSel(typ string, sel []selection) error {
	for _, s := range sel {
		if s.field == nil {
			if s.on != typ && !slices.Contains(implements[typ], s.on) {
				return messagef("Fragment on %s can't be spread inside %s", s.on, typ)
			}
			if err := validateSel(s.on, s.frag); err != nil {
				return err
			}
			continue
		}
		f := s.field
		if f.name == "__typename" {
			continue
		}
		ft, ok := schema[typ][f.name]
		if !ok {
			return messagef("Field '%s' doesn't exist on type '%s'", f.name, typ)
		}
		switch {
		case scalars[ft] && f.sel != nil:
			return messagef("Selections can't be made on scalars (field '%s' returns %s but has selections %v)", f.name, ft, "[...]")
		case !scalars[ft] && f.sel == nil:
			return messagef("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", f.name, ft, f.name)
		case !scalars[ft]:
			if err := validateSel(ft, f.sel); err != nil {
				return err
			}
		}
	}
	return nil
}

// Execution.

// object is what a resolver returns for a field of an object type.
type object interface {
	typeName() string
	// resolve answers a field; an error is a field error (GitHub's type and
	// message), the field then null.
	resolve(x *executor, name string, args map[string]any) (any, *gqlError)
}

type executor struct {
	s    *Server
	vars map[string]any
	errs []gqlError
}

// object projects the selection of an object; path names it in errors.
func (x *executor) object(o object, sel []selection, path []any) map[string]any {
	out := map[string]any{}
	for _, s := range sel {
		if s.field == nil {
			if s.on == o.typeName() {
				for k, v := range x.object(o, s.frag, path) {
					out[k] = v
				}
			}
			continue
		}
		f := s.field
		p := append(slices.Clone(path), f.key())
		if f.name == "__typename" {
			out[f.key()] = o.typeName()
			continue
		}
		v, err := o.resolve(x, f.name, x.args(f.args))
		if err != nil {
			err.Path = p
			x.errs = append(x.errs, *err)
			out[f.key()] = nil
			continue
		}
		out[f.key()] = x.value(v, f.sel, p)
	}
	return out
}

func (x *executor) value(v any, sel []selection, path []any) any {
	switch v := v.(type) {
	case object:
		if v == nil {
			return nil
		}
		return x.object(v, sel, path)
	case []object:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = x.object(o, sel, append(slices.Clone(path), i))
		}
		return out
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case *time.Time:
		if v == nil {
			return nil
		}
		return v.UTC().Format(time.RFC3339)
	}
	return v
}

// args replaces variables by their values.
func (x *executor) args(raw map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range raw {
		out[k] = x.resolveValue(v)
	}
	return out
}

func (x *executor) resolveValue(v any) any {
	switch v := v.(type) {
	case varRef:
		return x.vars[string(v)]
	case enumValue:
		return string(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = x.resolveValue(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = x.resolveValue(e)
		}
		return out
	}
	return v
}

// Argument helpers.

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argInt(args map[string]any, name string) (int, bool) {
	switch n := args[name].(type) {
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func argInput(args map[string]any) map[string]any {
	in, _ := args["input"].(map[string]any)
	if in == nil {
		return map[string]any{}
	}
	return in
}

func notFoundNode(id string) *gqlError {
	return &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id)}
}

// page cuts a connection: first (1 to 100, required, as GitHub's node
// limit says) and after (a cursor this fake made).
func page[T any](items []T, args map[string]any, connection string) ([]T, bool, string, *gqlError) {
	first, ok := argInt(args, "first")
	if !ok {
		return nil, false, "", &gqlError{Type: "MISSING_PAGINATION_BOUNDARIES",
			Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", connection)}
	}
	if first < 1 || first > 100 {
		return nil, false, "", &gqlError{Type: "EXCESSIVE_PAGINATION",
			Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of 100 records.", first, connection)}
	}
	from := 0
	if after := argString(args, "after"); after != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(after, "cursor:"))
		if err != nil {
			return nil, false, "", &gqlError{Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", after)}
		}
		from = n
	}
	from = min(from, len(items))
	to := min(from+first, len(items))
	return items[from:to], to < len(items), "cursor:" + strconv.Itoa(to), nil
}

type connection struct {
	typ      string
	nodes    []object
	total    int
	hasNext  bool
	endCurso string
}

func (c connection) typeName() string { return c.typ }

func (c connection) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "nodes":
		return c.nodes, nil
	case "totalCount":
		return c.total, nil
	case "pageInfo":
		return pageInfo{hasNext: c.hasNext, end: c.endCurso}, nil
	}
	return nil, unknownField("connection", name)
}

type pageInfo struct {
	hasNext bool
	end     string
}

func (pageInfo) typeName() string { return "PageInfo" }

func (p pageInfo) resolve(_ *executor, name string, _ map[string]any) (any, *gqlError) {
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return false, nil
	case "endCursor":
		return p.end, nil
	case "startCursor":
		return "", nil
	}
	return nil, unknownField("PageInfo", name)
}

func unknownField(typ, name string) *gqlError {
	return &gqlError{Message: fmt.Sprintf("the fake does not serve %s.%s", typ, name)}
}
