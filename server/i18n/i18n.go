// Package i18n is the customer's language: the message catalogs (TOML files
// under locales/, one per area and language, "mail.de.toml", that a
// translator edits without touching Go), the choice of a language from what
// the customer's browser or the widget's embedding page asked for, and
// dates, numbers and sizes written the way that language writes them.
//
// English is the source language: every message exists in en, and a
// message missing from another language falls back to English and is
// reported (Catalog.Missing lists them; the tests fail on any).
//
// Pages and mails do not look messages up one by one: they keep their texts
// in structs whose string fields carry a `msg:"area.key"` tag, and Fill
// sets every field for one language (views.Strings, the mail texts).
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages are the languages portico speaks, English (the fallback) first.
var Languages = []string{"en", "de", "fr", "es", "pt"}

// Default is the language when neither the customer nor the admin chose one.
const Default = "en"

//go:embed locales/*.toml
var files embed.FS

// Catalog holds every message in every language. It is built once, at
// start-up, and is safe for concurrent use.
type Catalog struct {
	bundle  *goi18n.Bundle
	tags    []language.Tag // in the order of Languages
	matcher language.Matcher
	ids     map[string]map[string]bool   // language → message IDs it has
	raw     map[string]map[string]string // language → ID → text as written (plural forms joined)
	locs    map[string]*Localizer
	texts   sync.Map // lang + "\x00" + prefix → map[string]string, see Texts
}

// Load reads the embedded catalogs. A file that does not parse, or a file
// of a language portico does not list, is an error: start-up stops rather
// than show half a translation.
func Load() (*Catalog, error) {
	return LoadFS(files, "locales")
}

// LoadFS reads the catalogs from dir of fsys (tests use it with fstest).
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{
		bundle: goi18n.NewBundle(language.English),
		ids:    map[string]map[string]bool{},
		raw:    map[string]map[string]string{},
		locs:   map[string]*Localizer{},
	}
	c.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range Languages {
		c.tags = append(c.tags, language.MustParse(l))
		c.ids[l] = map[string]bool{}
		c.raw[l] = map[string]string{}
	}
	c.matcher = language.NewMatcher(c.tags)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("i18n: read catalogs: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		name := e.Name()
		parts := strings.Split(strings.TrimSuffix(name, ".toml"), ".")
		if len(parts) != 2 || !slices.Contains(Languages, parts[1]) {
			return nil, fmt.Errorf("i18n: catalog %s: the name must be <area>.<language>.toml with a language of %s", name, strings.Join(Languages, ", "))
		}
		raw, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", name, err)
		}
		mf, err := c.bundle.ParseMessageFileBytes(raw, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: catalog %s: %w", name, err)
		}
		for _, m := range mf.Messages {
			if !strings.HasPrefix(m.ID, parts[0]+".") {
				return nil, fmt.Errorf("i18n: catalog %s: message %q must sit under [%s]", name, m.ID, parts[0])
			}
			if c.ids[parts[1]][m.ID] {
				return nil, fmt.Errorf("i18n: catalog %s: message %q is defined twice", name, m.ID)
			}
			c.ids[parts[1]][m.ID] = true
			c.raw[parts[1]][m.ID] = strings.Join([]string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other}, "\x00")
		}
	}
	if len(c.ids[Default]) == 0 {
		return nil, errors.New("i18n: no English catalog")
	}
	for _, l := range Languages {
		c.locs[l] = newLocalizer(c, l)
	}
	return c, nil
}

// Missing lists, per language, the English message IDs it lacks and the IDs
// it has that English does not (a typo or a message removed from English).
// Empty when every catalog is complete.
func (c *Catalog) Missing() map[string][]string {
	out := map[string][]string{}
	for _, l := range Languages[1:] {
		var miss []string
		for id := range c.ids[Default] {
			if !c.ids[l][id] {
				miss = append(miss, id)
			}
		}
		for id := range c.ids[l] {
			if !c.ids[Default][id] {
				miss = append(miss, "unknown in en: "+id)
			} else if a, b := placeholders(c.raw[Default][id]), placeholders(c.raw[l][id]); a != b {
				miss = append(miss, fmt.Sprintf("%s: placeholders %s, English has %s", id, b, a))
			}
		}
		if len(miss) > 0 {
			sort.Strings(miss)
			out[l] = miss
		}
	}
	return out
}

// placeholders lists what portico fills into a message — {{.Name}},
// {n}/{q}, %s — sorted and de-duplicated, so that a translation that lost
// or misspelt one is caught. The order of {n} and {q} matters and is kept.
func placeholders(s string) string {
	var found []string
	var ordered strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			if j := strings.Index(s[i:], "}}"); j > 0 {
				found = append(found, strings.Join(strings.Fields(s[i+2:i+j]), ""))
				i += j + 1
			}
		case strings.HasPrefix(s[i:], "{n}"), strings.HasPrefix(s[i:], "{q}"):
			ordered.WriteString(s[i : i+3])
			i += 2
		case s[i] == '%' && i+1 < len(s):
			if s[i+1] == '%' {
				i++
				continue
			}
			j := i + 1
			for j < len(s) && strings.IndexByte("[]0123456789.+-# ", s[j]) >= 0 {
				j++
			}
			if j < len(s) {
				found = append(found, s[i:j+1])
				i = j
			}
		}
	}
	sort.Strings(found)
	return strings.Join(slices.Compact(found), " ") + " " + ordered.String()
}

// IDs returns the English message IDs that start with prefix, sorted.
func (c *Catalog) IDs(prefix string) []string {
	var ids []string
	for id := range c.ids[Default] {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Supported reports whether lang is one of Languages, as written there.
func Supported(lang string) bool { return slices.Contains(Languages, lang) }

// Match returns the first supported language that one of prefs asks for,
// or "" when none does. Each pref is a language tag ("de", "pt-BR") or a
// whole Accept-Language header ("fr-CH, fr;q=0.9, en;q=0.8"); earlier prefs
// win, so callers pass the explicit choice before the browser's header.
// A regional variant maps to its language ("pt-BR" → "pt"); a language
// portico does not speak matches nothing, so the next pref is tried.
func (c *Catalog) Match(prefs ...string) string {
	for _, p := range prefs {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > 512 { // a header that long is not a browser's
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil {
			continue
		}
		for _, t := range tags {
			if t == language.Und {
				continue
			}
			_, i, conf := c.matcher.Match(t)
			if conf >= language.High {
				return Languages[i]
			}
		}
	}
	return ""
}

// Choose is Match, or fallback when nothing matches (and English when the
// fallback is not a supported language either).
func (c *Catalog) Choose(fallback string, prefs ...string) string {
	if l := c.Match(prefs...); l != "" {
		return l
	}
	if Supported(fallback) {
		return fallback
	}
	return Default
}

// For returns the localizer of lang; an unsupported lang gets English.
func (c *Catalog) For(lang string) *Localizer {
	if l, ok := c.locs[lang]; ok {
		return l
	}
	return c.locs[Default]
}

// Texts returns every message under prefix ("widget.") in lang, keyed by
// the ID without the prefix: what the widget's WebAssembly form receives
// with its config, so that it carries no catalog of its own. The map is
// built once per language and prefix and shared: callers only read it.
func (c *Catalog) Texts(lang, prefix string) map[string]string {
	lang = c.For(lang).Lang()
	key := lang + "\x00" + prefix
	if m, ok := c.texts.Load(key); ok {
		return m.(map[string]string)
	}
	l := c.For(lang)
	out := map[string]string{}
	for _, id := range c.IDs(prefix) {
		out[strings.TrimPrefix(id, prefix)] = l.T(id)
	}
	m, _ := c.texts.LoadOrStore(key, out)
	return m.(map[string]string)
}
