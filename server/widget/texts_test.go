package widget

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/settings"
)

// wasmTexts reads the form's texts from widget/wasm/main.go (which builds
// for js/wasm only, so it is parsed, not imported): each txt* variable's
// English default, and the catalog key textKeys gives each.
func wasmTexts(t *testing.T) (defaults map[string]string, keys map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../widget/wasm/main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defaults, keys = map[string]string{}, map[string]string{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			for i, name := range v.Names {
				switch {
				case strings.HasPrefix(name.Name, "txt") && i < len(v.Values):
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s is not a string literal", name.Name)
					}
					defaults[name.Name], _ = strconv.Unquote(lit.Value)
				case name.Name == "textKeys":
					for _, e := range v.Values[i].(*ast.CompositeLit).Elts {
						pair := e.(*ast.CompositeLit).Elts
						key, _ := strconv.Unquote(pair[0].(*ast.BasicLit).Value)
						txt := pair[1].(*ast.UnaryExpr).X.(*ast.Ident).Name
						if _, dup := keys[txt]; dup {
							t.Errorf("textKeys names %s twice", txt)
						}
						keys[txt] = key
					}
				}
			}
		}
	}
	if len(defaults) < 30 || len(keys) < 30 {
		t.Fatalf("found %d texts and %d keys in widget/wasm/main.go: did its shape change?", len(defaults), len(keys))
	}
	return defaults, keys
}

// Every text of the form has a key in the widget catalog, English says
// what the form's fallback says, and the catalog holds nothing the form or
// this package does not use. (TestCatalogsComplete, in server/i18n, checks
// that every language has every English key.)
func TestWasmTextsInCatalog(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	defaults, keys := wasmTexts(t)
	en := c.Texts("en", "widget.")
	used := map[string]bool{"default_title": true, "default_greeting": true} // Config's
	for txt, def := range defaults {
		key, ok := keys[txt]
		if !ok {
			t.Errorf("%s is not in textKeys: it would stay English", txt)
			continue
		}
		used[key] = true
		if got, ok := en[key]; !ok {
			t.Errorf("widget.%s (%s) is missing from widget.en.toml", key, txt)
		} else if got != def {
			t.Errorf("widget.%s: English catalog %q, the form's default %q", key, got, def)
		}
	}
	for txt := range keys {
		if _, ok := defaults[txt]; !ok {
			t.Errorf("textKeys names %s, which has no English default", txt)
		}
	}
	for _, id := range c.IDs("widget.") {
		if key := strings.TrimPrefix(id, "widget."); !used[key] {
			t.Errorf("%s is in the catalog but nothing uses it", id)
		}
	}
	def := settings.DefaultWidget()
	if en["default_title"] != def.Title || en["default_greeting"] != def.Greeting {
		t.Errorf("the English default title and greeting must be settings.DefaultWidget's: %q, %q", en["default_title"], en["default_greeting"])
	}
	// Words a language writes as English does; any other text equal to the
	// English one was left untranslated.
	same := map[string][]string{"de": {"name", "optional"}}
	for _, lang := range i18n.Languages {
		tx := c.Texts(lang, "widget.")
		for key, s := range tx {
			if lang != i18n.Default && s == en[key] && !slices.Contains(same[lang], key) {
				t.Errorf("%s: widget.%s is still English: %q", lang, key, s)
			}
		}
		if got, want := c.For(lang).Number(12345), "12"+tx["thousands_separator"]+"345"; got != want {
			t.Errorf("%s: thousands_separator makes %q, the server writes %q", lang, want, got)
		}
		for _, k := range []string{"reference", "file_too_large"} {
			if strings.Count(tx[k], "{q}") != 1 {
				t.Errorf("%s: widget.%s must hold {q} once: %q", lang, k, tx[k])
			}
		}
		if !slices.Contains([]string{".", ","}, tx["decimal_separator"]) {
			t.Errorf("%s: decimal_separator %q", lang, tx["decimal_separator"])
		}
	}
}

// The loader (widget/src/loader.js) shows its launcher label, title and
// close label in the page's language before the form's texts arrive; they
// must be the words the form then shows (the widget catalog's launcher and
// close), or the labels would change under the visitor's eyes. Every
// language portico speaks has its row.
func TestLoaderWords(t *testing.T) {
	src, err := os.ReadFile("../../widget/src/loader.js")
	if err != nil {
		t.Fatal(err)
	}
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:(\w\w): |\}\[pageLang\] \|\| )\[('[^']*'), ('[^']*'), ('[^']*')\]`).FindAllStringSubmatch(string(src), -1) {
		lang := m[1]
		if lang == "" {
			lang = "en" // the fallback
		}
		for _, q := range m[2:] {
			rows[lang] = append(rows[lang], strings.Trim(q, "'"))
		}
	}
	for _, lang := range i18n.Languages {
		row, ok := rows[lang]
		if !ok {
			t.Errorf("loader.js has no words for %s", lang)
			continue
		}
		l := c.For(lang)
		if row[0] != l.T("widget.launcher") || row[1] != l.T("widget.close") || row[2] == "" {
			t.Errorf("%s: loader.js says %q, the catalog launcher %q and close %q", lang, row, l.T("widget.launcher"), l.T("widget.close"))
		}
	}
}
