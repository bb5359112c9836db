package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/validate"
)

// Condition fields.
const (
	FieldChannel     = "channel"
	FieldSubject     = "subject"
	FieldDescription = "description"
	FieldPriority    = "priority"
	FieldEmail       = "email"
	FieldEmailDomain = "email_domain"
	FieldTags        = "tags"
	// FieldAuthor is who wrote the reply of a reply.created (customer or
	// agent); empty for other events.
	FieldAuthor = "author"
)

// Fields lists the condition fields.
var Fields = []string{FieldChannel, FieldSubject, FieldDescription, FieldPriority, FieldEmail, FieldEmailDomain, FieldTags, FieldAuthor}

// Condition operators.
const (
	OpEquals      = "equals"
	OpNotEquals   = "not_equals"
	OpContains    = "contains"
	OpNotContains = "not_contains"
	OpStartsWith  = "starts_with"
	OpEndsWith    = "ends_with"
	OpMatches     = "matches"
	OpIn          = "in"
	OpIsEmpty     = "is_empty"
	OpIsNotEmpty  = "is_not_empty"
)

// Operators lists the condition operators.
var Operators = []string{OpEquals, OpNotEquals, OpContains, OpNotContains, OpStartsWith, OpEndsWith, OpMatches, OpIn, OpIsEmpty, OpIsNotEmpty}

// Action types.
const (
	ActAddTag        = "add_tag"
	ActRemoveTag     = "remove_tag"
	ActSetPriority   = "set_priority"
	ActAssign        = "assign"
	ActSetDepartment = "set_department"
	ActSendWebhook   = "send_webhook"
	ActClose         = "close"
	ActDelay         = "delay"
)

// ActionTypes lists the action types.
var ActionTypes = []string{ActAddTag, ActRemoveTag, ActSetPriority, ActAssign, ActSetDepartment, ActSendWebhook, ActClose, ActDelay}

// Limits of a rule.
const (
	MaxName          = 100
	MaxConditions    = 50 // per group
	MaxInValues      = 50
	MaxValue         = 500 // characters of a condition value (a pattern too)
	MaxInValue       = 200
	MaxActions       = 20
	MaxTag           = 50 // GitHub's label limit
	MaxDepartment    = 45 // "dept:" + name within a label
	MaxWebhookURL    = 2000
	MaxAssignees     = 10 // GitHub's limit per issue
	MinWebhookSecret = 16
	MaxWebhookSecret = 200
	// maxPatternInsts bounds the compiled size of a matches pattern (RE2
	// runs in linear time; this keeps its memory small too).
	maxPatternInsts = 5000
	// DepartmentPrefix starts the tag (and GitHub label) of a department.
	DepartmentPrefix = "dept:"
)

// Condition is one test of a ticket: Field Operator Value. Value is a string,
// a list of strings (in), or absent (is_empty, is_not_empty).
type Condition struct {
	Field    string
	Operator string
	Value    string
	Values   []string
}

// MarshalJSON writes {field, operator, value} with value a string, a list or
// nothing.
func (c Condition) MarshalJSON() ([]byte, error) {
	type out struct {
		Field    string `json:"field"`
		Operator string `json:"operator"`
		Value    any    `json:"value,omitempty"`
	}
	o := out{Field: c.Field, Operator: c.Operator}
	switch {
	case c.Operator == OpIn:
		o.Value = c.Values
	case c.Value != "":
		o.Value = c.Value
	}
	return json.Marshal(o)
}

// Conditions are the two groups of a rule: every condition of All and at
// least one of Any must hold (a group left out does not count).
type Conditions struct {
	All []Condition `json:"all,omitempty"`
	Any []Condition `json:"any,omitempty"`
}

// Action is one thing a rule does; Value is its argument (a tag, a
// priority, logins, a department, a URL, a duration such as 7d; none for
// close).
type Action struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// Definition is a validated rule, as stored.
type Definition struct {
	Name           string
	Trigger        string
	Conditions     Conditions
	Actions        []Action
	StopProcessing bool
	Enabled        bool
}

// RuleInput is a rule as an admin sends it; every field is checked and
// reported as a field error, never as a failed decode.
type RuleInput struct {
	Name           json.RawMessage `json:"name"`
	Trigger        json.RawMessage `json:"trigger"`
	Conditions     json.RawMessage `json:"conditions"`
	Actions        json.RawMessage `json:"actions"`
	StopProcessing json.RawMessage `json:"stop_processing"`
	Enabled        json.RawMessage `json:"enabled"`
	WebhookSecret  json.RawMessage `json:"webhook_secret"`
}

// parsed is a definition with its compiled conditions.
type parsed struct {
	def      Definition
	compiled *compiledConditions
	// secret is the webhook secret given (nil: none given).
	secret *string
}

// absent reports whether a JSON value is missing or null.
func absent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// parseRule validates a rule. priorities are the configured ones (for
// set_priority); current is the stored rule for an edit (nil: a new rule),
// whose enabled flag stays when the input leaves it out. checkURL, when
// set, vets each webhook URL's destination ("" when fine).
func parseRule(in RuleInput, priorities []string, current *Definition, checkURL func(string) string) (parsed, model.FieldErrors) {
	errs := model.FieldErrors{}
	var p parsed

	var name string
	if absent(in.Name) || json.Unmarshal(in.Name, &name) != nil {
		errs["name"] = "is required (a string)"
	} else if name = strings.TrimSpace(name); name == "" {
		errs["name"] = "is required"
	} else if n := utf8.RuneCountInString(name); n > MaxName {
		errs["name"] = fmt.Sprintf("must be at most %d characters (it has %d)", MaxName, n)
	} else if hasControl(name) {
		errs["name"] = "must not contain control characters"
	}
	p.def.Name = name

	var trigger string
	if absent(in.Trigger) || json.Unmarshal(in.Trigger, &trigger) != nil || !slices.Contains(events.Kinds, trigger) {
		errs["trigger"] = "must be one of " + strings.Join(events.Kinds, ", ")
	}
	p.def.Trigger = trigger

	p.def.Conditions = parseConditions(in.Conditions, trigger, errs)
	p.def.Actions = parseActions(in.Actions, priorities, errs, checkURL)

	if !absent(in.StopProcessing) && json.Unmarshal(in.StopProcessing, &p.def.StopProcessing) != nil {
		errs["stop_processing"] = "must be true or false"
	}
	p.def.Enabled = true
	if current != nil {
		p.def.Enabled = current.Enabled
	}
	if !absent(in.Enabled) && json.Unmarshal(in.Enabled, &p.def.Enabled) != nil {
		errs["enabled"] = "must be true or false"
	}
	if !absent(in.WebhookSecret) {
		var secret string
		switch {
		case json.Unmarshal(in.WebhookSecret, &secret) != nil:
			errs["webhook_secret"] = "must be a string"
		case secret == "":
			// Empty: keep the current secret (or generate one).
		case len(secret) < MinWebhookSecret || len(secret) > MaxWebhookSecret:
			errs["webhook_secret"] = fmt.Sprintf("must be %d to %d characters", MinWebhookSecret, MaxWebhookSecret)
		case hasControl(secret) || strings.TrimSpace(secret) != secret:
			errs["webhook_secret"] = "must not contain control characters or surrounding spaces"
		default:
			p.secret = &secret
		}
	}
	if len(errs) > 0 {
		return parsed{}, errs
	}
	compiled, err := compileConditions(p.def.Conditions)
	if err != nil { // not reached: parseConditions compiled each pattern
		return parsed{}, model.FieldErrors{"conditions": err.Error()}
	}
	p.compiled = compiled
	return p, nil
}

func parseConditions(raw json.RawMessage, trigger string, errs model.FieldErrors) Conditions {
	var groups struct {
		All *[]json.RawMessage `json:"all"`
		Any *[]json.RawMessage `json:"any"`
	}
	if absent(raw) {
		errs["conditions"] = `is required: {"all": [...], "any": [...]} with at least one condition`
		return Conditions{}
	}
	if err := json.Unmarshal(raw, &groups); err != nil {
		errs["conditions"] = `must be an object {"all": [...], "any": [...]}`
		return Conditions{}
	}
	var out Conditions
	group := func(name string, list *[]json.RawMessage) []Condition {
		if list == nil {
			return nil
		}
		key := "conditions." + name
		switch n := len(*list); {
		case n == 0:
			errs[key] = "is empty: add a condition or leave the group out (an empty group would match every ticket)"
			return nil
		case n > MaxConditions:
			errs[key] = fmt.Sprintf("must have at most %d conditions", MaxConditions)
			return nil
		}
		conds := make([]Condition, 0, len(*list))
		for i, item := range *list {
			conds = append(conds, parseCondition(item, fmt.Sprintf("%s[%d]", key, i), trigger, errs))
		}
		return conds
	}
	out.All = group("all", groups.All)
	out.Any = group("any", groups.Any)
	if groups.All == nil && groups.Any == nil {
		errs["conditions"] = "needs at least one condition in all or any (a rule without conditions would match every ticket)"
	}
	return out
}

var channels = []string{model.ChannelWidget, model.ChannelEmail, model.ChannelPortal}
var authors = []string{events.AuthorCustomer, events.AuthorAgent}

func parseCondition(raw json.RawMessage, key, trigger string, errs model.FieldErrors) Condition {
	var in struct {
		Field    json.RawMessage `json:"field"`
		Operator json.RawMessage `json:"operator"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		errs[key] = "must be an object {field, operator, value}"
		return Condition{}
	}
	var c Condition
	if json.Unmarshal(in.Field, &c.Field) != nil || !slices.Contains(Fields, c.Field) {
		errs[key+".field"] = "must be one of " + strings.Join(Fields, ", ")
	}
	if json.Unmarshal(in.Operator, &c.Operator) != nil || !slices.Contains(Operators, c.Operator) {
		errs[key+".operator"] = "must be one of " + strings.Join(Operators, ", ")
		return c
	}
	if c.Field == FieldAuthor {
		if trigger != events.ReplyCreated {
			errs[key+".field"] = "author is only known for reply.created"
		} else if c.Operator != OpEquals && c.Operator != OpNotEquals && c.Operator != OpIn {
			errs[key+".operator"] = "author takes equals, not_equals or in"
		}
	}
	vkey := key + ".value"
	switch c.Operator {
	case OpIsEmpty, OpIsNotEmpty:
		var s string
		if !absent(in.Value) && (json.Unmarshal(in.Value, &s) != nil || s != "") {
			errs[vkey] = c.Operator + " takes no value"
		}
	case OpIn:
		var list []string
		if absent(in.Value) || json.Unmarshal(in.Value, &list) != nil {
			errs[vkey] = "must be a list of strings"
			return c
		}
		for _, v := range list {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(c.Values, v) {
				c.Values = append(c.Values, v)
			}
		}
		switch {
		case len(c.Values) == 0:
			errs[vkey] = "must list at least one value"
		case len(c.Values) > MaxInValues:
			errs[vkey] = fmt.Sprintf("must list at most %d values", MaxInValues)
		default:
			for _, v := range c.Values {
				if msg := checkValue(c.Field, v, MaxInValue); msg != "" {
					errs[vkey] = msg
					break
				}
			}
		}
	default:
		if absent(in.Value) || json.Unmarshal(in.Value, &c.Value) != nil {
			errs[vkey] = "must be a string"
			return c
		}
		if c.Operator != OpMatches {
			c.Value = strings.TrimSpace(c.Value)
		}
		if c.Value == "" {
			errs[vkey] = "is required"
			return c
		}
		if c.Operator == OpMatches {
			if msg := checkPattern(c.Value); msg != "" {
				errs[vkey] = msg
			}
			return c
		}
		if c.Operator == OpEquals || c.Operator == OpNotEquals {
			if msg := checkValue(c.Field, c.Value, MaxValue); msg != "" {
				errs[vkey] = msg
			}
		} else if n := utf8.RuneCountInString(c.Value); n > MaxValue {
			errs[vkey] = fmt.Sprintf("must be at most %d characters", MaxValue)
		}
	}
	return c
}

// checkValue checks a value compared for equality: channels and authors
// have a fixed set.
func checkValue(field, v string, limit int) string {
	if n := utf8.RuneCountInString(v); n > limit {
		return fmt.Sprintf("must be at most %d characters", limit)
	}
	switch field {
	case FieldChannel:
		if !slices.Contains(channels, strings.ToLower(v)) {
			return fmt.Sprintf("%q is not a channel (%s)", v, strings.Join(channels, ", "))
		}
	case FieldAuthor:
		if !slices.Contains(authors, strings.ToLower(v)) {
			return fmt.Sprintf("%q is not an author (%s)", v, strings.Join(authors, ", "))
		}
	}
	return ""
}

// checkPattern compiles an RE2 pattern and bounds its size.
func checkPattern(p string) string {
	if n := utf8.RuneCountInString(p); n > MaxValue {
		return fmt.Sprintf("must be at most %d characters", MaxValue)
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return "is not a valid RE2 pattern: " + err.Error()
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return "is not a valid RE2 pattern: " + err.Error()
	}
	if len(prog.Inst) > maxPatternInsts {
		return "is too complex (make it shorter or use fewer repetitions)"
	}
	return ""
}

func parseActions(raw json.RawMessage, priorities []string, errs model.FieldErrors, checkURL func(string) string) []Action {
	var list []json.RawMessage
	if absent(raw) || json.Unmarshal(raw, &list) != nil {
		errs["actions"] = "must be a list of actions {type, value}"
		return nil
	}
	switch n := len(list); {
	case n == 0:
		errs["actions"] = "must have at least one action"
		return nil
	case n > MaxActions:
		errs["actions"] = fmt.Sprintf("must have at most %d actions", MaxActions)
		return nil
	}
	out := make([]Action, 0, len(list))
	for i, item := range list {
		key := fmt.Sprintf("actions[%d]", i)
		var in struct {
			Type  json.RawMessage `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(item, &in) != nil {
			errs[key] = "must be an object {type, value}"
			continue
		}
		var a Action
		if json.Unmarshal(in.Type, &a.Type) != nil || !slices.Contains(ActionTypes, a.Type) {
			errs[key+".type"] = "must be one of " + strings.Join(ActionTypes, ", ")
			continue
		}
		var value string
		if !absent(in.Value) && json.Unmarshal(in.Value, &value) != nil {
			errs[key+".value"] = "must be a string"
			continue
		}
		var msg string
		a.Value, msg = checkAction(a.Type, strings.TrimSpace(value), priorities)
		if msg == "" && a.Type == ActSendWebhook && checkURL != nil {
			msg = checkURL(a.Value)
		}
		if msg != "" {
			errs[key+".value"] = msg
		}
		out = append(out, a)
	}
	if len(out) > 0 && out[len(out)-1].Type == ActDelay {
		errs[fmt.Sprintf("actions[%d].type", len(out)-1)] = "a delay must be followed by the actions it delays"
	}
	return out
}

var loginPattern = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)

// checkAction validates and normalizes an action's value.
func checkAction(typ, v string, priorities []string) (string, string) {
	switch typ {
	case ActAddTag, ActRemoveTag:
		return NormalizeTag(v)
	case ActSetDepartment:
		tag, msg := NormalizeTag(v)
		if msg == "" && utf8.RuneCountInString(tag) > MaxDepartment {
			msg = fmt.Sprintf("must be at most %d characters", MaxDepartment)
		}
		if msg == "" && strings.HasPrefix(tag, DepartmentPrefix) {
			tag = strings.TrimPrefix(tag, DepartmentPrefix)
		}
		return tag, msg
	case ActSetPriority:
		if !slices.Contains(priorities, v) {
			return v, fmt.Sprintf("must be one of the configured priorities (%s)", strings.Join(priorities, ", "))
		}
		return v, ""
	case ActAssign:
		logins := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		if len(logins) == 0 {
			return v, "must name one or more GitHub logins"
		}
		if len(logins) > MaxAssignees {
			return v, fmt.Sprintf("must name at most %d GitHub logins", MaxAssignees)
		}
		var out []string
		for _, l := range logins {
			l = strings.TrimPrefix(l, "@")
			if !loginPattern.MatchString(l) {
				return v, fmt.Sprintf("%q is not a GitHub login", l)
			}
			if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, l) }) {
				out = append(out, l)
			}
		}
		return strings.Join(out, ","), ""
	case ActSendWebhook:
		if v == "" {
			return v, "must be the URL to POST to"
		}
		if len(v) > MaxWebhookURL {
			return v, fmt.Sprintf("must be at most %d characters", MaxWebhookURL)
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			return v, "must be an http(s) URL without a #fragment"
		}
		if u.User != nil {
			// It would be shown in the rule and the run log; the signature
			// header authenticates the request.
			return v, "must not contain a user or password"
		}
		return v, ""
	case ActClose:
		if v != "" {
			return v, "close takes no value"
		}
		return "", ""
	case ActDelay:
		d, msg := validate.Retention(v)
		if msg != "" {
			return v, msg
		}
		return validate.FormatRetention(d), ""
	}
	return v, "unknown action"
}

// NormalizeTag lowercases and trims a tag and checks it: 1 to 50
// characters, no commas or control characters.
func NormalizeTag(v string) (string, string) {
	tag := strings.ToLower(strings.Join(strings.Fields(v), " "))
	switch {
	case tag == "":
		return tag, "must name a tag"
	case utf8.RuneCountInString(tag) > MaxTag:
		return tag, fmt.Sprintf("must be at most %d characters", MaxTag)
	case strings.ContainsRune(tag, ',') || hasControl(tag):
		return tag, "must not contain commas or control characters"
	}
	return tag, ""
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// DepartmentTag is the tag (and GitHub label) of a department.
func DepartmentTag(name string) string { return DepartmentPrefix + name }
