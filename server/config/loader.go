package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// loader resolves each variable from the environment, then the YAML file,
// then its default, and collects errors labelled with where the bad value
// came from.
type loader struct {
	lookup func(string) (string, bool)
	path   string               // YAML file as named in messages
	file   map[string]fileEntry // by variable name
	order  []string             // variable names in file order
	lists  map[string]bool      // variables that accept a YAML sequence
	used   map[string]bool      // variables Load asked for; the rest are unknown
	from   map[string]string    // where a set variable's value came from
	errs   []error
}

type fileEntry struct {
	key string // as written in the file
	val any
}

func newLoader(lookup func(string) (string, bool), defaultPath string) (*loader, error) {
	l := &loader{
		lookup: lookup,
		file:   map[string]fileEntry{},
		lists:  map[string]bool{},
		used:   map[string]bool{},
		from:   map[string]string{},
	}
	path, explicit := lookup("PORTICO_CONFIG")
	path = strings.TrimSpace(path)
	if path == "" {
		path, explicit = defaultPath, false
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case explicit:
		return nil, fmt.Errorf("PORTICO_CONFIG: %w", err)
	case errors.Is(err, fs.ErrNotExist):
		return l, nil // the default file is optional
	default:
		return nil, fmt.Errorf("config file: %w", err)
	}
	l.path = path

	var doc yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.UseOrderedMap()); err != nil {
		// Without source: the quoted lines may hold secrets, and errors
		// are meant to be one line.
		return nil, fmt.Errorf("%s: invalid YAML: %s", path, yaml.FormatError(err, false, false))
	}
	for _, item := range doc {
		key := fmt.Sprint(item.Key)
		name := variableName(key)
		if prev, dup := l.file[name]; dup {
			l.errs = append(l.errs, fmt.Errorf("%s: %s: same setting as %s", path, key, prev.key))
			continue
		}
		l.file[name] = fileEntry{key: key, val: item.Value}
		l.order = append(l.order, name)
	}
	return l, nil
}

// variableName maps a file key to its environment variable: either the
// variable itself or its lower-case form without the prefix. Other keys
// map to themselves and are later reported as unknown.
func variableName(key string) string {
	if strings.HasPrefix(key, "PORTICO_") || key != strings.ToLower(key) {
		return key
	}
	return "PORTICO_" + strings.ToUpper(key)
}

func (l *loader) allowList(names ...string) {
	for _, n := range names {
		l.lists[n] = true
	}
}

// value returns the trimmed value of name, or def when it is unset or empty.
func (l *loader) value(name, def string) string {
	l.used[name] = true
	if v, ok := l.lookup(name); ok {
		if v = strings.TrimSpace(v); v != "" {
			l.from[name] = name
			return v
		}
	}
	e, ok := l.file[name]
	if !ok {
		return def
	}
	where := l.path + ": " + e.key
	v, err := yamlString(e.val, l.lists[name])
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %w", where, err))
		return def // the error is reported; don't cascade into the parser
	}
	if v == "" {
		return def
	}
	l.from[name] = where
	return v
}

// isSet reports whether name was given a non-empty value; call after value.
func (l *loader) isSet(name string) bool {
	_, ok := l.from[name]
	return ok
}

// check records err against name, labelled with where its value came from.
func (l *loader) check(name string, err error) {
	if err == nil {
		return
	}
	where, ok := l.from[name]
	if !ok {
		where = name
	}
	l.errs = append(l.errs, fmt.Errorf("%s: %w", where, err))
}

// err returns all recorded problems, unknown file keys first since a
// misspelt key often explains the other errors.
func (l *loader) err() error {
	var errs []error
	for _, name := range l.order {
		if !l.used[name] {
			errs = append(errs, fmt.Errorf("%s: unknown key %q", l.path, l.file[name].key))
		}
	}
	return errors.Join(append(errs, l.errs...)...)
}

// yamlString turns a YAML scalar into the string the environment would hold;
// sequences are joined with commas where a list is allowed.
func yamlString(v any, list bool) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case []any:
		if !list {
			return "", errors.New("must be a single value, not a list")
		}
		items := make([]string, 0, len(v))
		for _, item := range v {
			s, err := yamlString(item, false)
			if err != nil {
				return "", errors.New("list items must be single values")
			}
			items = append(items, s)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("must be a single value")
}
