package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Markers enclose the section a tool writes into a Markdown document: the
// text between them is replaced by each run, the rest of the file is left
// as it is.
type Markers struct{ Begin, End string }

// ReplaceSection puts section in place of the text from m.Begin to m.End in
// doc. A doc without markers is refused unless it is empty, so that a
// mistyped path does not overwrite a file written by hand.
func (m Markers) ReplaceSection(doc []byte, section string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(m.Begin))
	end := bytes.Index(doc, []byte(m.End))
	switch {
	case begin < 0 && end < 0:
		if len(bytes.TrimSpace(doc)) == 0 {
			return []byte(section), nil
		}
		return nil, fmt.Errorf("no %s … %s markers: add them where the section goes", m.Begin, m.End)
	case begin < 0 || end < begin:
		return nil, fmt.Errorf("the markers are not %s then %s", m.Begin, m.End)
	}
	end += len(m.End)
	if end < len(doc) && doc[end] == '\n' {
		end++ // section ends with its own newline
	}
	out := append([]byte{}, doc[:begin]...)
	out = append(out, section...)
	return append(out, doc[end:]...), nil
}

// WriteFile writes section into the file at path, replacing the previous
// one between the markers, or creates the file.
func (m Markers) WriteFile(path, section string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, err := m.ReplaceSection(doc, section)
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

// CommandLine is the command that ran a tool, for its report: goRun (say
// "go run ./bench") when argv0 is a binary go run built.
func CommandLine(argv0, goRun string, args []string) string {
	cmd := argv0
	if strings.Contains(filepath.ToSlash(argv0), "/go-build") {
		cmd = goRun
	}
	parts := []string{cmd}
	for _, a := range args {
		parts = append(parts, ShellQuote(a))
	}
	return strings.Join(parts, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
