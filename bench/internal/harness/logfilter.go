package harness

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// LogShown is how many lines of one message LogFilter passes on.
const LogShown = 3

// LogFilter passes the server's log on to w, but only the first LogShown
// lines of each message: a warning logged on every request (the portal's
// "no Turnstile secret") would otherwise flood the terminal, and the tool
// would measure the terminal. Close reports what was held back.
type LogFilter struct {
	w       io.Writer
	prefix  string // starts the filter's own lines, e.g. "bench: "
	mu      sync.Mutex
	partial []byte
	seen    map[string]int
}

// NewLogFilter writes to w; its own lines start with prefix.
func NewLogFilter(w io.Writer, prefix string) *LogFilter {
	return &LogFilter{w: w, prefix: prefix, seen: map[string]int{}}
}

func (f *LogFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			break
		}
		f.line(f.partial[:i+1])
		f.partial = f.partial[i+1:]
	}
	return len(p), nil
}

func (f *LogFilter) line(l []byte) {
	key := logKey(string(l))
	f.seen[key]++
	switch n := f.seen[key]; {
	case n <= LogShown:
		_, _ = f.w.Write(l)
	case n == LogShown+1:
		fmt.Fprintf(f.w, "%s(further server log lines with %s are counted, not shown)\n", f.prefix, key)
	}
}

// Close writes what is left and how many lines were held back.
func (f *LogFilter) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.partial) > 0 {
		f.line(append(f.partial, '\n'))
		f.partial = nil
	}
	for key, n := range f.seen {
		if n > LogShown {
			fmt.Fprintf(f.w, "%sthe server logged %d lines with %s\n", f.prefix, n, key)
		}
	}
}

// goLogTime is the date and time the standard log package writes (a
// library's own logger, say go-redis's), which differ from line to line.
var goLogTime = regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? `)

// logKey is what makes two log lines the same message: slog's msg= field,
// or for other lines the line without its time.
func logKey(l string) string {
	if i := strings.Index(l, " msg="); i >= 0 {
		msg := l[i+1:]
		if strings.HasPrefix(msg, `msg="`) {
			if j := strings.Index(msg[5:], `"`); j >= 0 {
				return msg[:5+j+1]
			}
		}
		if j := strings.IndexByte(msg, ' '); j >= 0 {
			return msg[:j]
		}
		return strings.TrimSpace(msg)
	}
	if rest, ok := strings.CutPrefix(l, "time="); ok {
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			return strings.TrimSpace(rest[j+1:])
		}
	}
	return strings.TrimSpace(goLogTime.ReplaceAllString(l, ""))
}
