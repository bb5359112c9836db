package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The repository stands on its own (issue 18): every relative link in its
// Markdown (README.md, docs/*.md and any other .md outside node_modules)
// names a file inside the repository, and every #anchor a heading as GitHub
// would name it; so does a Markdown file named in code by a relative path
// (`../shared/DESIGN.md`). Links to web addresses are not followed.
//
//	go test -run TestDocLinks .
func TestDocLinks(t *testing.T) {
	files, problems := checkDocLinks(".")
	for _, want := range []string{"README.md", "docs/CONTRACTS.md", "docs/DECISIONS.md"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s was not checked (files: %v)", want, files)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestDocLinkChecker proves the checker on a small tree: it must find each
// kind of broken link, and accept the good ones.
func TestDocLinkChecker(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("../outside.md", "# Outside\n")
	write("main.go", "package main\n")
	write("docs/B.md", "# B\n\n## Widget (issue 7)\n\n## `GET /x` → 200\n\n## Twice\n\n## Twice\n\n<a id=\"custom\"></a>\n")
	write("node_modules/x/README.md", "[broken](nothing.md)\n")
	write("README.md", strings.Join([]string{
		"# Top",
		"[ok](docs/B.md) [ok](docs/B.md#widget-issue-7) [ok](./docs/B.md#get-x--200) [ok](docs/B.md#twice-1)",
		"[ok](docs/B.md#custom) [ok](#top) [ok](main.go) [ok](main.go#L1) [ok](/docs/B.md) [ok](docs/)",
		"[web](https://example.com/x.md) [mail](mailto:a@example.com) `[code](not-a-link.md)`",
		"",
		"```",
		"[fenced](not-a-link-either.md)",
		"```",
		"[gone](docs/missing.md)",
		"[leaves](../outside.md)",
		"[anchor](docs/B.md#no-such-heading)",
		"[self](#nowhere)",
		"[file](file:///etc/passwd)",
		"![img](docs/missing.png)",
		"[ref]: docs/also-missing.md",
		"The design is in `../outside.md`; `./docs/B.md` is fine, `.github/x.md` not ours.",
		"",
	}, "\n"))

	files, problems := checkDocLinks(root)
	if want := []string{"README.md", "docs/B.md"}; !slices.Equal(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}
	want := []string{
		"README.md:9: docs/missing.md: no such file",
		"README.md:10: ../outside.md: leaves the repository",
		"README.md:11: docs/B.md#no-such-heading: no heading with that anchor",
		"README.md:12: #nowhere: no heading with that anchor",
		"README.md:13: file:///etc/passwd: leaves the repository",
		"README.md:14: docs/missing.png: no such file",
		"README.md:15: docs/also-missing.md: no such file",
		"README.md:16: ../outside.md: leaves the repository",
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestGitHubAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"Widget (issue 7)":                                    "widget-issue-7",
		"Decisions where the design is silent":                "decisions-where-the-design-is-silent",
		"Bad input catalogue (`server/app/badinput_test.go`)": "bad-input-catalogue-serverappbadinput_testgo",
		"Issue 13 (security) against the commit before it":    "issue-13-security-against-the-commit-before-it",
		"Privacy: what portico stores, for how long":          "privacy-what-portico-stores-for-how-long",
		"`GET /portal/:token` → 404 or 410":                   "get-portaltoken--404-or-410",
		"Links [in](x.md) **bold** and *em*":                  "links-in-bold-and-em",
		"Ünïcode café":                                        "ünïcode-café",
	} {
		if got := githubAnchor(heading); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", heading, got, want)
		}
	}
}

// checkDocLinks checks the Markdown under root and returns the files it
// read (slash paths relative to root, sorted) and one line per problem.
func checkDocLinks(root string) (files, problems []string) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, []string{err.Error()}
	}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "dist" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.EqualFold(filepath.Ext(p), ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return files, []string{err.Error()}
	}
	slices.Sort(files)
	anchors := map[string]map[string]bool{} // by absolute path
	anchorsOf := func(p string) map[string]bool {
		if a, ok := anchors[p]; ok {
			return a
		}
		data, _ := os.ReadFile(p)
		anchors[p] = headingAnchors(string(data))
		return anchors[p]
	}
	for _, f := range files {
		abs := filepath.Join(root, filepath.FromSlash(f))
		data, err := os.ReadFile(abs)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, l := range markdownLinks(string(data)) {
			if msg := checkLink(root, abs, l.target, anchorsOf); msg != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", f, l.line, l.target, msg))
			}
		}
	}
	return files, problems
}

var (
	schemeRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	lineAnchor = regexp.MustCompile(`^L[0-9]+(-L[0-9]+)?$`)
)

// checkLink says what is wrong with one link target of the file at from,
// or "" when nothing is.
func checkLink(root, from, target string, anchorsOf func(string) map[string]bool) string {
	if m := schemeRE.FindString(target); m != "" {
		switch strings.ToLower(m) {
		case "http:", "https:", "mailto:":
			return "" // the web: not this test's business
		}
		return "leaves the repository"
	}
	if strings.HasPrefix(target, "//") {
		return "" // scheme-relative web address
	}
	pathPart, fragment, _ := strings.Cut(target, "#")
	pathPart, _, _ = strings.Cut(pathPart, "?")
	dest := from
	if pathPart != "" {
		unescaped, err := url.PathUnescape(pathPart)
		if err != nil {
			return "not a valid path"
		}
		if strings.HasPrefix(unescaped, "/") { // GitHub: relative to the repository's root
			dest = filepath.Join(root, filepath.FromSlash(unescaped))
		} else {
			dest = filepath.Join(filepath.Dir(from), filepath.FromSlash(unescaped))
		}
	}
	if !inside(root, dest) {
		return "leaves the repository"
	}
	info, err := os.Stat(dest)
	if err != nil {
		return "no such file"
	}
	if real, err := filepath.EvalSymlinks(dest); err == nil {
		if realRoot, err := filepath.EvalSymlinks(root); err == nil && !inside(realRoot, real) {
			return "leaves the repository (through a symbolic link)"
		}
	}
	if fragment == "" {
		return ""
	}
	switch {
	case info.IsDir():
		return "an anchor on a directory"
	case strings.EqualFold(filepath.Ext(dest), ".md"):
		if frag, err := url.PathUnescape(fragment); err == nil && anchorsOf(dest)[strings.ToLower(frag)] {
			return ""
		}
		return "no heading with that anchor"
	case lineAnchor.MatchString(fragment):
		return ""
	}
	return "an anchor GitHub does not make for this kind of file"
}

func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

type docLink struct {
	line   int
	target string
}

var (
	// [text](target "title"), ![alt](target); the text may hold one level
	// of brackets.
	inlineLinkRE = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)`)
	// [label]: target
	refDefRE = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:[ \t]*(<[^<>\n]*>|\S+)`)
	// href="…" and src="…" of raw HTML
	htmlRefRE = regexp.MustCompile(`\b(?:href|src)\s*=\s*"([^"]*)"`)
	// ./x.md, ../docs/x.md#anchor
	mdPathRE = regexp.MustCompile(`^\.\.?/[^\s]*\.md(#\S*)?$`)
)

// markdownLinks returns the link targets of a Markdown text with their
// line numbers, leaving out fenced code blocks and code spans.
func markdownLinks(text string) []docLink {
	text, spans := blankCode(text)
	var out []docLink
	// A Markdown file named by a relative path in code (`../shared/X.md`)
	// is a reference a reader will follow: it is checked as a link.
	for _, s := range spans {
		if mdPathRE.MatchString(s.target) {
			out = append(out, s)
		}
	}
	add := func(idx []int) {
		target := strings.TrimSuffix(strings.TrimPrefix(text[idx[2]:idx[3]], "<"), ">")
		if target != "" {
			out = append(out, docLink{line: 1 + strings.Count(text[:idx[0]], "\n"), target: target})
		}
	}
	for _, re := range []*regexp.Regexp{inlineLinkRE, refDefRE, htmlRefRE} {
		for _, idx := range re.FindAllStringSubmatchIndex(text, -1) {
			add(idx)
		}
	}
	slices.SortStableFunc(out, func(a, b docLink) int { return a.line - b.line })
	return out
}

var fenceRE = regexp.MustCompile("^ {0,3}(```+|~~~+)")

// blankCode replaces the contents of fenced code blocks and code spans with
// spaces, keeping every line break, so that what looks like a link in code
// is not taken for one and line numbers stay right. It also returns the
// code spans.
func blankCode(text string) (string, []docLink) {
	b := []byte(blankFences(text))
	var spans []docLink
	// Code spans: a run of backticks up to the next run of the same length.
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(b); {
			if b[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(b) && b[j+m] == '`' {
				m++
			}
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			i += n // no closing run: the backticks are literal
			continue
		}
		spans = append(spans, docLink{line: 1 + bytes.Count(b[:i], []byte("\n")), target: strings.TrimSpace(string(b[i+n : end]))})
		for k := i; k < end+n; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
		i = end + n
	}
	return string(b), spans
}

func blank(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

var (
	atxHeadingRE = regexp.MustCompile(`^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextRE     = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	htmlIDRE     = regexp.MustCompile(`<a\s[^>]*\b(?:id|name)\s*=\s*"([^"]+)"`)
)

// headingAnchors returns the anchors GitHub makes for the headings of a
// Markdown text (with -1, -2, … for repeats), and the ids of HTML anchors.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	addHeading := func(h string) {
		slug := githubAnchor(h)
		if n, ok := seen[slug]; ok {
			seen[slug] = n + 1
			slug += "-" + strconv.Itoa(n+1)
		} else {
			seen[slug] = 0
		}
		anchors[slug] = true
	}
	// Fenced code is blanked, code spans are kept (they are heading text).
	lines := strings.Split(text, "\n")
	blanked := strings.Split(blankFences(text), "\n")
	for i, l := range blanked {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if m := atxHeadingRE.FindStringSubmatch(l); m != nil {
			addHeading(m[1])
			continue
		}
		if i > 0 && setextRE.MatchString(l) && strings.TrimSpace(blanked[i-1]) != "" &&
			atxHeadingRE.FindString(blanked[i-1]) == "" && !strings.HasPrefix(strings.TrimSpace(blanked[i-1]), "|") &&
			(i < 2 || strings.TrimSpace(blanked[i-2]) == "") {
			addHeading(strings.TrimSpace(lines[i-1]))
		}
	}
	for _, m := range htmlIDRE.FindAllStringSubmatch(text, -1) {
		anchors[strings.ToLower(m[1])] = true
	}
	return anchors
}

// blankFences blanks fenced code blocks, fences included.
func blankFences(text string) string {
	lines := strings.SplitAfter(text, "\n")
	var fence string
	for i, l := range lines {
		m := fenceRE.FindStringSubmatch(l)
		switch {
		case m != nil && fence == "":
			fence = m[1]
		case m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(l[len(m[0]):]) == "":
			fence = ""
		case fence == "":
			continue
		}
		lines[i] = blank(l)
	}
	return strings.Join(lines, "")
}

var (
	mdImageRE = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRE  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	htmlTagRE = regexp.MustCompile(`<[^>]+>`)
)

// githubAnchor is the anchor GitHub gives a heading: the text as rendered
// (links and images reduced to their text, no markup), in lower case, with
// everything but letters, marks, digits, '_', '-' and spaces dropped and
// each space made a '-'.
func githubAnchor(heading string) string {
	s := mdImageRE.ReplaceAllString(heading, "$1")
	s = mdLinkRE.ReplaceAllString(s, "$1")
	s = htmlTagRE.ReplaceAllString(s, "")
	s = strings.NewReplacer("`", "", "*", "").Replace(s)
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
