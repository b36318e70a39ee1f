package untrusted

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"regexp"
	"strings"
)

// Redacted stands for private key material wherever it would have been shown.
const Redacted = "[private key material redacted]"

// pemKeyBeginRE matches the first line of any PEM private key: PKCS#8, PKCS#1, SEC1, encrypted,
// OpenSSH.
var pemKeyBeginRE = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)

// pemKeyEndRE matches the last line of a PEM private key.
var pemKeyEndRE = regexp.MustCompile(`-----END [A-Z0-9 ]*PRIVATE KEY-----`)

// pemKeyBlockRE matches a whole PEM private key block, or its beginning up to the end of the
// text when the end line is missing.
var pemKeyBlockRE = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`)

// base64RunRE matches runs of base64 long enough to hold a key (the smallest, an Ed25519
// PKCS#8 key, is 48 bytes: 64 characters).
var base64RunRE = regexp.MustCompile(`[A-Za-z0-9+/_-]{64,}={0,2}`)

// ContainsPrivateKey reports whether data holds private key material in any form kubeforge
// could be made to print: a PEM private key, its base64 encoding (as kubeconfigs embed keys),
// a DER key, or the base64 body of a PEM key without its armour.
func ContainsPrivateKey(data []byte) bool {
	if pemKeyBeginRE.Match(data) || isDERKey(data) {
		return true
	}
	for _, run := range base64RunRE.FindAll(data, -1) {
		if base64HoldsKey(run) {
			return true
		}
	}
	// The armour stripped: the lines of a PEM body joined.
	if compact := bytes.Join(bytes.Fields(data), nil); len(compact) >= 64 && len(compact) < 1<<20 {
		if der, ok := decodeBase64(compact); ok && isDERKey(der) {
			return true
		}
	}
	return false
}

// ScrubPrivateKeys returns s with every private key it holds replaced by Redacted: PEM blocks
// (the whole block, or from its first line to the end when it is cut short) and base64 runs
// that decode to a key.
func ScrubPrivateKeys(s string) string {
	s = pemKeyBlockRE.ReplaceAllString(s, Redacted)
	return base64RunRE.ReplaceAllStringFunc(s, func(run string) string {
		if base64HoldsKey([]byte(run)) {
			return Redacted
		}
		return run
	})
}

// base64HoldsKey reports whether a base64 run decodes to a PEM private key or a DER key.
func base64HoldsKey(run []byte) bool {
	der, ok := decodeBase64(run)
	if !ok {
		return false
	}
	return pemKeyBeginRE.Match(der) || isDERKey(der)
}

// decodeBase64 decodes standard or URL-safe base64, padded or not.
func decodeBase64(b []byte) ([]byte, bool) {
	s := strings.TrimRight(string(b), "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if out, err := enc.DecodeString(s); err == nil {
			return out, true
		}
	}
	return nil, false
}

// isDERKey reports whether b is a DER private key, or holds a PEM block whose body is one
// (whatever its armour says).
func isDERKey(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if _, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(b); err == nil {
		return true
	}
	if _, err := x509.ParseECPrivateKey(b); err == nil {
		return true
	}
	if blk, _ := pem.Decode(b); blk != nil && blk.Type != "CERTIFICATE" {
		return isDERKey(blk.Bytes)
	}
	return false
}
