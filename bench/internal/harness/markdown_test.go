package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testMarkers = Markers{Begin: "<!-- bench:begin -->", End: "<!-- bench:end -->"}

func TestTableMarkdown(t *testing.T) {
	tb := Table{Header: []string{"a", "b"}}
	tb.Add("1", "x|y")
	var b strings.Builder
	if err := tb.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if want := "| a | b |\n|---|---|\n| 1 | x\\|y |\n"; b.String() != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestReplaceSection(t *testing.T) {
	section := testMarkers.Begin + "\n## Latest run\n\nnew\n" + testMarkers.End + "\n"
	doc := "# Performance\n\nintro\n\n" + testMarkers.Begin + "\n## Latest run\n\nold\n" + testMarkers.End + "\n\n## What is measured\n"
	got, err := testMarkers.ReplaceSection([]byte(doc), section)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Performance\n\nintro\n\n" + section + "\n## What is measured\n"
	if string(got) != want {
		t.Errorf("replaced:\n%s\nwant:\n%s", got, want)
	}
	// Again: the same document, so a rerun changes only the section.
	if again, _ := testMarkers.ReplaceSection(got, section); string(again) != want {
		t.Errorf("second replacement:\n%s", again)
	}
	if got, err := testMarkers.ReplaceSection(nil, section); err != nil || string(got) != section {
		t.Errorf("empty document: %q, %v", got, err)
	}
	for _, bad := range []string{
		"# A hand-written file\n",
		testMarkers.End + "\n" + testMarkers.Begin + "\n",
		testMarkers.Begin + "\nno end\n",
	} {
		if _, err := testMarkers.ReplaceSection([]byte(bad), section); err == nil {
			t.Errorf("ReplaceSection(%q) did not refuse", bad)
		}
	}
}

func TestWriteMarkdownFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.md")
	if err := testMarkers.WriteFile(path, testMarkers.Begin+"\none\n"+testMarkers.End+"\n"); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append([]byte("# Top\n\n"), append(doc, "\n## Kept\n"...)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := testMarkers.WriteFile(path, testMarkers.Begin+"\ntwo\n"+testMarkers.End+"\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "# Top\n\n" + testMarkers.Begin + "\ntwo\n" + testMarkers.End + "\n\n## Kept\n"; string(got) != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode was not kept: %v %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestCommandLine(t *testing.T) {
	got := CommandLine("/tmp/go-build123/b001/exe/bench", "go run ./bench", []string{"-baseline-ref", "main", "-scenarios", "widget inbound", "-x=it's"})
	if want := `go run ./bench -baseline-ref main -scenarios 'widget inbound' '-x=it'\''s'`; got != want {
		t.Errorf("CommandLine = %s, want %s", got, want)
	}
	if got := CommandLine("./bench", "go run ./bench", nil); got != "./bench" {
		t.Errorf("CommandLine of a built binary = %s", got)
	}
}
