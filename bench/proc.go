package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
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

// userHZ is the unit of the CPU times in /proc (USER_HZ, 100 on Linux).
const userHZ = 100

// cpuSample is a reading of the CPU counters: the server's own and the
// whole machine's.
type cpuSample struct {
	at          time.Time
	serverTicks int64 // utime+stime of the server process; -1 unknown
	benchTicks  int64 // of this process: the load generator and the sink
	dbTicks     int64 // of every process named postgres; -1 unknown
	total, idle int64 // machine-wide, from /proc/stat; 0 unknown
}

func sampleCPU(pid int, postgres bool) cpuSample {
	s := cpuSample{at: time.Now(), serverTicks: -1, dbTicks: -1}
	if pid != 0 {
		s.serverTicks = processTicks(pid)
	}
	if postgres {
		s.dbTicks = postgresTicks()
	}
	s.benchTicks = processTicks(os.Getpid())
	s.total, s.idle = machineTicks()
	return s
}

// postgresTicks sums the CPU time of every process named postgres: the
// server's backends, but also those of anyone else using that PostgreSQL,
// and none that exited since the last sample (a backend lives as long as
// its connection, which the server pools). -1 when /proc cannot be read.
func postgresTicks() int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	var sum int64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		if t := processTicks(pid); t > 0 {
			sum += t
		}
	}
	return sum
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

// cpuUse is what the CPU did between two samples, in percent of one core
// for the processes (-1 unknown) and of the whole machine for idle.
type cpuUse struct {
	server, db, bench, idle float64
}

func cpuBetween(a, b cpuSample) cpuUse {
	u := cpuUse{server: -1, db: -1, bench: -1, idle: -1}
	secs := b.at.Sub(a.at).Seconds()
	share := func(x, y int64) float64 {
		if secs <= 0 || x < 0 || y < 0 {
			return -1
		}
		return 100 * float64(y-x) / userHZ / secs
	}
	u.server = share(a.serverTicks, b.serverTicks)
	u.db = share(a.dbTicks, b.dbTicks)
	u.bench = share(a.benchTicks, b.benchTicks)
	if dt := b.total - a.total; dt > 0 && a.total > 0 {
		u.idle = 100 * float64(b.idle-a.idle) / float64(dt)
	}
	return u
}
