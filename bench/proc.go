package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// readRSS is the resident set of process pid in KiB (VmRSS in
// /proc/<pid>/status), or 0 where that cannot be read.
func readRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb
		}
	}
	return 0
}

// logShown is how many lines of one message logFilter passes on.
const logShown = 3

// logFilter passes the server's log on to w, but only the first logShown
// lines of each message: a warning logged on every request (the portal's
// "no Turnstile secret") would otherwise flood the terminal, and the
// benchmark would measure the terminal. Close reports what was held back.
type logFilter struct {
	w       io.Writer
	mu      sync.Mutex
	partial []byte
	seen    map[string]int
}

func newLogFilter(w io.Writer) *logFilter {
	return &logFilter{w: w, seen: map[string]int{}}
}

func (f *logFilter) Write(p []byte) (int, error) {
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

func (f *logFilter) line(l []byte) {
	key := logKey(string(l))
	f.seen[key]++
	switch n := f.seen[key]; {
	case n <= logShown:
		_, _ = f.w.Write(l)
	case n == logShown+1:
		fmt.Fprintf(f.w, "bench: (further server log lines with %s are counted, not shown)\n", key)
	}
}

// Close writes what is left and how many lines were held back.
func (f *logFilter) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.partial) > 0 {
		f.line(append(f.partial, '\n'))
		f.partial = nil
	}
	for key, n := range f.seen {
		if n > logShown {
			fmt.Fprintf(f.w, "bench: the server logged %d lines with %s\n", n, key)
		}
	}
}

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
	return strings.TrimSpace(l)
}

// userHZ is the unit of the CPU times in /proc (USER_HZ, 100 on Linux).
const userHZ = 100

// cpuSample is a reading of the CPU counters: the server's own and the
// whole machine's.
type cpuSample struct {
	at          time.Time
	serverTicks int64 // utime+stime of the server process; -1 unknown
	total, idle int64 // machine-wide, from /proc/stat; 0 unknown
}

func sampleCPU(pid int) cpuSample {
	s := cpuSample{at: time.Now(), serverTicks: -1}
	if pid != 0 {
		s.serverTicks = processTicks(pid)
	}
	s.total, s.idle = machineTicks()
	return s
}

// processTicks is utime+stime of pid, or -1.
func processTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name can hold spaces and parentheses: the fields start
	// after the last ')'. Then state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return utime + stime
}

// machineTicks are the total and idle (idle+iowait) ticks of all CPUs.
func machineTicks() (total, idle int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0
	}
	// user nice system idle iowait irq softirq steal; guest time is
	// already counted in user.
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return total, idle
}

// cpuUse is what the CPU did between two samples: the server's share of
// one core in percent (-1 unknown), and the machine's idle share (-1
// unknown).
func cpuUse(a, b cpuSample) (serverPct, idlePct float64) {
	serverPct, idlePct = -1, -1
	if secs := b.at.Sub(a.at).Seconds(); secs > 0 && a.serverTicks >= 0 && b.serverTicks >= 0 {
		serverPct = 100 * float64(b.serverTicks-a.serverTicks) / userHZ / secs
	}
	if dt := b.total - a.total; dt > 0 && a.total > 0 {
		idlePct = 100 * float64(b.idle-a.idle) / float64(dt)
	}
	return serverPct, idlePct
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
