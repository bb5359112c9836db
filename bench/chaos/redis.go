package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server of the run's own, a child process, so that
// it can be cut (SIGKILL) and started again on the same port; nothing is
// saved, so it comes back empty, as a Redis without persistence does.
type redisServer struct {
	bin    string
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
	client *redis.Client // the run's own, to see when the server uses it
}

func startRedis(ctx context.Context, dir string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, missingError{"redis-server is not installed (not on PATH)"}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &redisServer{bin: bin, dir: dir, port: port}
	r.client = redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1, DialTimeout: time.Second})
	return r, r.start(ctx)
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }
func (r *redisServer) url() string  { return "redis://" + r.addr() + "/0" }

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start(ctx context.Context) error {
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", r.dir, "--logfile", r.dir+"/redis.log")
	r.exited = make(chan struct{})
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := r.client.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-r.exited:
			log, _ := os.ReadFile(r.dir + "/redis.log")
			return fmt.Errorf("redis-server exited at start:\n%s", tail(log, 2000))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer PING within 10s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cut kills the server, as a crashed or unreachable Redis.
func (r *redisServer) cut() error {
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-r.exited
	return nil
}

// inUse waits until the portico server has written a key again (its rate
// limiter writes one per request it limits), and returns how long that took.
func (r *redisServer) inUse(ctx context.Context, timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < timeout && ctx.Err() == nil {
		if n, err := r.client.DBSize(ctx).Result(); err == nil && n > 0 {
			return time.Since(start), true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), false
}

func (r *redisServer) stop() error {
	r.client.Close()
	return r.cut()
}
