package staticpod

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Facts kubeadm gives every static pod.
const (
	namespace         = "kube-system"
	tier              = "control-plane"
	priorityClassName = "system-node-critical"
	// systemNodeCriticalPriority is the value of the system-node-critical class; kubeadm writes
	// it next to the class name.
	systemNodeCriticalPriority = int32(2000001000)
	// probePortName names the container port the probes target.
	probePortName = "probe-port"
	// startupTimeout is kubeadm's default control-plane health-check timeout, which sizes the
	// startup probes.
	startupTimeout = 4 * time.Minute
	probePeriod    = int32(10)
	probeTimeout   = int32(15)

	annotationEtcdClientURLs     = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
	annotationAPIServerAdvertise = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
)

// component is what differs between the static pods.
type component struct {
	name        string
	image       string
	flags       flags
	mounts      *mounts
	annotations map[string]string
	cpu         string
	memory      string
	probes      probes
}

// probes say where a component answers health checks.
type probes struct {
	host      string
	port      int
	scheme    corev1.URIScheme
	liveness  string
	readiness string // empty: no readiness probe
	startup   string
}

// pod returns the static pod of a component, shaped as kubeadm shapes them.
func (c component) pod() *corev1.Pod {
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(c.cpu)}
	if c.memory != "" {
		requests[corev1.ResourceMemory] = resource.MustParse(c.memory)
	}
	ctr := corev1.Container{
		Name:            c.name,
		Image:           c.image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         c.flags.command(c.name),
		Ports: []corev1.ContainerPort{{
			Name:          probePortName,
			ContainerPort: int32(c.probes.port),
			Protocol:      corev1.ProtocolTCP,
		}},
		Resources:     corev1.ResourceRequirements{Requests: requests},
		VolumeMounts:  c.mounts.volumeMounts(),
		LivenessProbe: c.probes.httpGet(c.probes.liveness, probePeriod, 8, probePeriod),
		StartupProbe: c.probes.httpGet(c.probes.startup, probePeriod,
			int32(math.Ceil(startupTimeout.Seconds()/float64(probePeriod))), probePeriod),
	}
	if c.probes.readiness != "" {
		ctr.ReadinessProbe = c.probes.httpGet(c.probes.readiness, 0, 3, 1)
	}
	priority := systemNodeCriticalPriority
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        c.name,
			Namespace:   namespace,
			Labels:      map[string]string{"component": c.name, "tier": tier},
			Annotations: c.annotations,
		},
		Spec: corev1.PodSpec{
			Containers:        []corev1.Container{ctr},
			HostNetwork:       true,
			Priority:          &priority,
			PriorityClassName: priorityClassName,
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Volumes: c.mounts.volumes(),
		},
	}
}

// httpGet returns a probe of path on the probe port.
func (p probes) httpGet(path string, initialDelay, failureThreshold, period int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host:   p.host,
			Path:   path,
			Port:   intstr.FromString(probePortName),
			Scheme: p.scheme,
		}},
		InitialDelaySeconds: initialDelay,
		TimeoutSeconds:      probeTimeout,
		PeriodSeconds:       period,
		FailureThreshold:    failureThreshold,
	}
}

// probeHost returns where the kubelet probes a component bound to addr: the address itself,
// or nothing (the pod IP, the host's here) for a wildcard address that cannot be dialled.
func probeHost(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.IsUnspecified() {
		return ""
	}
	return addr
}

// loopback returns the loopback address of addr's family: components reach their local
// etcd over the family their host advertises.
func loopback(addr netip.Addr) netip.Addr {
	if addr.Is6() {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// hostURL returns scheme://addr:port, with brackets around an IPv6 address.
func hostURL(scheme string, addr netip.Addr, port int) string {
	return scheme + "://" + net.JoinHostPort(addr.String(), strconv.Itoa(port))
}
