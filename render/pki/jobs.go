package pki

import (
	"crypto/x509"
	"io"
	"math/big"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
)

// keyJob creates one key and, unless req is nil, its certificate.
type keyJob struct {
	alg    compiler.KeyAlgorithm
	req    *certRequest
	parent *keyPair // nil: self-signed
	serial *big.Int
	valid  validity
	out    *keyPair
	err    error
}

func (j *keyJob) run(rnd io.Reader) {
	key, err := newKey(j.alg)
	if err != nil {
		j.err = err
		return
	}
	p := &keyPair{Key: key}
	if p.KeyPEM, j.err = encodeKey(key); j.err != nil {
		return
	}
	if j.req != nil {
		var parent *x509.Certificate
		signer := key
		if j.parent != nil {
			parent, signer = j.parent.Cert, j.parent.Key
		}
		der, err := signCert(*j.req, key.Public(), parent, signer, j.serial, j.valid, rnd)
		if err != nil {
			j.err = err
			return
		}
		p.CertPEM = encodeCert(der)
		// Parsing our own DER cannot fail; CreateCertificate has just checked it.
		if p.Cert, j.err = parseCert(p.CertPEM); j.err != nil {
			return
		}
	}
	j.out = p
}

// runJobs runs the jobs on all cores and returns the first error, in job order.
func (r *Result) runJobs(jobs []*keyJob) error {
	return parallel.ForErr(len(jobs), func(i int) error {
		jobs[i].run(r.opts.Rand)
		if n := r.keysMade.Add(1); r.opts.Progress != nil {
			r.opts.Progress(int(n))
		}
		return jobs[i].err
	})
}
