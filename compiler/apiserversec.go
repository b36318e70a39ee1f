package compiler

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// Encryption providers kubeforge generates keys for; all take a 32-byte key.
const (
	ProviderSecretbox = "secretbox"
	ProviderAESCBC    = "aescbc"
	ProviderAESGCM    = "aesgcm"
)

// DefaultEncryptionKey names the key of an encryptionAtRest without keys.
const DefaultEncryptionKey = "key1"

// EncryptionAtRest is apiServer.encryptionAtRest: which resources the apiserver encrypts in
// etcd and with which keys. The key material is in the PKI store (render/pki), never in the
// description.
type EncryptionAtRest struct {
	Resources []string
	// Keys are in the description's order: the first writes, the others only read.
	Keys []EncryptionKey
	// KeysAt is where the key list is written (the encryptionAtRest field when the list is
	// defaulted): the rotation is checked when the PKI store is read, after loading.
	KeysAt Site
}

// EncryptionKey is one key of the EncryptionConfiguration.
type EncryptionKey struct {
	Name     string
	Provider string
	// At is where the key's name is written (KeysAt for the default key).
	At Site
}

// Site is a description field and where it is written, kept in the model for the checks that
// run once the description has been loaded (the PKI store's, in render/pki).
type Site struct {
	Path     string
	Pos, End diag.Position
}

// siteOf returns the site of the field at path, or of fallback when the user did not write it.
func siteOf(loc Locator, path, fallback string) Site {
	if !loc.Written(path) {
		path = fallback
	}
	pos, end := loc.RangeOf(path)
	return Site{Path: path, Pos: pos, End: end}
}

// Writer returns the key new data is encrypted with.
func (e *EncryptionAtRest) Writer() EncryptionKey { return e.Keys[0] }

// Audit is apiServer.audit.
type Audit struct {
	// Policy is the user's policy, inline or read from PolicyFile when the description is
	// loaded; nil means kubeforge's default (render/apiserversec).
	Policy *auditv1.Policy
	// PolicyFile is the file the policy came from, relative to SourceDir; "" when inline or
	// default.
	PolicyFile string
	// inline is the policy as written in the description, decoded when it is loaded.
	inline any
	// MaxAge (days), MaxBackup (files) and MaxSize (megabytes) rotate the log.
	MaxAge, MaxBackup, MaxSize int
}

func (b *builder) encryptionAtRest(d *description.EncryptionAtRest) *EncryptionAtRest {
	if d == nil {
		return nil
	}
	field := FieldPath("apiServer", "encryptionAtRest")
	e := &EncryptionAtRest{Resources: slices.Clone(d.Resources), KeysAt: siteOf(b.loc, FieldPath("apiServer", "encryptionAtRest", "keys"), field)}
	keys := d.Keys
	if len(keys) == 0 {
		keys = []description.EncryptionKey{{Name: DefaultEncryptionKey}}
	}
	for i, k := range keys {
		p := k.Provider
		if p == "" {
			p = d.Provider
		}
		e.Keys = append(e.Keys, EncryptionKey{Name: k.Name, Provider: p, At: siteOf(b.loc, FieldPath("apiServer", "encryptionAtRest", "keys", i, "name"), e.KeysAt.Path)})
	}
	return e
}

func audit(d *description.Audit) *Audit {
	if d == nil {
		return nil
	}
	a := &Audit{MaxAge: d.MaxAge, MaxBackup: d.MaxBackup, MaxSize: d.MaxSize}
	switch p := d.Policy.(type) {
	case string:
		a.PolicyFile = p
	case nil:
	default:
		a.inline = p
	}
	return a
}

// auditPolicyField is the field every policy diagnostic points at.
var auditPolicyField = FieldPath("apiServer", "audit", "policy")

// readAuditPolicy decodes the user's audit policy, inline or from its file, strictly as the
// official audit.k8s.io/v1 type, as part of loading the description: a file that cannot be
// read is an I/O problem (exit 2), a policy the apiserver would refuse makes the description
// invalid (exit 1), both at the field's position.
func readAuditPolicy(c *Cluster, loc Locator) diag.List {
	a := c.APIServer.Audit
	if a == nil || a.PolicyFile == "" && a.inline == nil {
		return nil
	}
	var data []byte
	var err error
	what := "the inline policy"
	if a.PolicyFile != "" {
		what = a.PolicyFile
		p := a.PolicyFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.SourceDir, filepath.FromSlash(p))
		}
		var raw []byte
		if raw, err = untrusted.ReadFile(p, untrusted.PEMLimit); err != nil {
			return diag.List{reported(loc, diag.CodeIO, diag.Error, auditPolicyField, auditPolicyField, "", "cannot read %s: %s", p, fileProblem(err))}
		}
		data, err = yaml.YAMLToJSONStrict(raw)
	} else {
		data, err = json.Marshal(a.inline)
	}
	if err == nil {
		a.Policy, err = decodeAuditPolicy(data)
	}
	if err != nil {
		return diag.List{reported(loc, diag.CodeAuditPolicyInvalid, diag.Error, auditPolicyField, auditPolicyField,
			"write an audit.k8s.io/v1 Policy: rules of level None, Metadata, Request or RequestResponse (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/)",
			"%s: %v", what, err)}
	}
	if len(a.Policy.Rules) == 0 {
		return diag.List{reported(loc, diag.CodeAuditPolicyEmpty, diag.Warning, auditPolicyField, auditPolicyField,
			"add rules, or leave policy out for kubeforge's default", "%s has no rules: the apiserver records no event", what)}
	}
	return nil
}

// auditLevels and auditStages are the values the apiserver accepts.
var (
	auditLevels = []auditv1.Level{auditv1.LevelNone, auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse}
	auditStages = []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic}
)

// decodeAuditPolicy returns the policy of a JSON document, decoded strictly (no unknown or
// repeated field, names matched with their case) and checked as the apiserver checks it at
// start. A missing apiVersion and kind are filled in; others are refused.
func decodeAuditPolicy(data []byte) (*auditv1.Policy, error) {
	var p auditv1.Policy
	strict, err := kjson.UnmarshalStrict(data, &p, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	want := auditv1.SchemeGroupVersion.String()
	switch {
	case p.APIVersion == "" && p.Kind == "":
		p.APIVersion, p.Kind = want, "Policy"
	case p.APIVersion != want || p.Kind != "Policy":
		return nil, fmt.Errorf("apiVersion %q kind %q, want %s Policy", p.APIVersion, p.Kind, want)
	}
	var problems []string
	stages := func(at string, ss []auditv1.Stage) {
		for _, s := range ss {
			if !slices.Contains(auditStages, s) {
				problems = append(problems, fmt.Sprintf("%s: stage %q is not one of RequestReceived, ResponseStarted, ResponseComplete, Panic", at, s))
			}
		}
	}
	stages("omitStages", p.OmitStages)
	for i, r := range p.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		if !slices.Contains(auditLevels, r.Level) {
			problems = append(problems, fmt.Sprintf("%s: level %q is not one of None, Metadata, Request, RequestResponse", at, r.Level))
		}
		stages(at+".omitStages", r.OmitStages)
		for _, u := range r.NonResourceURLs {
			if !strings.HasPrefix(u, "/") {
				problems = append(problems, fmt.Sprintf("%s: nonResourceURL %q does not start with /", at, u))
			}
		}
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			problems = append(problems, at+": nonResourceURLs cannot be combined with resources or namespaces")
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &p, nil
}
