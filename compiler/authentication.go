package compiler

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverv1beta1 "k8s.io/apiserver/pkg/apis/apiserver/v1beta1"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authcel "k8s.io/apiserver/pkg/authentication/cel"
	kjson "sigs.k8s.io/json"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// Authentication is apiServer.authentication.
type Authentication struct {
	// Config is the AuthenticationConfiguration the apiserver reads, at the API version of the
	// cluster's minor (Release.APIs.Authentication), each issuer's CA embedded as PEM; set when
	// the description is loaded (readAuthentication).
	Config *apiserverv1.AuthenticationConfiguration
	desc   *description.Authentication
}

func authentication(d *description.Authentication) *Authentication {
	if d == nil {
		return nil
	}
	return &Authentication{desc: d}
}

// authenticationField is the field of the authentication diagnostics.
var authenticationField = FieldPath("apiServer", "authentication")

// authnScheme converts the versioned configuration to the internal type the apiserver
// validates.
var authnScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apiserverapi.AddToScheme, apiserverv1.AddToScheme, apiserverv1beta1.AddToScheme} {
		if err := add(s); err != nil {
			panic("compiler: the apiserver config scheme: " + err.Error())
		}
	}
	return s
}()

// readAuthentication builds apiServer.authentication's AuthenticationConfiguration as part of
// loading the description: it reads each issuer's CA file (an I/O problem is exit 2), keeps
// certificates only, decodes the result strictly as the official type and validates it as the
// apiserver does at start, CEL expressions included, each problem at its field.
func readAuthentication(c *Cluster, loc Locator) diag.List {
	a := c.APIServer.Authentication
	if a == nil {
		return nil
	}
	var ds diag.List
	d := *a.desc
	d.JWT = append([]description.JWTAuthenticator(nil), d.JWT...)
	for i := range d.JWT {
		iss := &d.JWT[i].Issuer
		if iss.CertificateAuthority == "" {
			continue
		}
		path := FieldPath("apiServer", "authentication", "jwt", i, "issuer", "certificateAuthority")
		p := iss.CertificateAuthority
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.SourceDir, filepath.FromSlash(p))
		}
		data, err := untrusted.ReadFile(p, untrusted.PEMLimit)
		if err != nil {
			ds = append(ds, reported(loc, diag.CodeIO, diag.Error, path, path, "", "cannot read %s: %s", p, fileProblem(err)))
			continue
		}
		pemCerts, err := certificatesOnly(data)
		if err != nil {
			what := iss.CertificateAuthority
			ds = append(ds, reported(loc, diag.CodeIssuerCAInvalid, diag.Error, path, path,
				"give the PEM certificates of the CA that signed the issuer's serving certificate, nothing else: the file is copied into the apiserver's configuration", "%s: %v", what, err))
			continue
		}
		iss.CertificateAuthority = string(pemCerts)
	}
	if ds.HasErrors() {
		return ds
	}
	cfg, err := authenticationConfig(&d, c.Release.APIs.Authentication)
	if err != nil {
		return diag.List{reported(loc, diag.CodeAuthenticationInvalid, diag.Error, authenticationField, authenticationField, "", "%v", err)}
	}
	for _, e := range validateAuthentication(cfg, serviceAccountIssuers(c)) {
		path := authenticationField + "." + e.Field
		ds = append(ds, reported(loc, diag.CodeAuthenticationInvalid, diag.Error, path, path,
			"the apiserver refuses this AuthenticationConfiguration at start (https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration)",
			"%s", fieldProblem(e)))
	}
	if ds.HasErrors() {
		return ds
	}
	a.Config = cfg
	return nil
}

// authenticationConfig returns the description's authentication, whose fields mirror the
// official type's, decoded strictly as that type at apiVersion.
func authenticationConfig(d *description.Authentication, apiVersion string) (*apiserverv1.AuthenticationConfiguration, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var cfg apiserverv1.AuthenticationConfiguration
	strict, err := kjson.UnmarshalStrict(data, &cfg, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err == nil && len(strict) > 0 {
		err = errors.Join(strict...)
	}
	if err != nil {
		return nil, fmt.Errorf("not an AuthenticationConfiguration: %w", err)
	}
	cfg.APIVersion, cfg.Kind = apiVersion, "AuthenticationConfiguration"
	return &cfg, nil
}

// validateAuthentication returns what the apiserver's own validation finds in cfg, with the
// service-account issuers (which no JWT authenticator may claim) as the apiserver passes them.
func validateAuthentication(cfg *apiserverv1.AuthenticationConfiguration, saIssuers []string) field.ErrorList {
	var internal apiserverapi.AuthenticationConfiguration
	if err := authnScheme.Convert(cfg, &internal, nil); err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	return validation.ValidateAuthenticationConfiguration(authcel.NewDefaultCompiler(), &internal, saIssuers)
}

// ServiceAccountIssuer returns the --service-account-issuer kubeforge gives the apiserver, as
// kubeadm does: the apiserver's in-cluster URL. An apiServer.extraArgs entry replaces it.
func (c *Cluster) ServiceAccountIssuer() string {
	return "https://kubernetes.default.svc." + c.Network.DNSDomain
}

// serviceAccountIssuers returns the apiserver's --service-account-issuer values: kubeforge's,
// or the user's extra arg (a comma-separated list, as the flag takes it).
func serviceAccountIssuers(c *Cluster) []string {
	if v, ok := c.APIServer.ExtraArgs["service-account-issuer"]; ok {
		return strings.Split(v, ",")
	}
	return []string{c.ServiceAccountIssuer()}
}

// fieldProblem words a validation error without its value: the field's position shows it, and
// a value may be long.
func fieldProblem(e *field.Error) string {
	if e.Detail == "" {
		return e.Type.String()
	}
	return e.Type.String() + ": " + e.Detail
}

// certificatesOnly returns data's certificates, re-encoded as plain PEM (no headers, no text
// around them), or why data is not one or more PEM certificates and nothing else. A private
// key is named as such and never echoed.
func certificatesOnly(data []byte) ([]byte, error) {
	if untrusted.ContainsPrivateKey(data) {
		return nil, errors.New("holds a private key; a CA file must hold certificates only")
	}
	var out bytes.Buffer
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		// pem.Decode would skip text before a block.
		if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return nil, errors.New("holds text that is not a PEM certificate")
		}
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, errors.New("holds a PEM block that does not end")
		}
		rest = bytes.TrimSpace(rest)
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("holds a PEM block of type %q; only CERTIFICATE blocks are allowed", blk.Type)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, fmt.Errorf("a certificate does not parse: %v", err)
		}
		if err := pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: blk.Bytes}); err != nil {
			return nil, err
		}
	}
	if out.Len() == 0 {
		return nil, errors.New("holds no PEM certificate")
	}
	return out.Bytes(), nil
}
