//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a long-running program of a simulated host, in its own process group, with its
// output in a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // the Wait result, once done is closed
	stop func(grace time.Duration)
}

// processes are every long-running program the suite started.
type processes struct {
	mu   sync.Mutex
	list []*process
}

// start runs cmd with its output in logPath and returns it running.
func (ps *processes) start(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group, to be stopped as a whole; killed with the test binary should it die
	// before its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	var once sync.Once
	p.stop = func(grace time.Duration) { once.Do(func() { p.terminate(grace) }) }
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// exited returns a description of how p ended, or "" while it runs.
func (p *process) exited() string {
	select {
	case <-p.done:
		return fmt.Sprintf("%s exited: %v (log %s)", p.name, p.err, p.log)
	default:
		return ""
	}
}

// terminate ends p's process group: SIGTERM, then SIGKILL after grace. It returns once p is
// gone. Use p.stop, which does it once.
func (p *process) terminate(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	// The group may hold children of a process that already exited.
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// stopAll stops every process, all at once, and returns when all are gone.
func (ps *processes) stopAll(grace time.Duration) {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(grace)
		}()
	}
	wg.Wait()
}

// errNotYet is what a poll condition returns while what it waits for has not happened.
var errNotYet = errors.New("not yet")

// waitFor polls cond every interval until it returns nil, for at most timeout (and never
// past ctx). It stops early when one of the watched processes exits, since then cond cannot
// become true. The error names what was awaited and cond's last error.
func waitFor(ctx context.Context, what string, timeout time.Duration, watch []*process, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	interval := 500 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return nil
		}
		for _, p := range watch {
			if how := p.exited(); how != "" {
				return fmt.Errorf("waiting for %s: %s; last check: %v", what, how, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: gave up after %s: %v", what, timeout, err)
		case <-time.After(interval):
		}
		interval = min(interval*2, 3*time.Second)
	}
}
