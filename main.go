// Command portico is a self-hosted public ticket portal for teams that run
// support from GitHub Issues. `go run .` starts it on SQLite.
//
//	portico [serve]                                 runs the server
//	portico github backfill [-limit N] [-dry-run]   gives tickets without a GitHub issue theirs
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/portico/portico/server/model"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/github"
)

const usage = `usage:
  portico [serve]                                 run the server
  portico github backfill [-limit N] [-dry-run]   open the GitHub issues of tickets that have none
                                                  (filed while the sync was off, or whose issue job gave up)
Configuration comes from the environment (PORTICO_*) or PORTICO_CONFIG, as for the server.`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}

// run picks the command: the server unless arguments name another.
func run(args []string, out io.Writer) error {
	switch {
	case len(args) == 0, len(args) == 1 && args[0] == "serve":
		return serve()
	case len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help"):
		fmt.Fprintln(out, usage)
		return nil
	case len(args) >= 2 && args[0] == "github" && args[1] == "backfill":
		return backfill(args[2:], out)
	}
	return fmt.Errorf("unknown command %q\n%s", strings.Join(args, " "), usage)
}

// serve runs the server until SIGINT or SIGTERM.
func serve() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, cfg, app.Deps{
		Logger:       newLogger(cfg, os.Stdout),
		Migrations:   migrationsFS,
		AdminUI:      mustSub(adminUIFS, "admin-ui/dist"),
		WidgetAssets: mustSub(widgetFS, "widget/dist"),
	})
}

// backfill runs `portico github backfill`; SIGINT stops the waiting, and
// what is left stays queued.
func backfill(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("portico github backfill", flag.ContinueOnError)
	flags.SetOutput(out)
	limit := flags.Int("limit", 0, "queue at most `N` tickets, oldest first (0: all)")
	dryRun := flags.Bool("dry-run", false, "print what would be queued; queue nothing")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("github backfill: unexpected %q\n%s", strings.Join(flags.Args(), " "), usage)
	}
	var bad model.FieldErrors
	if err := github.CheckBackfillLimit(*limit); errors.As(err, &bad) {
		return fmt.Errorf("github backfill: -limit %s, not %d", bad["limit"], *limit)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Its report goes to out; the log (and log:// mails, should the job
	// queue it works send one) to stderr.
	return app.Backfill(ctx, cfg, app.Deps{
		Logger:     newLogger(cfg, os.Stderr),
		Migrations: migrationsFS,
		MailLog:    os.Stderr,
	}, out, github.BackfillOptions{Limit: *limit, DryRun: *dryRun})
}

func loadConfig() (config.Config, error) {
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return config.Config{}, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
