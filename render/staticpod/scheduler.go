package staticpod

import (
	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const schedulerName = "kube-scheduler"

// schedulerPod returns the kube-scheduler.
func schedulerPod(c *compiler.Cluster) (*corev1.Pod, []string) {
	sources := []string{"kubernetesVersion", "imageRepository"}
	if len(c.Scheduler.ExtraArgs) > 0 {
		sources = append(sources, "scheduler.extraArgs")
	}
	f := flags{
		defaults: map[string]string{
			"authentication-kubeconfig": compiler.SchedulerConfPath,
			"authorization-kubeconfig":  compiler.SchedulerConfPath,
			"bind-address":              "127.0.0.1",
			"kubeconfig":                compiler.SchedulerConfPath,
			"leader-elect":              "true",
		},
		extra: c.Scheduler.ExtraArgs,
	}

	ms := &mounts{}
	ms.add("kubeconfig", compiler.SchedulerConfPath, corev1.HostPathFileOrCreate, true)
	ms.addFlagPaths(schedulerPathFlags, f)

	port := c.PortNamed(compiler.PortNameScheduler).From
	bind, _ := f.get("bind-address")
	return component{
		name:   schedulerName,
		image:  c.ControlPlaneImage(schedulerName),
		flags:  f,
		mounts: ms,
		cpu:    "100m",
		probes: probes{
			host:      probeHost(bind),
			port:      port,
			scheme:    corev1.URISchemeHTTPS,
			liveness:  "/livez",
			readiness: "/readyz",
			startup:   "/livez",
		},
	}.pod(), sources
}
