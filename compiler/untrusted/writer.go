package untrusted

import (
	"bytes"
	"io"
	"sync"
)

// Writer passes text through to an output stream with every private key removed: the last
// line of defence of a command's stdout and stderr, behind the rules that keep keys out of what
// commands print in the first place. It works line by line; Flush writes a last partial line.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	inKey bool
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write buffers p and writes every complete line, scrubbed.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		line := s.buf[:i+1]
		if err := s.emit(line); err != nil {
			return 0, err
		}
		s.buf = s.buf[i+1:]
	}
	return len(p), nil
}

// Flush writes what is left of a line without its newline.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		return nil
	}
	err := s.emit(s.buf)
	s.buf = nil
	return err
}

// emit writes one line, dropping the lines of a PEM private key block after its first.
func (s *Writer) emit(line []byte) error {
	if s.inKey {
		if pemKeyEndRE.Match(line) {
			s.inKey = false
		}
		return nil
	}
	if loc := pemKeyBeginRE.FindIndex(line); loc != nil && !pemKeyEndRE.Match(line[loc[1]:]) {
		// The block goes on over the next lines: show what came before it and one marker.
		s.inKey = true
		_, err := io.WriteString(s.w, ScrubPrivateKeys(string(line[:loc[0]]))+Redacted+"\n")
		return err
	}
	_, err := io.WriteString(s.w, ScrubPrivateKeys(string(line)))
	return err
}
