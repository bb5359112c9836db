package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// side is one server under test: the current tree, or the baseline it is
// compared with.
type side struct {
	name   string // sideCurrent or sideBaseline
	src    string // the checkout it is built from
	from   string // how it was named, for the report
	commit string // of src: `git rev-parse HEAD`, with -dirty for changes
	bin    string // the built server
}

// prepareSides builds the server of each side into dir: the baseline, when
// there is one, first, as it runs first. cleanup removes a worktree made
// for -baseline-ref, and must be called even after an error.
func prepareSides(ctx context.Context, o options, dir string, logf func(string, ...any)) (sides []side, cleanup func() error, err error) {
	cleanup = func() error { return nil }
	current := side{name: sideCurrent, src: o.src, from: "-src " + o.src}
	if o.src == "" {
		if current.src, err = harness.ModuleRoot(ctx); err != nil {
			return nil, cleanup, err
		}
		current.from = "the working tree"
	}
	if o.hasBaseline() {
		base := side{name: sideBaseline, src: o.baseline, from: "-baseline " + o.baseline}
		if o.baselineRef != "" {
			logf("checking out %s for the baseline", o.baselineRef)
			base.src, cleanup, err = addWorktree(ctx, current.src, o.baselineRef)
			if err != nil {
				return nil, cleanup, err
			}
			base.from = "-baseline-ref " + o.baselineRef + ", a temporary worktree"
		}
		sides = append(sides, base)
	}
	sides = append(sides, current)
	for i := range sides {
		s := &sides[i]
		s.commit = harness.TreeCommit(ctx, s.src)
		logf("building the %s server (%s, %s)", s.name, s.from, s.commit)
		out := filepath.Join(dir, s.name)
		if err := os.Mkdir(out, 0o755); err != nil {
			return nil, cleanup, err
		}
		if s.bin, err = harness.Build(ctx, out, s.src); err != nil {
			return nil, cleanup, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return sides, cleanup, nil
}

// addWorktree checks ref out, detached, into a new temporary directory of
// the repository at repo, and returns it with a func that removes it again
// (from the repository's list of worktrees too).
func addWorktree(ctx context.Context, repo, ref string) (dir string, remove func() error, err error) {
	remove = func() error { return nil }
	parent, err := os.MkdirTemp("", "portico-baseline-")
	if err != nil {
		return "", remove, err
	}
	dir = filepath.Join(parent, "portico")
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "worktree", "add", "--detach", "--quiet", dir, ref)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", remove, errors.Join(fmt.Errorf("git worktree add %s: %w\n%s", ref, err, out), os.RemoveAll(parent))
	}
	remove = func() error {
		// Not ctx: the worktree must go even after an interrupt.
		rmCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var errs []error
		if out, err := exec.CommandContext(rmCtx, "git", "-C", repo, "worktree", "remove", "--force", dir).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("git worktree remove %s: %w\n%s", dir, err, out))
		}
		return errors.Join(append(errs, os.RemoveAll(parent))...)
	}
	return dir, remove, nil
}

// benchCommit is the commit of the benchmark's own tree.
func benchCommit(ctx context.Context) string {
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return "unknown"
	}
	return harness.TreeCommit(ctx, root)
}
