package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The markers around the section -markdown writes: the text between them is
// replaced by each run, and the rest of the file is left as it is.
const (
	markBegin = "<!-- bench:begin -->"
	markEnd   = "<!-- bench:end -->"
)

// markdownSection is the report as a self-contained markdown section,
// markers included.
func markdownSection(rep *report) string {
	var b strings.Builder
	b.WriteString(markBegin + "\n")
	b.WriteString("## Latest run\n\n")
	fmt.Fprintf(&b, "Written by the benchmark (`-markdown`) on %s, in %s. Everything between the `bench:begin` and `bench:end` markers is replaced by the next run; edit outside them.\n\n",
		rep.started.UTC().Format("2006-01-02 15:04 MST"), rep.finished.Sub(rep.started).Round(time.Second))
	for _, kv := range environment(rep) {
		v := kv[1]
		switch kv[0] {
		case "command":
			v = "`" + v + "`"
		case sideCurrent, sideBaseline:
			commit, from, _ := strings.Cut(v, " ")
			v = "`" + commit + "` " + from
		}
		fmt.Fprintf(&b, "- **%s**: %s\n", kv[0], v)
	}
	if len(rep.rows) > 0 {
		b.WriteString("\n### Latest figures\n\n")
		b.WriteString("burst/s and the latencies are of the burst; sustained/s counts only requests whose mail and jobs were done " +
			"(accepted / (window + drain)); backlog s is what was left undone when the sustained load ended, in seconds of intake.\n\n")
		_ = resultsTable(rep).markdown(&b)
	}
	if cs := compare(rep.rows); len(cs) > 0 {
		b.WriteString("\n### Latest comparison\n\n")
		b.WriteString(upperFirst(comparisonTitle(cs)) + ". `<` marks an upper bound: the drain outlasted `-drain-timeout`.\n\n")
		_ = comparisonTable(cs).markdown(&b)
	}
	if lines := reportLines(rep); len(lines) > 0 {
		// Folded: a few lines per run of each scenario on each server make
		// a long page otherwise.
		fmt.Fprintf(&b, "\n### Latest notes\n\n<details><summary>%d lines: setups, drains, aims, failures</summary>\n\n```text\n", len(lines))
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n\n</details>\n")
	}
	if len(rep.sizes) > 0 {
		b.WriteString("\nFront-end sizes (no load):\n\n```text\n")
		for _, l := range rep.sizes {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n")
	}
	b.WriteString(markEnd + "\n")
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// replaceSection puts section in place of the text from markBegin to
// markEnd in doc. A doc without markers is refused unless it is empty, so
// that a mistyped path does not overwrite a file by hand.
func replaceSection(doc []byte, section string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(markBegin))
	end := bytes.Index(doc, []byte(markEnd))
	switch {
	case begin < 0 && end < 0:
		if len(bytes.TrimSpace(doc)) == 0 {
			return []byte(section), nil
		}
		return nil, fmt.Errorf("no %s … %s markers: add them where the section goes", markBegin, markEnd)
	case begin < 0 || end < begin:
		return nil, fmt.Errorf("the markers are not %s then %s", markBegin, markEnd)
	}
	end += len(markEnd)
	if end < len(doc) && doc[end] == '\n' {
		end++ // section ends with its own newline
	}
	out := append([]byte{}, doc[:begin]...)
	out = append(out, section...)
	return append(out, doc[end:]...), nil
}

// writeMarkdownFile writes section into the file at path, replacing the
// previous one between the markers, or creates the file.
func writeMarkdownFile(path, section string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, err := replaceSection(doc, section)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Through a temporary file, so that an interrupted write leaves the old
	// document whole.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bench-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// commandLine is the command that ran the benchmark, for the report:
// `go run ./bench` when argv0 is a binary go run built.
func commandLine(argv0 string, args []string) string {
	cmd := argv0
	if strings.Contains(filepath.ToSlash(argv0), "/go-build") {
		cmd = "go run ./bench"
	}
	parts := []string{cmd}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
