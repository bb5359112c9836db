package workflows

import (
	"encoding/json"
	"strings"
	"testing"
)

var priorities = []string{"low", "medium", "high", "urgent"}

func mustParse(t *testing.T, body string) parsed {
	t.Helper()
	var in RuleInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	p, errs := parseRule(in, priorities, nil, nil)
	if len(errs) > 0 {
		t.Fatalf("rule refused: %v\n%s", errs, body)
	}
	return p
}

func cond(field, op string, value any) string {
	c := map[string]any{"field": field, "operator": op}
	if value != nil {
		c["value"] = value
	}
	b, _ := json.Marshal(c)
	return string(b)
}

var facts = Facts{
	Channel: "widget", Subject: "Site OUTAGE in EU", Description: "Everything is down since 10:00.\nHelp!",
	Priority: "high", Email: "ada@billing.example.com", EmailDomain: "billing.example.com",
	Tags: []string{"from-widget", "dept:billing", "vip"},
}

// TestOperators checks every operator on text fields and on tags.
func TestOperators(t *testing.T) {
	cases := []struct {
		field, op string
		value     any
		want      bool
	}{
		{"subject", OpEquals, "site outage in eu", true},
		{"subject", OpEquals, "site outage", false},
		{"channel", OpEquals, "Widget", true},
		{"priority", OpNotEquals, "urgent", true},
		{"priority", OpNotEquals, "HIGH", false},
		{"subject", OpContains, "outage", true},
		{"description", OpContains, "DOWN SINCE", true},
		{"subject", OpContains, "billing", false},
		{"subject", OpNotContains, "billing", true},
		{"subject", OpNotContains, "Outage", false},
		{"email", OpStartsWith, "ADA@", true},
		{"email", OpStartsWith, "bob@", false},
		{"email_domain", OpEndsWith, "example.com", true},
		{"email_domain", OpEndsWith, "example.org", false},
		{"subject", OpMatches, `OUTAGE in (EU|US)$`, true},
		{"subject", OpMatches, `outage`, false}, // RE2 is case-sensitive
		{"subject", OpMatches, `(?i)outage`, true},
		{"description", OpMatches, `(?m)^Help!$`, true},
		{"email_domain", OpIn, []string{"example.org", "Billing.Example.com"}, true},
		{"email_domain", OpIn, []string{"example.org"}, false},
		{"priority", OpIsEmpty, nil, false},
		{"priority", OpIsNotEmpty, nil, true},
		{"email", OpIsEmpty, nil, false},
		// tags: a list
		{"tags", OpEquals, "VIP", true},
		{"tags", OpContains, "vip", true},
		{"tags", OpContains, "vi", false},
		{"tags", OpNotEquals, "vip", false},
		{"tags", OpNotContains, "spam", true},
		{"tags", OpStartsWith, "dept:", true},
		{"tags", OpEndsWith, "-widget", true},
		{"tags", OpEndsWith, "-email", false},
		{"tags", OpMatches, `^dept:(billing|sales)$`, true},
		{"tags", OpIn, []string{"spam", "VIP"}, true},
		{"tags", OpIn, []string{"spam"}, false},
		{"tags", OpIsEmpty, nil, false},
		{"tags", OpIsNotEmpty, nil, true},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.op] = true
		p := mustParse(t, `{"name":"r","trigger":"ticket.created","conditions":{"all":[`+cond(c.field, c.op, c.value)+`]},"actions":[{"type":"close"}]}`)
		if got := p.compiled.Match(facts); got != c.want {
			t.Errorf("%s %s %v = %v, want %v", c.field, c.op, c.value, got, c.want)
		}
	}
	for _, op := range Operators {
		if !seen[op] {
			t.Errorf("operator %s not tested", op)
		}
	}
	// Empty values and an empty tag list.
	empty := Facts{Channel: "email", Subject: "x"}
	for _, c := range []struct {
		field, op string
		value     any
		want      bool
	}{{"email", OpIsEmpty, nil, true}, {"email_domain", OpIsNotEmpty, nil, false}, {"tags", OpIsEmpty, nil, true}, {"tags", OpNotContains, "vip", true}} {
		p := mustParse(t, `{"name":"r","trigger":"ticket.created","conditions":{"all":[`+cond(c.field, c.op, c.value)+`]},"actions":[{"type":"close"}]}`)
		if got := p.compiled.Match(empty); got != c.want {
			t.Errorf("empty: %s %s = %v, want %v", c.field, c.op, got, c.want)
		}
	}
}

// TestAllAny: all needs every condition, any needs one, both groups must
// hold.
func TestAllAny(t *testing.T) {
	yes := cond("channel", OpEquals, "widget")
	yes2 := cond("tags", OpContains, "vip")
	no := cond("priority", OpEquals, "low")
	no2 := cond("subject", OpContains, "invoice")
	rule := func(groups string) *compiledConditions {
		return mustParse(t, `{"name":"r","trigger":"ticket.created","conditions":`+groups+`,"actions":[{"type":"close"}]}`).compiled
	}
	for _, c := range []struct {
		groups string
		want   bool
	}{
		{`{"all":[` + yes + `,` + yes2 + `]}`, true},
		{`{"all":[` + yes + `,` + no + `]}`, false},
		{`{"any":[` + no + `,` + yes + `]}`, true},
		{`{"any":[` + no + `,` + no2 + `]}`, false},
		{`{"all":[` + yes + `],"any":[` + no + `,` + yes2 + `]}`, true},
		{`{"all":[` + yes + `],"any":[` + no + `,` + no2 + `]}`, false},
		{`{"all":[` + no + `],"any":[` + yes + `]}`, false},
	} {
		if got := rule(c.groups).Match(facts); got != c.want {
			t.Errorf("%s = %v, want %v", c.groups, got, c.want)
		}
	}
}

// TestStopOnMatch: rules run in order; a matching rule with
// stop_processing ends the evaluation; disabled rules and other triggers
// are skipped.
func TestStopOnMatch(t *testing.T) {
	mk := func(id int64, trigger string, enabled, stop bool, c string) *rule {
		p := mustParse(t, `{"name":"r","trigger":"`+trigger+`","conditions":{"all":[`+c+`]},"actions":[{"type":"close"}]}`)
		return &rule{ID: id, Trigger: trigger, Enabled: enabled, StopProcessing: stop, compiled: p.compiled}
	}
	yes := cond("channel", OpEquals, "widget")
	no := cond("channel", OpEquals, "email")
	rules := []*rule{
		mk(1, "ticket.created", true, false, yes),
		mk(2, "ticket.created", true, true, no),  // stops, but does not match
		mk(3, "reply.created", true, false, yes), // other trigger
		mk(4, "ticket.created", false, false, yes),
		mk(5, "ticket.created", true, true, yes), // matches and stops
		mk(6, "ticket.created", true, false, yes),
	}
	var ids []int64
	for _, r := range selectRules(rules, "ticket.created", facts) {
		ids = append(ids, r.ID)
	}
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 5 {
		t.Errorf("selected %v, want [1 5]", ids)
	}
}

// TestMalformedRulesRefused: every broken rule is refused with field errors
// that say where.
func TestMalformedRulesRefused(t *testing.T) {
	ok := cond("channel", OpEquals, "widget")
	cases := []struct {
		name, body, key string
	}{
		{"no name", `{"trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}]}`, "name"},
		{"blank name", `{"name":"  ","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}]}`, "name"},
		{"long name", `{"name":"` + strings.Repeat("n", 101) + `","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}]}`, "name"},
		{"unknown trigger", `{"name":"r","trigger":"ticket.deleted","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}]}`, "trigger"},
		{"no conditions", `{"name":"r","trigger":"ticket.created","actions":[{"type":"close"}]}`, "conditions"},
		{"no groups", `{"name":"r","trigger":"ticket.created","conditions":{},"actions":[{"type":"close"}]}`, "conditions"},
		{"empty all", `{"name":"r","trigger":"ticket.created","conditions":{"all":[]},"actions":[{"type":"close"}]}`, "conditions.all"},
		{"empty any beside all", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `],"any":[]},"actions":[{"type":"close"}]}`, "conditions.any"},
		{"conditions not an object", `{"name":"r","trigger":"ticket.created","conditions":[` + ok + `],"actions":[{"type":"close"}]}`, "conditions"},
		{"condition not an object", `{"name":"r","trigger":"ticket.created","conditions":{"all":["x"]},"actions":[{"type":"close"}]}`, "conditions.all[0]"},
		{"unknown field", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("status", OpEquals, "open") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].field"},
		{"unknown operator", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", "like", "x") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].operator"},
		{"missing value", `{"name":"r","trigger":"ticket.created","conditions":{"any":[` + ok + `,` + cond("subject", OpContains, nil) + `]},"actions":[{"type":"close"}]}`, "conditions.any[1].value"},
		{"blank value", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpContains, "  ") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"number value", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpContains, 5) + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"in with a string", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("email_domain", OpIn, "a.com") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"in empty", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("email_domain", OpIn, []string{" "}) + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"is_empty with a value", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("email", OpIsEmpty, "x") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"bad pattern", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpMatches, "(unclosed") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"backreference is not RE2", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpMatches, `(a)\1`) + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"pattern too long", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpMatches, strings.Repeat("a", 501)) + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"pattern too big", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("subject", OpMatches, `(\w{1,100}){1,100}`) + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"unknown channel", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("channel", OpEquals, "fax") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].value"},
		{"author outside replies", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + cond("author", OpEquals, "agent") + `]},"actions":[{"type":"close"}]}`, "conditions.all[0].field"},
		{"too many conditions", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + strings.Repeat(ok+",", 50) + ok + `]},"actions":[{"type":"close"}]}`, "conditions.all"},
		{"no actions", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[]}`, "actions"},
		{"actions missing", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]}}`, "actions"},
		{"unknown action", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"delete"}]}`, "actions[0].type"},
		{"tag missing", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"add_tag"}]}`, "actions[0].value"},
		{"tag with comma", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"add_tag","value":"a,b"}]}`, "actions[0].value"},
		{"tag too long", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"remove_tag","value":"` + strings.Repeat("t", 51) + `"}]}`, "actions[0].value"},
		{"unknown priority", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"set_priority","value":"critical"}]}`, "actions[0].value"},
		{"bad login", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"assign","value":"not a/login"}]}`, "actions[0].value"},
		{"webhook not http", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"send_webhook","value":"ftp://x.example"}]}`, "actions[0].value"},
		{"webhook with a password", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"send_webhook","value":"https://u:p@x.example/h"}]}`, "actions[0].value"},
		{"close with a value", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close","value":"now"}]}`, "actions[0].value"},
		{"bad delay", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"delay","value":"7 days"},{"type":"close"}]}`, "actions[0].value"},
		{"delay last", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"},{"type":"delay","value":"7d"}]}`, "actions[1].type"},
		{"stop not a bool", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}],"stop_processing":"yes"}`, "stop_processing"},
		{"short secret", `{"name":"r","trigger":"ticket.created","conditions":{"all":[` + ok + `]},"actions":[{"type":"close"}],"webhook_secret":"short"}`, "webhook_secret"},
	}
	for _, c := range cases {
		var in RuleInput
		if err := json.Unmarshal([]byte(c.body), &in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, errs := parseRule(in, priorities, nil, nil)
		if _, ok := errs[c.key]; !ok {
			t.Errorf("%s: errors %v lack %q", c.name, errs, c.key)
		}
	}
}

// TestNormalization: values are trimmed, tags lowercased, delays stored
// canonically, departments without their prefix, logins deduplicated.
func TestNormalization(t *testing.T) {
	p := mustParse(t, `{"name":"  Billing  ","trigger":"reply.created","conditions":{"all":[`+
		cond("author", OpEquals, "customer")+`,`+cond("email_domain", OpIn, []string{" a.com", "a.com", "b.com "})+`]},"actions":[`+
		`{"type":"add_tag","value":"  Needs   Review "},{"type":"set_department","value":"dept:Billing"},`+
		`{"type":"assign","value":"@octocat, hubot octocat"},{"type":"delay","value":"168h"},{"type":"close"}]}`)
	d := p.def
	if d.Name != "Billing" || !d.Enabled || d.StopProcessing {
		t.Errorf("definition = %+v", d)
	}
	if got := d.Conditions.All[1].Values; strings.Join(got, ",") != "a.com,b.com" {
		t.Errorf("in values = %v", got)
	}
	want := []Action{{ActAddTag, "needs review"}, {ActSetDepartment, "billing"}, {ActAssign, "octocat,hubot"}, {ActDelay, "1w"}, {ActClose, ""}}
	for i, a := range d.Actions {
		if a != want[i] {
			t.Errorf("action %d = %+v, want %+v", i, a, want[i])
		}
	}
	// The stored JSON reads back to the same rule.
	b, _ := json.Marshal(d.Conditions)
	var back Conditions
	if err := json.Unmarshal(b, &back); err != nil || len(back.All) != 2 || back.All[1].Operator != OpIn || len(back.All[1].Values) != 2 {
		t.Errorf("round trip of %s = %+v, %v", b, back, err)
	}
	if _, err := compileConditions(back); err != nil {
		t.Errorf("stored conditions do not compile: %v", err)
	}
}
