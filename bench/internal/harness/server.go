package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const (
	// ReadyTimeout bounds the wait for a started server's /readyz.
	ReadyTimeout = 60 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before it kills.
	StopTimeout = 20 * time.Second
)

// ServerOptions say how to run the portico binary.
type ServerOptions struct {
	Bin  string
	Dir  string // its working directory: away from any portico.yaml
	Addr string // host:port it listens on (PORTICO_ADDR)
	// Env is added to this process's environment without its PORTICO_
	// variables, so that a developer's own settings (say a Redis URL) do
	// not change what is measured.
	Env    []string
	Output io.Writer // its stdout and stderr
}

// Server is a portico process started by a tool.
type Server struct {
	Base    string // http://Addr
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
	waitErr error         // the exit status, set before exited closes
}

// StartServer runs the binary and waits until /readyz answers 200.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	s := &Server{Base: "http://" + o.Addr, exited: make(chan struct{})}
	// Not CommandContext: Stop sends SIGTERM and waits, as an orchestrator would.
	s.cmd = exec.Command(o.Bin)
	s.cmd.Dir = o.Dir
	s.cmd.Env = append(append(EnvironWithout("PORTICO_"), "PORTICO_ADDR="+o.Addr), o.Env...)
	s.cmd.Stdout, s.cmd.Stderr = o.Output, o.Output
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	if err := WaitReady(ctx, s.Base, ReadyTimeout, s.exited); err != nil {
		select {
		case <-s.exited:
			// Typically a build of a tree that is mid-edit, or a bad setting.
			return nil, fmt.Errorf("the server exited before it was ready (%v; its output is above)", s.waitErr)
		default:
			return nil, errors.Join(err, s.Stop())
		}
	}
	return s, nil
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Exited is closed once the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Kill sends SIGKILL and waits until the process is gone.
func (s *Server) Kill() error {
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill the server: %w", err)
	}
	<-s.exited
	return nil
}

// Stop asks the server to shut down gracefully and kills it if it is still
// running after StopTimeout.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		// Gone already: on Ctrl-C the terminal signals it too. An exit
		// that was not clean is still worth reporting.
		if s.waitErr != nil {
			return fmt.Errorf("the server exited early: %w", s.waitErr)
		}
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = s.cmd.Process.Kill()
	}
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("the server did not shut down cleanly: %w", s.waitErr)
		}
		return nil
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the server did not stop within %s of SIGTERM and was killed", StopTimeout)
	}
}

// WaitReady polls GET /readyz until it answers 200, the timeout passes or
// exited (nil for a server we did not start) closes.
func WaitReady(ctx context.Context, base string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		status, err := Send(client, req)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if last = err; err == nil {
			last = fmt.Errorf("status %d", status)
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return fmt.Errorf("%s/readyz did not answer 200 within %s: %v", base, timeout, last)
		case <-tick.C:
		}
	}
}

// Send does req and reads the whole answer, which lets the connection be
// reused and makes a latency include the body.
func Send(c *http.Client, req *http.Request) (status int, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// maxReadBody bounds what SendRead keeps of an answer.
const maxReadBody = 1 << 20

// SendRead is Send that also returns the body (its first MiB).
func SendRead(c *http.Client, req *http.Request) (status int, body []byte, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxReadBody))
	if err != nil {
		return 0, nil, err
	}
	// The rest, if any, so that the connection can be reused.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago; whoever needs it binds it right after.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// EnvironWithout is the environment minus variables with the prefix.
func EnvironWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// RandomHex is n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
