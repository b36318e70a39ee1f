package compiler

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// Fields of a row whose zero value is a choice, not a gap: a minor's first release is .0,
// and false is a fact like true.
var zeroAllowed = map[string]bool{"LatestPatch": true, "FlexVolumeMount": true}

// Well-formed image tags.
var (
	etcdTagRE    = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.[0-9]+-[0-9]+$`)
	coreDNSTagRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)
	pauseTagRE   = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)
)

// rowProblems returns what is missing or malformed in a row of the version table.
func rowProblems(r Release) []string {
	var out []string
	var walk func(name string, v reflect.Value)
	walk = func(name string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(name+"."+v.Type().Field(i).Name, v.Field(i))
			}
			return
		case reflect.Map, reflect.Slice:
			if v.Len() == 0 {
				out = append(out, name+" is empty")
			}
			return
		}
		field := name[strings.LastIndexByte(name, '.')+1:]
		if v.IsZero() && !zeroAllowed[field] {
			out = append(out, name+" is not set")
		}
	}
	walk("Release", reflect.ValueOf(r))

	m := etcdTagRE.FindStringSubmatch(r.EtcdImageTag)
	if m == nil {
		out = append(out, fmt.Sprintf("etcd tag %q is not MAJOR.MINOR.PATCH-BUILD", r.EtcdImageTag))
	}
	if !coreDNSTagRE.MatchString(r.CoreDNSVersion) {
		out = append(out, fmt.Sprintf("CoreDNS tag %q is not vMAJOR.MINOR.PATCH", r.CoreDNSVersion))
	}
	if !pauseTagRE.MatchString(r.PauseVersion) {
		out = append(out, fmt.Sprintf("pause tag %q is not MAJOR.MINOR[.PATCH]", r.PauseVersion))
	}
	if m != nil {
		// The spellings etcd of the image takes: 3.6 renamed the experimental flags kubeadm sets.
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		want := []string{"feature-gates", "watch-progress-notify-interval"}
		if major < 3 || major == 3 && minor < 6 {
			want = []string{"experimental-initial-corrupt-check", "experimental-watch-progress-notify-interval"}
		}
		if got := slices.Sorted(maps.Keys(r.EtcdFlags)); !slices.Equal(got, want) {
			out = append(out, fmt.Sprintf("etcd flags %v, but etcd %s.%s spells them %v", got, m[1], m[2], want))
		}
	}
	// The API versions are those of the Go types kubeforge encodes with.
	if got, want := r.APIs.Kubelet, kubeletv1beta1.SchemeGroupVersion.String(); got != want {
		out = append(out, fmt.Sprintf("kubelet config API %s, but kubeforge encodes %s", got, want))
	}
	if got, want := r.APIs.KubeProxy, proxyv1alpha1.SchemeGroupVersion.String(); got != want {
		out = append(out, fmt.Sprintf("kube-proxy config API %s, but kubeforge encodes %s", got, want))
	}
	for _, name := range slices.Sorted(maps.Keys(subjectsClusterAdmins)) {
		s, ok := r.Subjects[name]
		switch {
		case !ok:
			out = append(out, "no subject for certificate "+name)
		case s.CN == "" && !s.PerNode:
			out = append(out, "certificate "+name+" has an empty common name")
		}
	}
	return out
}

// TestEverySupportedMinorHasACompleteRow: each row names every version-dependent choice, with
// well-formed tags, and the rows are the supported minors in order, each once.
func TestEverySupportedMinorHasACompleteRow(t *testing.T) {
	minors := SupportedMinors()
	if len(minors) == 0 || !slices.IsSorted(minors) || len(slices.Compact(slices.Clone(minors))) != len(minors) {
		t.Fatalf("supported minors %v: expected ascending and distinct", minors)
	}
	for _, m := range minors {
		r, ok := ReleaseFor(m)
		if !ok {
			t.Errorf("1.%d: no row", m)
			continue
		}
		for _, p := range rowProblems(r) {
			t.Errorf("1.%d: %s", m, p)
		}
	}
}

// TestIncompleteRowsAreCaught breaks a row field by field: the completeness check must see it.
func TestIncompleteRowsAreCaught(t *testing.T) {
	good := releases[len(releases)-1]
	breaks := map[string]func(*Release){
		"minor":             func(r *Release) { r.Minor = 0 },
		"etcd tag":          func(r *Release) { r.EtcdImageTag = "latest" },
		"CoreDNS tag":       func(r *Release) { r.CoreDNSVersion = "" },
		"pause tag":         func(r *Release) { r.PauseVersion = "v3" },
		"etcd spelling":     func(r *Release) { r.EtcdImageTag = "3.5.24-0" },
		"etcd flags":        func(r *Release) { r.EtcdFlags = nil },
		"kubeadm API":       func(r *Release) { r.APIs.Kubeadm = "" },
		"kubelet API":       func(r *Release) { r.APIs.Kubelet = "kubelet.config.k8s.io/v1" },
		"kube-proxy API":    func(r *Release) { r.APIs.KubeProxy = "" },
		"missing subject":   func(r *Release) { r.Subjects = CertSubjects{"admin": {CN: "x"}} },
		"empty common name": func(r *Release) { r.Subjects = maps.Clone(r.Subjects); r.Subjects["admin"] = CertSubject{} },
	}
	for name, breakIt := range breaks {
		r := good
		breakIt(&r)
		if len(rowProblems(r)) == 0 {
			t.Errorf("%s: a broken row passed", name)
		}
	}
}

// TestUnsupportedVersionNamesTheTable: ParseVersion's refusal lists the table's minors.
func TestUnsupportedVersionNamesTheTable(t *testing.T) {
	var names []string
	for _, m := range SupportedMinors() {
		names = append(names, fmt.Sprintf("1.%d", m))
	}
	_, _, err := ParseVersion("1.20")
	if want := "(supported: " + strings.Join(names, ", ") + ")"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("ParseVersion(1.20) = %v, want it to end with %s", err, want)
	}
	newest := releases[len(releases)-1]
	v, r, err := ParseVersion(fmt.Sprintf("v1.%d", newest.Minor))
	if err != nil || v.Patch != newest.LatestPatch || r.Minor != newest.Minor {
		t.Errorf("newest minor without a patch: %v %v %v", v, r.Minor, err)
	}
}
