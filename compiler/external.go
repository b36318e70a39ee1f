package compiler

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// readExternalEtcd reads the user's external etcd files named by the description, as part of
// loading it: a missing or unreadable file is an I/O problem (exit 2), one that does not hold
// what its field says is an invalid description (exit 1), both at the field's position, and
// validate sees them as compile would. Rendering then only copies the bytes.
func readExternalEtcd(c *Cluster, loc Locator) diag.List {
	x := c.Etcd.External
	if c.Etcd.Topology != EtcdExternal || x == nil {
		return nil
	}
	var ds diag.List
	read := func(field, name string) []byte {
		path := FieldPath("etcd", "external", field)
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.SourceDir, p)
		}
		data, err := untrusted.ReadFile(p, untrusted.PEMLimit)
		if err == nil {
			return data
		}
		ds = append(ds, reported(loc, diag.CodeIO, diag.Error, path, path, "", "cannot read %s: %s", p, fileProblem(err)))
		return nil
	}
	invalid := func(code diag.Code, field, format string, args ...any) {
		path := FieldPath("etcd", "external", field)
		ds = append(ds, reported(loc, code, diag.Error, path, path, "", format, args...))
	}
	x.CA, x.Cert, x.Key = read("caFile", x.CAFile), read("certFile", x.CertFile), read("keyFile", x.KeyFile)
	if ds.HasErrors() {
		return ds
	}
	if n, err := pemCertificates(x.CA); err != nil {
		invalid(diag.CodeExternalEtcdCA, "caFile", "%s: %v", x.CAFile, err)
	} else if n == 0 {
		invalid(diag.CodeExternalEtcdCA, "caFile", "%s holds no certificate", x.CAFile)
	}
	certs, err := pemCertificateList(x.Cert)
	if err != nil || len(certs) == 0 {
		invalid(diag.CodeExternalEtcdCert, "certFile", "%s: expected a PEM certificate (%v)", x.CertFile, orNone(err))
		return ds
	}
	key, err := pemPrivateKey(x.Key)
	if err != nil {
		invalid(diag.CodeExternalEtcdKey, "keyFile", "%s: expected a PEM private key (%v)", x.KeyFile, err)
		return ds
	}
	type publicKey interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(publicKey); !ok || !pub.Equal(certs[0].PublicKey) {
		invalid(diag.CodeExternalEtcdKeyMismatch, "keyFile", "%s is not the key of %s", x.KeyFile, x.CertFile)
	}
	return ds
}

// fileProblem words why a file could not be read, without the path (the message has it).
func fileProblem(err error) string {
	var fe *untrusted.FileError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func orNone(err error) any {
	if err == nil {
		return "no CERTIFICATE block"
	}
	return err
}

// pemCertificates counts the certificates of a PEM bundle, failing on one that does not parse.
func pemCertificates(data []byte) (int, error) {
	certs, err := pemCertificateList(data)
	return len(certs), err
}

func pemCertificateList(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return out, nil
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// pemPrivateKey parses the first private key block of data (PKCS#8, PKCS#1 or SEC 1).
func pemPrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return nil, errors.New("no PRIVATE KEY block")
		}
		var key any
		var err error
		switch blk.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %s", reflect.TypeOf(key))
		}
		return s, nil
	}
}
