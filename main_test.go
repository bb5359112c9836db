package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandLine: the commands portico knows, and what it says about the
// ones it does not (before reading any configuration).
func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string // "" for none
		out  string
	}{
		{[]string{"help"}, "", "portico github backfill [-limit N] [-dry-run]"},
		{[]string{"github", "backfill", "-h"}, "", "-dry-run"},
		{[]string{"bogus"}, `unknown command "bogus"`, ""},
		{[]string{"serve", "now"}, `unknown command "serve now"`, ""},
		{[]string{"github"}, `unknown command "github"`, ""},
		{[]string{"github", "backfill", "-limit", "-1"}, "-limit must be a whole number from 1 to 1,000,000, or 0 (or left out) for every ticket, not -1", ""},
		{[]string{"github", "backfill", "-limit", "ten"}, `invalid value "ten" for flag -limit`, ""},
		{[]string{"github", "backfill", "-wat"}, "flag provided but not defined: -wat", ""},
		{[]string{"github", "backfill", "now"}, `unexpected "now"`, ""},
	} {
		var out bytes.Buffer
		err := run(c.args, &out)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
		case !strings.Contains(out.String(), c.out):
			t.Errorf("%v printed %q, want %q", c.args, out.String(), c.out)
		}
	}
}
