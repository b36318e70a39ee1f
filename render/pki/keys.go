package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"kubeforge.dev/kubeforge/compiler"
)

// PEM block types, as kubeadm (client-go's keyutil) writes them.
const (
	blockCertificate = "CERTIFICATE"
	blockECKey       = "EC PRIVATE KEY"
	blockRSAKey      = "RSA PRIVATE KEY"
	blockPKCS8Key    = "PRIVATE KEY"
	blockPublicKey   = "PUBLIC KEY"
)

// newKey returns a fresh private key of the algorithm. Since Go 1.26 key generation always
// draws from the system's secure source (tests make it deterministic with
// testing/cryptotest.SetGlobalRandom), so no reader is taken.
func newKey(alg compiler.KeyAlgorithm) (crypto.Signer, error) {
	switch alg {
	case compiler.ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case compiler.ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case compiler.RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case compiler.RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case compiler.RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("unsupported key algorithm %q", alg)
}

// algorithmOf returns the key algorithm of a public key, or a description of a foreign one.
func algorithmOf(pub crypto.PublicKey) compiler.KeyAlgorithm {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return compiler.ECDSAP256
		case elliptic.P384():
			return compiler.ECDSAP384
		}
		return compiler.KeyAlgorithm("ECDSA-" + k.Curve.Params().Name)
	case *rsa.PublicKey:
		return compiler.KeyAlgorithm(fmt.Sprintf("RSA-%d", k.N.BitLen()))
	}
	return compiler.KeyAlgorithm(fmt.Sprintf("%T", pub))
}

// isRSA reports whether the key is an RSA key: only those may encipher keys (RFC 5480 forbids
// keyEncipherment on EC keys, which kubeadm sets anyway).
func isRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}

// encodeKey returns the PEM of a private key: SEC1 for EC, PKCS#1 for RSA, as kubeadm writes.
func encodeKey(k crypto.Signer) ([]byte, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: blockECKey, Bytes: der}), nil
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: blockRSAKey, Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// parseKey returns the private key of a PEM file (SEC1, PKCS#1 or PKCS#8).
func parseKey(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM data")
	}
	var k any
	var err error
	switch b.Type {
	case blockECKey:
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case blockRSAKey:
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case blockPKCS8Key:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}

// encodeCert returns the PEM of a DER certificate.
func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: der})
}

// parseCert returns the first certificate of a PEM file.
func parseCert(data []byte) (*x509.Certificate, error) {
	certs, err := parseCerts(data)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// parseCerts returns every certificate of a PEM file; other blocks are an error.
func parseCerts(data []byte) ([]*x509.Certificate, error) { return decodeCerts(data, true) }

// certificatesIn returns the certificates of a PEM file, skipping other blocks (a kubelet
// pair file holds its key too); a file without any is an error.
func certificatesIn(data []byte) ([]*x509.Certificate, error) { return decodeCerts(data, false) }

func decodeCerts(data []byte, onlyCerts bool) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != blockCertificate {
			if onlyCerts {
				return nil, fmt.Errorf("PEM block %q is not a certificate", b.Type)
			}
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return out, nil
}

// encodePublicKey returns the PKIX PEM of a public key (sa.pub).
func encodePublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockPublicKey, Bytes: der}), nil
}

// parsePublicKey returns the public key of a PKIX PEM file.
func parsePublicKey(data []byte) (crypto.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM data")
	}
	if b.Type != blockPublicKey {
		return nil, fmt.Errorf("PEM block %q is not a public key", b.Type)
	}
	return x509.ParsePKIXPublicKey(b.Bytes)
}

// samePublicKey reports whether two public keys are equal.
func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
