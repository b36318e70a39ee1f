//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// e2eSecret is the Secret the security-file checks create; its value must never reach etcd
// or the audit log in clear.
const (
	e2eSecret      = "kubeforge-e2e-encrypted"
	e2eSecretValue = "kubeforge-e2e-plaintext-marker"
)

// checkEncryptionAtRest creates a Secret through the apiserver and reads its etcd value with
// etcdctl on the first control-plane host: it must start with k8s:enc:<provider>:v1:<writer>:
// (the description's first key) and hold no plain text; the Secret reads back through the API.
// It needs apiServer.encryptionAtRest in examples/e2e.yaml.
func (s *suite) checkEncryptionAtRest(t *testing.T) {
	e := s.cluster.APIServer.EncryptionAtRest
	if e == nil {
		t.Fatal("examples/e2e.yaml sets no apiServer.encryptionAtRest")
	}
	superAdmin := s.superAdminConf(t)
	if _, stderr, err := s.kubectl(superAdmin, nil, "create", "secret", "generic", e2eSecret, "-n", "default",
		"--from-literal=value="+e2eSecretValue); err != nil {
		t.Fatalf("kubectl create secret: %v: %s", err, stderr)
	}
	s.checkStoredWith(t, e.Writer().Name)
	s.checkSecretReadsBack(t, superAdmin)
}

// checkAuditLog finds the creation of e2eSecret in a control-plane host's audit log:
// at Metadata level, with neither request nor response body, as kubeforge's default policy
// says. It runs after checkEncryptionAtRest and needs apiServer.audit in examples/e2e.yaml.
func (s *suite) checkAuditLog(t *testing.T) {
	if s.cluster.APIServer.Audit == nil {
		t.Fatal("examples/e2e.yaml sets no apiServer.audit")
	}
	type event struct {
		Level     string `json:"level"`
		Verb      string `json:"verb"`
		ObjectRef struct {
			Resource, Namespace, Name string
		} `json:"objectRef"`
		RequestObject  json.RawMessage `json:"requestObject"`
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	var found *event
	// The request went through the load balancer to one of the apiservers: each writes its
	// own host's log, and none may hold the value.
	err := waitFor(s.ctx, "the Secret's creation in an apiserver's audit log", 30*time.Second, nil, func() error {
		for _, h := range s.controlPlanes() {
			log := h.path(compiler.AuditLogPath)
			data, err := os.ReadFile(log)
			if errors.Is(err, fs.ErrNotExist) {
				continue // that apiserver has audited nothing yet
			} else if err != nil {
				return err
			}
			if bytes.Contains(data, []byte(e2eSecretValue)) {
				return fmt.Errorf("%s holds the Secret's value", log)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var ev event
				if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Verb == "create" &&
					ev.ObjectRef.Resource == "secrets" && ev.ObjectRef.Name == e2eSecret {
					found = &ev
					t.Logf("%s: the Secret's creation audited at %s", h.name, ev.Level)
				}
			}
		}
		if found == nil {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found.Level != "Metadata" || len(found.RequestObject) > 0 || len(found.ResponseObject) > 0 {
		t.Errorf("the Secret's creation is audited at %s with bodies %d/%d bytes, want Metadata without bodies",
			found.Level, len(found.RequestObject), len(found.ResponseObject))
	}
}

// localEtcd returns the loopback client URL of h's etcd member.
func (s *suite) localEtcd(t *testing.T, h *simHost) string {
	t.Helper()
	for _, u := range strings.Split(podFlag(t, s.podOf(t, h, podEtcd), "listen-client-urls"), ",") {
		if pu, err := url.Parse(u); err == nil && pu.Hostname() == "127.0.0.1" {
			return u
		}
	}
	t.Fatalf("%s: no loopback URL in etcd's --listen-client-urls", h.name)
	return ""
}

// firstBytes returns at most n bytes of s, for a message that must not print a whole value.
func firstBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
