package install

import (
	"bytes"
	"compress/gzip"
)

// Gzip returns data compressed with an empty gzip header (no name, no time, no OS guess
// beyond Go's fixed "unknown"), so the same input always gives the same bytes.
func Gzip(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid: no error
	_, _ = zw.Write(data)                                    // a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
}
