//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on an OS thread switched into the named network namespace; sockets fn
// creates stay in that namespace after the thread switches back. If switching back fails,
// the thread stays locked and Go retires it with the goroutine.
func inNetns(ns string, fn func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("entering network namespace %s: %w", ns, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return errors.Join(fnErr, fmt.Errorf("leaving network namespace %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return fnErr
}

// netnsDialer returns a dial function whose connections start in the named namespace: what a
// process of that host would open (e.g. to its own 127.0.0.1).
func netnsDialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNetns(ns, func() error {
			var err error
			c, err = (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// loadBalancer is a TCP proxy in its own namespace at the cluster's endpoint, passing each
// connection to the first backend that accepts it, round robin: the load balancer an HA
// cluster's controlPlaneEndpoint names.
type loadBalancer struct {
	ln       net.Listener
	backends []string
	mu       sync.Mutex
	next     int
	wg       sync.WaitGroup
	conns    map[net.Conn]struct{}
}

// startLoadBalancer listens on addr inside namespace ns and returns the running balancer.
func startLoadBalancer(ns, addr string, backends []string) (*loadBalancer, error) {
	lb := &loadBalancer{backends: backends, conns: map[net.Conn]struct{}{}}
	err := inNetns(ns, func() error {
		var err error
		lb.ln, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		return nil, err
	}
	lb.wg.Add(1)
	go lb.serve()
	return lb, nil
}

func (lb *loadBalancer) serve() {
	defer lb.wg.Done()
	for {
		c, err := lb.ln.Accept()
		if err != nil {
			return
		}
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			lb.proxy(c)
		}()
	}
}

// proxy copies between a client and a backend until either side closes.
func (lb *loadBalancer) proxy(client net.Conn) {
	defer client.Close()
	backend := lb.dialBackend()
	if backend == nil {
		return
	}
	defer backend.Close()
	if !lb.track(client, backend) {
		return
	}
	defer lb.untrack(client, backend)
	done := make(chan struct{}, 2)
	go func() { io.Copy(backend, client); done <- struct{}{} }()
	go func() { io.Copy(client, backend); done <- struct{}{} }()
	<-done
}

// dialBackend returns a connection to the next backend that answers, or nil.
func (lb *loadBalancer) dialBackend() net.Conn {
	lb.mu.Lock()
	start := lb.next
	lb.next = (lb.next + 1) % len(lb.backends)
	lb.mu.Unlock()
	for i := range lb.backends {
		b := lb.backends[(start+i)%len(lb.backends)]
		if c, err := net.DialTimeout("tcp", b, 2*time.Second); err == nil {
			return c
		}
	}
	return nil
}

// track records open connections so close can end them; false once closed.
func (lb *loadBalancer) track(cs ...net.Conn) bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.conns == nil {
		return false
	}
	for _, c := range cs {
		lb.conns[c] = struct{}{}
	}
	return true
}

func (lb *loadBalancer) untrack(cs ...net.Conn) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, c := range cs {
		delete(lb.conns, c)
	}
}

// close stops accepting, ends every proxied connection and waits for the goroutines.
func (lb *loadBalancer) close() {
	lb.ln.Close()
	lb.mu.Lock()
	for c := range lb.conns {
		c.Close()
	}
	lb.conns = nil
	lb.mu.Unlock()
	lb.wg.Wait()
}
