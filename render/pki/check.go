package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// CertStatus is one certificate found by a check, with what is wrong with it.
type CertStatus struct {
	// Host is the host whose tree (or store directory) holds it; empty for a CA of the store
	// and for a single host tree.
	Host string `json:"host,omitempty"`
	// File is where it was found, relative to the checked directory; for a kubeconfig, the
	// kubeconfig (its client certificate is the one described).
	File string `json:"file"`
	// Certificate is the path, on the node, of the file a kubeconfig names with
	// client-certificate, when it does not embed its certificate.
	Certificate string    `json:"certificate,omitempty"`
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	IsCA        bool      `json:"isCA"`
	NotBefore   time.Time `json:"notBefore"`
	NotAfter    time.Time `json:"notAfter"`
	// Residual is the time left at the check, negative once expired.
	Residual        time.Duration `json:"-"`
	ResidualSeconds int64         `json:"residualSeconds"`
	Expired         bool          `json:"expired"`
	// Problems says why the certificate cannot be relied on: not signed by the CA it should
	// chain to, a key that is not its own, a kubeconfig trusting another CA, a file that could
	// not be read. Empty when it checks out.
	Problems []string `json:"problems,omitempty"`
	// Rotation says, for a CA (or the service-account key) of a store being rotated, the
	// stage and this certificate's part in it; empty when no rotation is under way.
	Rotation string `json:"rotation,omitempty"`
}

// Failed reports whether the certificate has expired or has a problem.
func (s CertStatus) Failed() bool { return s.Expired || len(s.Problems) > 0 }

// AnyFailed reports whether any of the certificates failed: `pki check` then exits 1.
func AnyFailed(statuses []CertStatus) bool { return slices.ContainsFunc(statuses, CertStatus.Failed) }

// CheckInput is a PKI store or a host tree as the check sees it, given by the caller that
// reads the disk: the check itself reads nothing.
type CheckInput struct {
	// Files holds every file by rooted path ("/etc/kubernetes/admin.conf",
	// "/hosts/w1/apiserver.crt") with why it must not be read, or "" when it may.
	Files map[string]string
	// Read returns the content of a readable file of Files, or why it has none. The check
	// calls it at most once per file, and only for the files it looks at.
	Read func(p string) (data []byte, problem string)
}

// CheckStoreFiles returns every certificate of a PKI store, sorted by file: each verified
// against the CA that should have signed it (in the store), each paired with its key when the
// store holds one.
func CheckStoreFiles(in CheckInput, now time.Time) []CertStatus {
	files := newFileSet(in)
	return withRotation(checkFiles(files, storeLayout{}, now), files)
}

// CheckTreeFiles returns every certificate of one host's tree, sorted by file, checked like
// CheckStoreFiles' against the CAs of the tree; host names the tree in rows ("" for a tree
// checked alone).
func CheckTreeFiles(in CheckInput, host string, now time.Time) []CertStatus {
	return checkFiles(newFileSet(in), treeLayout{host: host}, now)
}

// Unchecked returns a failing row for each certificate file or kubeconfig among the host's
// files (the paths its manifest lists), which cannot be checked without the host's tree.
func Unchecked(host string, files []string) []CertStatus {
	var out []CertStatus
	for _, p := range files {
		if (isCertFile(p) || isKnownKubeconfig(p)) && path.IsAbs(p) {
			out = append(out, CertStatus{Host: host, File: host + path.Clean(p),
				Problems: []string{"not checked: the output holds no tree for host " + host + " (compile with --format dir)"}})
		}
	}
	return out
}

func isCertFile(p string) bool {
	return slices.Contains([]string{".crt", ".pem", ".cert"}, path.Ext(p))
}

// isKnownKubeconfig reports whether p is where the tables put a kubeconfig.
func isKnownKubeconfig(p string) bool {
	return slices.ContainsFunc(leaves, func(l leafSpec) bool { return l.Kubeconfig != nil && l.Kubeconfig.Path == p })
}

func isKubeconfigFile(p string) bool {
	return slices.Contains([]string{".conf", ".kubeconfig"}, path.Ext(p))
}

// fileSet is a host tree or a store: its files by rooted path, each read at most once.
type fileSet map[string]*setFile

type setFile struct {
	// read returns the file's content or why it has none; nil once read (or for files given
	// in memory).
	read    func() ([]byte, string)
	data    []byte
	problem string
}

// newFileSet returns the input's files, unread.
func newFileSet(in CheckInput) fileSet {
	files := make(fileSet, len(in.Files))
	for p, problem := range in.Files {
		f := &setFile{problem: problem}
		if problem == "" {
			f.read = func() ([]byte, string) { return in.Read(p) }
		}
		files[p] = f
	}
	return files
}

// get returns the file at p: its content, or why it has none; ok is false when absent.
func (s fileSet) get(p string) (data []byte, problem string, ok bool) {
	f, ok := s[p]
	if !ok {
		return nil, "", false
	}
	if f.read != nil {
		f.data, f.problem = f.read()
		f.read = nil
	}
	return f.data, f.problem, true
}

// layout says how a file set is organised: which CA each certificate should chain to and how
// its files are named in results.
type layout interface {
	// caOf returns the path of the CA certificate that should have signed the certificate at
	// p; known is false for a path the tables do not name (any CA of the set will do).
	caOf(p string) (ca string, known bool)
	// where names the set in messages: "store", "host tree".
	where() string
	// row returns a status's Host and File for the file at p.
	row(p string) CertStatus
}

// storeLayout is the store's: ca.crt ... at its top, hosts/HOST/LEAF.crt.
type storeLayout struct{}

func (storeLayout) caOf(p string) (string, bool) {
	for _, a := range authorities {
		if p == "/"+a.Store+".crt" {
			return p, true
		}
	}
	rest, ok := strings.CutPrefix(p, "/"+hostsDir+"/")
	if !ok {
		return "", false
	}
	_, leaf, _ := strings.Cut(rest, "/")
	spec := leafByName(strings.TrimSuffix(leaf, ".crt"))
	if spec == nil || !strings.HasSuffix(leaf, ".crt") {
		return "", false
	}
	return "/" + authorityByID(spec.CA).Store + ".crt", true
}

func (storeLayout) where() string { return "store" }

func (storeLayout) row(p string) CertStatus {
	s := CertStatus{File: strings.TrimPrefix(p, "/")}
	if rest, ok := strings.CutPrefix(p, "/"+hostsDir+"/"); ok {
		s.Host, _, _ = strings.Cut(rest, "/")
	}
	return s
}

// treeLayout is a host's tree, at node paths, as kubeadm lays it out.
type treeLayout struct{ host string }

func (treeLayout) caOf(p string) (string, bool) {
	for _, a := range authorities {
		if p == a.CertPath {
			return p, true
		}
	}
	for _, l := range leaves {
		if p == l.CertPath || (l.Kubeconfig != nil && p == l.Kubeconfig.Path) {
			return authorityByID(l.CA).CertPath, true
		}
	}
	return "", false
}

func (treeLayout) where() string { return "host tree" }

func (t treeLayout) row(p string) CertStatus {
	return CertStatus{Host: t.host, File: strings.TrimPrefix(path.Join(t.host, p), "/")}
}

// setCheck checks one file set.
type setCheck struct {
	files  fileSet
	layout layout
	now    time.Time
	// cas holds every CA certificate of the set, by path.
	cas map[string][]*x509.Certificate
	// covered holds the certificate files kubeconfigs name that the tables do not (the
	// kubelet's pair file): listed with the kubeconfig, not again on their own.
	covered map[string]bool
}

// checkFiles returns the status of every certificate of a file set, sorted by file.
func checkFiles(files fileSet, l layout, now time.Time) []CertStatus {
	c := &setCheck{files: files, layout: l, now: now, cas: map[string][]*x509.Certificate{}, covered: map[string]bool{}}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if !isCertFile(p) {
			continue
		}
		if data, problem, _ := files.get(p); problem == "" {
			certs, _ := certificatesIn(data)
			for _, cert := range certs {
				if cert.IsCA {
					c.cas[p] = append(c.cas[p], cert)
				}
			}
		}
	}
	var out []CertStatus
	for _, p := range paths {
		if isKubeconfigFile(p) {
			out = append(out, c.kubeconfig(p)...)
		}
	}
	for _, p := range paths {
		if isCertFile(p) && !c.covered[p] {
			out = append(out, c.certFile(p)...)
		}
	}
	slices.SortStableFunc(out, func(a, b CertStatus) int { return strings.Compare(a.File, b.File) })
	return out
}

// certFile returns the rows of a certificate file: one per certificate it holds.
func (c *setCheck) certFile(p string) []CertStatus {
	row := c.layout.row(p)
	data, problem, _ := c.files.get(p)
	if problem != "" {
		row.Problems = []string{problem}
		return []CertStatus{row}
	}
	certs, err := certificatesIn(data)
	if err != nil {
		row.Problems = []string{"holds no certificate: " + err.Error()}
		return []CertStatus{row}
	}
	var out []CertStatus
	for i, cert := range certs {
		s := c.status(row, cert)
		if i == 0 {
			s.Problems = append(c.chainProblems(cert, p), c.keyProblems(cert, p, data)...)
		} else {
			// Further certificates are a chain: any CA of the set must have signed them.
			s.Problems = c.chainProblems(cert, "")
		}
		out = append(out, s)
	}
	return out
}

// keyProblems pairs the certificate at p with its key: one in the same file (a kubelet pair
// file), else the .key file beside it. No key, no check (a worker's ca.crt).
func (c *setCheck) keyProblems(cert *x509.Certificate, p string, data []byte) []string {
	if key, err, found := keyIn(data); found {
		return keyMatch(cert, key, err, p)
	}
	keyPath := strings.TrimSuffix(p, path.Ext(p)) + ".key"
	keyData, problem, ok := c.files.get(keyPath)
	switch {
	case !ok:
		return nil
	case problem != "":
		return []string{"key " + keyPath + " " + problem}
	}
	key, err, found := keyIn(keyData)
	if !found {
		return []string{"key " + keyPath + " holds no private key"}
	}
	return keyMatch(cert, key, err, keyPath)
}

// keyMatch describes whether key (parsed from where, with err) is cert's. Messages name files,
// never key bytes.
func keyMatch(cert *x509.Certificate, key crypto.Signer, err error, where string) []string {
	if err != nil {
		return []string{"key " + where + " does not parse: " + err.Error()}
	}
	if !samePublicKey(cert.PublicKey, key.Public()) {
		return []string{"key " + where + " is not this certificate's key"}
	}
	return nil
}

// keyIn returns the first private key of PEM data; found is false when there is none.
func keyIn(data []byte) (key crypto.Signer, err error, found bool) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, nil, false
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			key, err := parseKey(pem.EncodeToMemory(b))
			return key, err, true
		}
	}
}

// chainProblems verifies cert against the CA it should chain to (that of path p in the
// layout), or when p is unknown against any CA of the set.
func (c *setCheck) chainProblems(cert *x509.Certificate, p string) []string {
	ca, known := c.layout.caOf(p)
	if known && ca == p {
		return caProblems(cert)
	}
	if !known {
		if selfIssued(cert) && cert.IsCA {
			return caProblems(cert)
		}
		for _, cas := range c.cas {
			if signedByAny(cert, cas) {
				return nil
			}
		}
		return []string{"not signed by any CA in the " + c.layout.where() + " (issued by " + cert.Issuer.String() + ")"}
	}
	data, problem, ok := c.files.get(ca)
	switch {
	case !ok:
		return []string{"its CA " + ca + " is not in the " + c.layout.where()}
	case problem != "":
		return []string{"its CA " + ca + " " + problem}
	}
	cas, err := certificatesIn(data)
	if err != nil {
		return []string{"its CA " + ca + " holds no certificate"}
	}
	// In stage 2 of a rotation a store's leaves may still be the outgoing CA's until the
	// next compile re-issues them.
	if prev, problem, ok := c.files.get(strings.TrimSuffix(ca, ".crt") + prevSuffix + ".crt"); ok && problem == "" {
		if more, err := certificatesIn(prev); err == nil {
			cas = append(cas, more...)
		}
	}
	if !signedByAny(cert, cas) {
		return []string{fmt.Sprintf("not signed by its CA %s (%s); issued by %s", ca, cas[0].Subject, cert.Issuer)}
	}
	return nil
}

// caProblems checks a CA certificate: a CA, and self-signed when self-issued (a CA issued by
// another, an external etcd's intermediate, is accepted as it is).
func caProblems(cert *x509.Certificate) []string {
	if !cert.IsCA {
		return []string{"is not a CA certificate"}
	}
	if selfIssued(cert) && cert.CheckSignatureFrom(cert) != nil {
		return []string{"its self-signature does not verify"}
	}
	return nil
}

func selfIssued(cert *x509.Certificate) bool { return bytes.Equal(cert.RawIssuer, cert.RawSubject) }

func signedByAny(cert *x509.Certificate, cas []*x509.Certificate) bool {
	return slices.ContainsFunc(cas, func(ca *x509.Certificate) bool {
		return bytes.Equal(cert.RawIssuer, ca.RawSubject) && cert.CheckSignatureFrom(ca) == nil
	})
}

// status fills a row with what the certificate says.
func (c *setCheck) status(row CertStatus, cert *x509.Certificate) CertStatus {
	left := cert.NotAfter.Sub(c.now)
	row.Subject, row.Issuer, row.IsCA = cert.Subject.String(), cert.Issuer.String(), cert.IsCA
	row.NotBefore, row.NotAfter = cert.NotBefore.UTC(), cert.NotAfter.UTC()
	row.Residual, row.ResidualSeconds, row.Expired = left, int64(left/time.Second), left <= 0
	return row
}

// kubeconfigFile is what a check reads of a kubeconfig: client-go's field names, the
// references to files included (render/kubeconfig, which writes kubeconfigs, has no use for
// them).
type kubeconfigFile struct {
	Kind     string `json:"kind"`
	Clusters []struct {
		Cluster struct {
			CertificateAuthority     string `json:"certificate-authority"`
			CertificateAuthorityData []byte `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			ClientCertificate     string `json:"client-certificate"`
			ClientCertificateData []byte `json:"client-certificate-data"`
			ClientKey             string `json:"client-key"`
			ClientKeyData         []byte `json:"client-key-data"`
		} `json:"user"`
	} `json:"users"`
}

// kubeconfig returns a row per client certificate of the kubeconfig at p, embedded or named by
// path; a file that is not a kubeconfig (a sysctl .conf) has none.
func (c *setCheck) kubeconfig(p string) []CertStatus {
	row := c.layout.row(p)
	data, problem, _ := c.files.get(p)
	if problem != "" {
		row.Problems = []string{problem}
		return []CertStatus{row}
	}
	var k kubeconfigFile
	if yaml.Unmarshal(data, &k) != nil || k.Kind != "Config" {
		return nil
	}
	trust := c.kubeconfigTrust(p, k)
	var out []CertStatus
	for _, u := range k.Users {
		certData, certRef := u.User.ClientCertificateData, u.User.ClientCertificate
		if len(certData) == 0 && certRef == "" {
			continue // a token, or no credentials
		}
		r := row
		var problems []string
		if certRef != "" {
			r.Certificate = resolveRef(p, certRef)
			if _, known := c.layout.caOf(r.Certificate); !known {
				c.covered[r.Certificate] = true
			}
			var problem string
			certData, problem = c.referenced("client-certificate", r.Certificate)
			if problem != "" {
				r.Problems = append([]string{"user " + u.Name + ": " + problem}, trust...)
				out = append(out, r)
				continue
			}
		}
		// A pair file (the kubelet's) holds the key too.
		certs, err := certificatesIn(certData)
		if err != nil {
			r.Problems = append([]string{"user " + u.Name + ": client certificate does not parse: " + err.Error()}, trust...)
			out = append(out, r)
			continue
		}
		cert := certs[0]
		r = c.status(r, cert)
		problems = append(problems, c.chainProblems(cert, p)...)
		problems = append(problems, c.clientKeyProblems(p, u.Name, cert, u.User.ClientKeyData, u.User.ClientKey, certData)...)
		r.Problems = append(problems, trust...)
		out = append(out, r)
	}
	return out
}

// clientKeyProblems pairs a kubeconfig user's certificate with its key: embedded, named by
// path, or in the certificate's own file.
func (c *setCheck) clientKeyProblems(p, user string, cert *x509.Certificate, keyData []byte, keyRef string, certData []byte) []string {
	where := p + " (user " + user + ")"
	if keyRef != "" {
		where = resolveRef(p, keyRef)
		var problem string
		keyData, problem = c.referenced("client-key", where)
		if problem != "" {
			return []string{"user " + user + ": " + problem}
		}
	}
	if len(keyData) == 0 {
		keyData = certData
	}
	key, err, found := keyIn(keyData)
	if !found {
		return nil
	}
	return keyMatch(cert, key, err, where)
}

// kubeconfigTrust checks the CAs a kubeconfig at p trusts: where the tables say which CA the
// kubeconfig belongs to and the set holds it, it must be among them.
func (c *setCheck) kubeconfigTrust(p string, k kubeconfigFile) []string {
	ca, known := c.layout.caOf(p)
	if !known {
		return nil
	}
	want, problem, ok := c.files.get(ca)
	if !ok || problem != "" {
		return nil // reported with the client certificate
	}
	wantCerts, _ := certificatesIn(want)
	var out []string
	for _, cl := range k.Clusters {
		data := cl.Cluster.CertificateAuthorityData
		if ref := cl.Cluster.CertificateAuthority; ref != "" {
			var problem string
			if data, problem = c.referenced("certificate-authority", resolveRef(p, ref)); problem != "" {
				out = append(out, problem)
				continue
			}
		}
		if len(data) == 0 {
			continue
		}
		certs, err := certificatesIn(data)
		if err != nil || !slices.ContainsFunc(certs, func(x *x509.Certificate) bool {
			return slices.ContainsFunc(wantCerts, x.Equal)
		}) {
			out = append(out, "trusts a CA other than "+ca)
		}
	}
	return out
}

// resolveRef returns the path a kubeconfig at p names with ref, inside the set: relative
// references are relative to the kubeconfig's directory (as kubectl resolves them), and a
// rooted clean path cannot leave the set.
func resolveRef(p, ref string) string {
	if !path.IsAbs(ref) {
		ref = path.Join(path.Dir(p), ref)
	}
	return path.Clean(ref)
}

// referenced reads a file a kubeconfig names, only from the set (never outside it, never
// through a link).
func (c *setCheck) referenced(field, p string) ([]byte, string) {
	data, problem, ok := c.files.get(p)
	switch {
	case !ok:
		return nil, fmt.Sprintf("%s %s is not in the %s", field, p, c.layout.where())
	case problem != "":
		return nil, fmt.Sprintf("%s %s %s", field, p, problem)
	}
	return data, ""
}
