package harness

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// UnameSR is `uname -sr`, the kernel's name and release.
func UnameSR() string {
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return runtime.GOOS
	}
	return strings.TrimSpace(string(out))
}

// CPUModel is ", <model name>" from /proc/cpuinfo, or "".
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if key, val, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(key) == "model name" {
			return ", " + strings.TrimSpace(val)
		}
	}
	return ""
}

// LoadAverage is /proc/loadavg's 1, 5 and 15 minute figures, or "unknown".
func LoadAverage() string {
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
