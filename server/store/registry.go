package store

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Every query of the store is written once, named, in queries/*.sql (the
// queries of contacts.go in contacts.sql, and so on):
//
//	-- name: upsert-contact
//	-- pool: write
//	INSERT INTO contacts ... RETURNING {{contactCols}}
//
// pool is where it runs: read (the read pool) or write (the write pool, and
// so transactions, which can only use statements of the write pool). A block
// with "-- dialect: postgres" (or sqlite) replaces the block of that name on
// that dialect only; write one only where the dialects differ. Placeholders
// are ? on both dialects (rebound for PostgreSQL). {{ticketCols}} stands for
// a column list of columns, {{ticketCols t}} for the same qualified by the
// alias t. Other comment lines are left out of the SQL.
//
// A field of queries tagged `query:"name"` gets at start-up the statement
// prepared on its pool (*sqlx.Stmt), or, for a query run unprepared, its
// text rebound for the dialect (string), checked by preparing it once. A
// field without a tag, a tag that names no query and a query that no field
// names all fail Open, like a typo in the SQL.

//go:embed queries/*.sql
var queryFiles embed.FS

// Pools a query can run on.
const (
	poolRead  = "read"
	poolWrite = "write"
)

type query struct {
	name, pool, dialect, text string
	at                        string // file:line of the name, for errors
}

var (
	markerLine  = regexp.MustCompile(`^--\s*(name|pool|dialect):\s*(\S*)\s*$`)
	placeholder = regexp.MustCompile(`\{\{\s*(\w+)(?:\s+(\w+))?\s*\}\}`)
)

// loadQueries reads every named query of fsys (queries/*.sql) and keeps, for
// each name, the block written for dialect if there is one, else the common
// one.
func loadQueries(fsys fs.FS, dialect Dialect) (map[string]query, error) {
	files, err := fs.Glob(fsys, "queries/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: queries: %w", err)
	}
	common, own := map[string]query{}, map[string]query{}
	var errs []error
	for _, file := range files {
		blocks, err := parseQueries(fsys, file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, q := range blocks {
			set := common
			if q.dialect != "" {
				if q.dialect != string(dialect) {
					continue
				}
				set = own
			}
			if prev, ok := set[q.name]; ok {
				errs = append(errs, fmt.Errorf("store: %s: query %s written again (first at %s)", q.at, q.name, prev.at))
				continue
			}
			set[q.name] = q
		}
	}
	for name, q := range own {
		common[name] = q
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return common, nil
}

// parseQueries splits one file into its named blocks.
func parseQueries(fsys fs.FS, file string) ([]query, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("store: queries: %w", err)
	}
	defer f.Close()
	var (
		out  []query
		cur  *query
		body []string
		errs []error
	)
	finish := func() {
		if cur == nil {
			return
		}
		if err := cur.complete(body); err != nil {
			errs = append(errs, err)
		} else {
			out = append(out, *cur)
		}
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		at := fmt.Sprintf("%s:%d", path.Base(file), n)
		if m := markerLine.FindStringSubmatch(trimmed); m != nil {
			switch {
			case m[1] == "name":
				finish()
				cur, body = &query{name: m[2], at: at}, nil
			case cur == nil:
				errs = append(errs, fmt.Errorf("store: %s: %s before the first name marker", at, m[1]))
			case m[1] == "pool":
				cur.pool = m[2]
			default:
				cur.dialect = m[2]
			}
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		if cur == nil {
			errs = append(errs, fmt.Errorf("store: %s: SQL before the first name marker", at))
			continue
		}
		body = append(body, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", file, err)
	}
	finish()
	return out, errors.Join(errs...)
}

// complete checks a block's markers and sets its text, with the column
// lists filled in.
func (q *query) complete(body []string) error {
	var errs []error
	if q.name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if q.pool != poolRead && q.pool != poolWrite {
		errs = append(errs, fmt.Errorf("pool %q, want read or write", q.pool))
	}
	if q.dialect != "" && q.dialect != string(SQLite) && q.dialect != string(Postgres) {
		errs = append(errs, fmt.Errorf("dialect %q, want sqlite or postgres", q.dialect))
	}
	if len(body) == 0 {
		errs = append(errs, errors.New("no SQL"))
	}
	q.text = placeholder.ReplaceAllStringFunc(strings.Join(body, "\n"), func(p string) string {
		m := placeholder.FindStringSubmatch(p)
		cols, ok := columns[m[1]]
		if !ok {
			errs = append(errs, fmt.Errorf("no column list %s", p))
			return p
		}
		if m[2] != "" {
			return prefixed(m[2]+".", cols)
		}
		return cols
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: %s: query %s: %w", q.at, q.name, err)
	}
	return nil
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(prefix, cols string) string {
	return prefix + strings.ReplaceAll(cols, ", ", ", "+prefix)
}

var stmtType = reflect.TypeFor[*sqlx.Stmt]()

// prepareQueries fills every field of q (a pointer to a struct) from the
// registry, preparing each statement on its pool. On an error the
// statements prepared so far are closed.
func (s *Store) prepareQueries(ctx context.Context, registry map[string]query, q any) error {
	v := reflect.ValueOf(q).Elem()
	used := map[string]bool{}
	var errs []error
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name := f.Tag.Get("query")
		rq, ok := registry[name]
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("store: field %s has no query tag", f.Name))
			continue
		case !ok:
			errs = append(errs, fmt.Errorf("store: field %s: no query %q in queries/*.sql", f.Name, name))
			continue
		case f.Type != stmtType && f.Type.Kind() != reflect.String:
			errs = append(errs, fmt.Errorf("store: field %s: type %s, want *sqlx.Stmt or string", f.Name, f.Type))
			continue
		}
		used[name] = true
		db := s.read
		if rq.pool == poolWrite {
			db = s.write
		}
		st, err := db.PreparexContext(ctx, db.Rebind(rq.text))
		if err != nil {
			errs = append(errs, fmt.Errorf("store: prepare %s (%s): %w", name, rq.at, err))
			continue
		}
		if f.Type == stmtType {
			v.Field(i).Set(reflect.ValueOf(st))
			continue
		}
		// Run unprepared: the statement only checked the text.
		v.Field(i).SetString(db.Rebind(rq.text))
		if err := st.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: check %s: %w", name, err))
		}
	}
	var unused []string
	for name := range registry {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		errs = append(errs, fmt.Errorf("store: query %s (%s) is not used by any field", name, registry[name].at))
	}
	if err := errors.Join(errs...); err != nil {
		return errors.Join(err, closeQueries(q))
	}
	return nil
}

// closeQueries closes every prepared statement of q.
func closeQueries(q any) error {
	v := reflect.ValueOf(q).Elem()
	var errs []error
	for i := range v.NumField() {
		if st, ok := v.Field(i).Interface().(*sqlx.Stmt); ok && st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
