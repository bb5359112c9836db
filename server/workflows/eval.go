package workflows

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Facts are what conditions look at: the ticket when the event is handled.
type Facts struct {
	Channel     string   `json:"channel"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Priority    string   `json:"priority"`
	Email       string   `json:"email"`
	EmailDomain string   `json:"email_domain"`
	Tags        []string `json:"tags"`
	// Author is customer or agent for reply.created, "" otherwise.
	Author string `json:"author"`
}

// scalar returns a text field's value.
func (f Facts) scalar(field string) string {
	switch field {
	case FieldChannel:
		return f.Channel
	case FieldSubject:
		return f.Subject
	case FieldDescription:
		return f.Description
	case FieldPriority:
		return f.Priority
	case FieldEmail:
		return f.Email
	case FieldEmailDomain:
		return f.EmailDomain
	case FieldAuthor:
		return f.Author
	}
	return ""
}

// Actual is the value a condition saw, for dry runs: a string, or the tags.
func (f Facts) Actual(field string) any {
	if field == FieldTags {
		return f.Tags
	}
	return f.scalar(field)
}

// UnmarshalJSON reads a stored condition (value a string or a list).
func (c *Condition) UnmarshalJSON(b []byte) error {
	var in struct {
		Field    string          `json:"field"`
		Operator string          `json:"operator"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*c = Condition{Field: in.Field, Operator: in.Operator}
	if absent(in.Value) {
		return nil
	}
	if in.Operator == OpIn {
		return json.Unmarshal(in.Value, &c.Values)
	}
	return json.Unmarshal(in.Value, &c.Value)
}

// compiledCondition is a condition ready to test: values lowercased once,
// the pattern compiled once.
type compiledCondition struct {
	Condition
	lower  string
	lowers []string
	re     *regexp.Regexp
}

type compiledConditions struct {
	all, any []compiledCondition
}

func compileConditions(cs Conditions) (*compiledConditions, error) {
	out := &compiledConditions{}
	for _, g := range []struct {
		in  []Condition
		dst *[]compiledCondition
	}{{cs.All, &out.all}, {cs.Any, &out.any}} {
		for _, c := range g.in {
			cc := compiledCondition{Condition: c, lower: strings.ToLower(c.Value)}
			for _, v := range c.Values {
				cc.lowers = append(cc.lowers, strings.ToLower(v))
			}
			if c.Operator == OpMatches {
				if msg := checkPattern(c.Value); msg != "" {
					return nil, fmt.Errorf("pattern %q %s", c.Value, msg)
				}
				re, err := regexp.Compile(c.Value)
				if err != nil {
					return nil, err
				}
				cc.re = re
			}
			*g.dst = append(*g.dst, cc)
		}
	}
	if len(out.all) == 0 && len(out.any) == 0 {
		return nil, fmt.Errorf("no conditions")
	}
	return out, nil
}

// Match reports whether the conditions hold: every condition of all, and at
// least one of any (when any has conditions).
func (cs *compiledConditions) Match(f Facts) bool {
	for _, c := range cs.all {
		if !c.Match(f) {
			return false
		}
	}
	if len(cs.any) == 0 {
		return true
	}
	for _, c := range cs.any {
		if c.Match(f) {
			return true
		}
	}
	return false
}

// Match tests one condition. Text comparisons ignore case; matches is RE2
// as written (case-sensitive unless the pattern says (?i)). On tags, a list,
// equals and contains mean "has this tag", not_equals and not_contains
// "does not have it", starts_with, ends_with and matches "some tag does",
// in "has one of these", is_empty "has no tags".
func (c compiledCondition) Match(f Facts) bool {
	if c.Field == FieldTags {
		return c.matchList(f.Tags)
	}
	v := f.scalar(c.Field)
	lv := strings.ToLower(v)
	switch c.Operator {
	case OpEquals:
		return lv == c.lower
	case OpNotEquals:
		return lv != c.lower
	case OpContains:
		return strings.Contains(lv, c.lower)
	case OpNotContains:
		return !strings.Contains(lv, c.lower)
	case OpStartsWith:
		return strings.HasPrefix(lv, c.lower)
	case OpEndsWith:
		return strings.HasSuffix(lv, c.lower)
	case OpMatches:
		return c.re.MatchString(v)
	case OpIn:
		return slices.Contains(c.lowers, lv)
	case OpIsEmpty:
		return strings.TrimSpace(v) == ""
	case OpIsNotEmpty:
		return strings.TrimSpace(v) != ""
	}
	return false
}

func (c compiledCondition) matchList(tags []string) bool {
	some := func(test func(tag string) bool) bool { return slices.ContainsFunc(tags, test) }
	switch c.Operator {
	case OpEquals, OpContains:
		return some(func(t string) bool { return strings.ToLower(t) == c.lower })
	case OpNotEquals, OpNotContains:
		return !some(func(t string) bool { return strings.ToLower(t) == c.lower })
	case OpStartsWith:
		return some(func(t string) bool { return strings.HasPrefix(strings.ToLower(t), c.lower) })
	case OpEndsWith:
		return some(func(t string) bool { return strings.HasSuffix(strings.ToLower(t), c.lower) })
	case OpMatches:
		return some(c.re.MatchString)
	case OpIn:
		return some(func(t string) bool { return slices.Contains(c.lowers, strings.ToLower(t)) })
	case OpIsEmpty:
		return len(tags) == 0
	case OpIsNotEmpty:
		return len(tags) > 0
	}
	return false
}

// rule is a stored rule ready to evaluate.
type rule struct {
	ID             int64
	Name           string
	Trigger        string
	Enabled        bool
	StopProcessing bool
	Position       int64
	Version        int64
	Conditions     Conditions
	Actions        []Action
	compiled       *compiledConditions
}

// selectRules returns the enabled rules of trigger that match, in order,
// stopping after the first matching rule that stops processing.
// anyEnabledFor reports whether some enabled rule listens to trigger.
func anyEnabledFor(rules []*rule, trigger string) bool {
	for _, r := range rules {
		if r.Enabled && r.Trigger == trigger {
			return true
		}
	}
	return false
}

func selectRules(rules []*rule, trigger string, f Facts) []*rule {
	var out []*rule
	for _, r := range rules {
		if !r.Enabled || r.Trigger != trigger || !r.compiled.Match(f) {
			continue
		}
		out = append(out, r)
		if r.StopProcessing {
			break
		}
	}
	return out
}
