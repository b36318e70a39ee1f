package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"kubeforge.dev/kubeforge/render"
)

const (
	// progressDelay: a compile done sooner shows no progress at all.
	progressDelay = time.Second
	progressEvery = 200 * time.Millisecond
)

// progressLine keeps one line of a terminal up to date while a compile runs: certificates
// issued, hosts rendered, files being written, time so far. It stays silent for its first
// delay, and entirely without a terminal (a nil *progressLine does nothing).
type progressLine struct {
	term  *os.File
	start time.Time
	delay time.Duration

	mu       sync.Mutex
	certs    *render.Progress
	hosts    render.Progress
	files    int
	shown    bool
	last     string // the line last drawn
	stop     chan struct{}
	stopOnce sync.Once
	finished chan struct{}
}

// startProgress starts a progress line on term, or returns nil when term is nil.
func startProgress(term *os.File, delay time.Duration) *progressLine {
	if term == nil {
		return nil
	}
	p := &progressLine{term: term, start: time.Now(), delay: delay, stop: make(chan struct{}), finished: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progressLine) loop() {
	defer close(p.finished)
	wait := time.NewTimer(p.delay)
	defer wait.Stop()
	select {
	case <-p.stop:
		return
	case <-wait.C:
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		p.draw()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// compile is the compile's render.Options.Progress.
func (p *progressLine) compile(pr render.Progress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch pr.Stage {
	case render.StageCertificates:
		// Key counts come from several goroutines: keep the furthest.
		if p.certs == nil || pr.Total > 0 || pr.Done >= p.certs.Done {
			p.certs = &pr
		}
	case render.StageHosts:
		// Reports come from several goroutines: keep the furthest.
		if pr.Done >= p.hosts.Done {
			p.hosts = pr
		}
	}
}

// writing says that files are being written. emit reports no progress of its own yet; when it
// does, its callback lands here with the files written so far.
func (p *progressLine) writing(files int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.files = files
	p.mu.Unlock()
}

// Stop ends the line, showing the final counts once when the line was due, and clears it
// before anything else is printed; again, it does nothing.
func (p *progressLine) Stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() {
		close(p.stop)
		<-p.finished
		if time.Since(p.start) >= p.delay {
			p.draw()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.shown {
			fmt.Fprint(p.term, "\r\x1b[K")
		}
	})
}

func (p *progressLine) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.text()
	if w, _, err := term.GetSize(int(p.term.Fd())); err == nil && w > 1 && len(line) >= w {
		line = line[:w-1]
	}
	if line == p.last {
		return
	}
	fmt.Fprint(p.term, "\r"+line+"\x1b[K")
	p.shown, p.last = true, line
}

// text returns the line, e.g. "compiling: 4040 certificates issued, hosts 1203/2003, 37s".
func (p *progressLine) text() string {
	var parts []string
	switch {
	case p.certs == nil:
	case p.certs.Total == 0 && p.certs.Done == 0:
		parts = append(parts, "issuing certificates and keys")
	case p.certs.Total == 0:
		parts = append(parts, fmt.Sprintf("issuing certificates: %d keys made", p.certs.Done))
	default:
		parts = append(parts, fmt.Sprintf("%d certificates issued", p.certs.Done))
	}
	if p.hosts.Total > 0 {
		parts = append(parts, fmt.Sprintf("hosts %d/%d", p.hosts.Done, p.hosts.Total))
	}
	if p.files > 0 {
		parts = append(parts, fmt.Sprintf("writing %d files", p.files))
	}
	parts = append(parts, fmt.Sprintf("%ds", int(time.Since(p.start).Seconds())))
	return "compiling: " + strings.Join(parts, ", ")
}
