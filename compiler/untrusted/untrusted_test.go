package untrusted

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keyPEMs returns private keys of every kind kubeforge could hold or be shown, PEM-encoded.
func keyPEMs(t *testing.T) map[string][]byte {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	edDER, _ := x509.MarshalPKCS8PrivateKey(ed)
	return map[string][]byte{
		"pkcs8":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		"sec1":    pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}),
		"pkcs1":   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rs)}),
		"ed25519": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}),
	}
}

// bodyLines returns the base64 lines of a PEM block: what must never appear in output.
func bodyLines(p []byte) []string {
	var out []string
	for _, l := range strings.Split(string(p), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func TestContainsPrivateKey(t *testing.T) {
	for name, k := range keyPEMs(t) {
		blk, _ := pem.Decode(k)
		forms := map[string][]byte{
			"pem":               k,
			"pem in yaml":       []byte("a: b\nkey: |\n  " + strings.ReplaceAll(string(k), "\n", "\n  ")),
			"base64 of pem":     []byte("client-key-data: " + base64.StdEncoding.EncodeToString(k) + "\n"),
			"der":               blk.Bytes,
			"body, no armour":   []byte(strings.Join(bodyLines(k), "\n")),
			"base64 url of pem": []byte(base64.RawURLEncoding.EncodeToString(k)),
		}
		for form, data := range forms {
			if !ContainsPrivateKey(data) {
				t.Errorf("%s as %s: not recognised as a private key", name, form)
			}
			scrubbed := ScrubPrivateKeys(string(data))
			if form == "der" || form == "body, no armour" {
				continue // only recognised whole: files holding them are never shown
			}
			for _, l := range bodyLines(k) {
				if strings.Contains(scrubbed, l) {
					t.Errorf("%s as %s: scrubbed text still holds %q", name, form, l)
				}
			}
		}
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: bigOne(), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ec.Public(), ec)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, data := range map[string][]byte{
		"certificate":           cert,
		"base64 of certificate": []byte(base64.StdEncoding.EncodeToString(cert)),
		"text":                  []byte("apiVersion: v1\nkind: Pod\n"),
		"sha256 digests":        []byte(strings.Repeat("0123456789abcdef", 8)),
	} {
		if ContainsPrivateKey(data) {
			t.Errorf("%s taken for a private key", name)
		}
		if got := ScrubPrivateKeys(string(data)); got != string(data) {
			t.Errorf("%s changed by scrubbing", name)
		}
	}
}

func TestWriterDropsKeyBlocks(t *testing.T) {
	for name, k := range keyPEMs(t) {
		var out bytes.Buffer
		w := NewWriter(&out)
		// Written in odd pieces, as a diff or a quoted source would be.
		text := "before\n  " + strings.ReplaceAll(string(k), "\n", "\n  ") + "after\nb64: " + base64.StdEncoding.EncodeToString(k)
		for len(text) > 0 {
			n := min(7, len(text))
			w.Write([]byte(text[:n]))
			text = text[n:]
		}
		w.Flush()
		got := out.String()
		for _, l := range bodyLines(k) {
			if strings.Contains(got, strings.TrimSpace(l)) {
				t.Errorf("%s: output holds key line %q:\n%s", name, l, got)
			}
		}
		if !strings.Contains(got, "before\n") || !strings.Contains(got, "after\n") || !strings.Contains(got, Redacted) {
			t.Errorf("%s: surrounding text lost or no marker:\n%s", name, got)
		}
	}
}

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 2048), 0o600)
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("ok"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(small, link)

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := ReadFile(fifo, 1024); !errors.Is(err, ErrNotRegular) {
			t.Errorf("FIFO: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
	for _, p := range []string{dir, "/dev/zero", "/dev/null"} {
		if _, err := ReadFile(p, 1024); !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := ReadFile(big, 1024); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v", err)
	}
	if data, err := ReadFile(link, 1024); err != nil || string(data) != "ok" {
		t.Errorf("ReadFile through a link: %q, %v", data, err)
	}
	if _, err := ReadFileNoFollow(link, 1024); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadFileNoFollow of a link: %v", err)
	}
	if data, err := ReadFileNoFollow(small, 1024); err != nil || string(data) != "ok" {
		t.Errorf("ReadFileNoFollow: %q, %v", data, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 1024); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

func bigOne() *big.Int { return big.NewInt(1) }
