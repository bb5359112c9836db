package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// sizeTimeout bounds one size script; the widget's builds a wasm floor.
const sizeTimeout = 3 * time.Minute

// frontEnds are the size scripts of the front-end builds, and what they
// need built first.
var frontEnds = []struct {
	name, script, built string
}{
	{"admin-ui", "admin-ui/scripts/size.mjs", "admin-ui/dist/index.html"},
	{"widget", "widget/scripts/size.mjs", "widget/dist/manifest.json"},
}

// frontEndSizes runs each front end's size script (no load) and returns its
// output lines, or a line saying how to build what is missing.
func frontEndSizes(ctx context.Context) []string {
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return []string{"not measured: " + err.Error()}
	}
	var lines []string
	for _, fe := range frontEnds {
		if _, err := os.Stat(filepath.Join(root, fe.built)); err != nil {
			lines = append(lines, fe.name+": not built ("+fe.built+" missing); run `make build` first")
			continue
		}
		node, err := exec.LookPath("node")
		if err != nil {
			lines = append(lines, fe.name+": not measured: node is not installed")
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, sizeTimeout)
		cmd := exec.CommandContext(cctx, node, fe.script)
		cmd.Dir = root
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		cancel()
		for l := range strings.Lines(stdout.String()) {
			if l = strings.TrimRight(l, "\r\n"); l != "" {
				lines = append(lines, l)
			}
		}
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" || errors.Is(cctx.Err(), context.DeadlineExceeded) {
				msg = err.Error()
			}
			lines = append(lines, fe.name+": node "+fe.script+" failed: "+msg)
		}
	}
	return lines
}
