package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

func TestDeskSetting(t *testing.T) {
	ctx := context.Background()
	in := open(t, store.SQLite, dbtest.DSN(t, store.SQLite), newClock(), false)
	svc := in.svc
	str := func(s string) *string { return &s }
	fields := func(err error) model.FieldErrors {
		t.Helper()
		var fe model.FieldErrors
		if !errors.As(err, &fe) {
			t.Fatalf("want field errors, got %v", err)
		}
		return fe
	}

	d, err := svc.Desk(ctx)
	if err != nil || d != (settings.Desk{Mode: settings.DeskIssues}) {
		t.Fatalf("default = %+v, %v", d, err)
	}
	if out, _ := json.Marshal(d); string(out) != `{"desk":"issues","discussion_category":null}` {
		t.Errorf("default JSON %s", out)
	}

	var checked []settings.Desk
	check := func(_ context.Context, d settings.Desk) (settings.Desk, error) {
		if d.Mode != settings.DeskDiscussions {
			return d, nil
		}
		checked = append(checked, d)
		if d.DiscussionCategory == "Broken" {
			return settings.Desk{}, model.FieldErrors{"discussion_category": "no such category"}
		}
		d.DiscussionCategory = strings.ToUpper(d.DiscussionCategory[:1]) + d.DiscussionCategory[1:]
		return d, nil
	}
	for _, c := range []struct {
		in    settings.DeskInput
		field string
	}{
		{settings.DeskInput{Mode: str("tickets")}, "desk"},
		{settings.DeskInput{Mode: str(settings.DeskDiscussions)}, "discussion_category"},
		{settings.DeskInput{Mode: str(settings.DeskDiscussions), DiscussionCategory: str("  ")}, "discussion_category"},
		{settings.DeskInput{Mode: str(settings.DeskDiscussions), DiscussionCategory: str(strings.Repeat("é", 101))}, "discussion_category"},
		{settings.DeskInput{Mode: str(settings.DeskDiscussions), DiscussionCategory: str("a\nb")}, "discussion_category"},
		{settings.DeskInput{Mode: str(settings.DeskDiscussions), DiscussionCategory: str("Broken")}, "discussion_category"},
	} {
		_, err := svc.SetDesk(ctx, c.in, check)
		if fe := fields(err); fe[c.field] == "" {
			t.Errorf("%+v: %v, want an error on %s", c.in, fe, c.field)
		}
	}
	if len(checked) != 1 || checked[0].DiscussionCategory != "Broken" {
		t.Errorf("check saw %+v: only fields that pass the rules are checked", checked)
	}
	if d, _ := svc.Desk(ctx); d.Mode != settings.DeskIssues {
		t.Errorf("a refused setting was stored: %+v", d)
	}

	// What check returns is what is stored.
	d, err = svc.SetDesk(ctx, settings.DeskInput{Mode: str(" discussions "), DiscussionCategory: str(" support ")}, check)
	if err != nil || d != (settings.Desk{Mode: settings.DeskDiscussions, DiscussionCategory: "Support"}) {
		t.Fatalf("set = %+v, %v", d, err)
	}
	if got, _ := svc.Desk(ctx); got != d {
		t.Errorf("stored %+v, read %+v", d, got)
	}
	// Back to issues keeps the category; clearing it works while on issues.
	if d, err = svc.SetDesk(ctx, settings.DeskInput{Mode: str("issues")}, check); err != nil || d.DiscussionCategory != "Support" {
		t.Errorf("issues = %+v, %v", d, err)
	}
	if d, err = svc.SetDesk(ctx, settings.DeskInput{DiscussionCategory: str("")}, check); err != nil || d != (settings.Desk{Mode: settings.DeskIssues}) {
		t.Errorf("cleared = %+v, %v", d, err)
	}
	// Nothing else may use discussions without a category.
	if _, err := svc.SetDesk(ctx, settings.DeskInput{Mode: str("discussions")}, nil); fields(err)["discussion_category"] == "" {
		t.Errorf("discussions without a category: %v", err)
	}
	var stored settings.Desk
	if err := json.Unmarshal([]byte(`{"desk":"carrier pigeons","discussion_category":"x"}`), &stored); err != nil || stored.Mode != settings.DeskIssues {
		t.Errorf("an unknown stored desk reads as %+v, %v", stored, err)
	}
}
