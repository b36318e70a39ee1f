package compiler

import (
	"maps"
	"slices"

	"kubeforge.dev/kubeforge/compiler/description"
)

// The kubelet's own image GC thresholds, in percent of disk usage, which apply where no layer
// of the description sets them. The schema gives imageGC no default, so config.yaml stays as
// kubeadm writes it; only the check that low is below high needs them.
// TestImageGCDefaultsAreTheKubelets reads them from k8s.io/kubelet's documentation.
const (
	kubeletImageGCHighPercent = 85
	kubeletImageGCLowPercent  = 80
)

func (k Kubelet) clone() Kubelet {
	out := k
	out.SystemReserved = maps.Clone(k.SystemReserved)
	out.KubeReserved = maps.Clone(k.KubeReserved)
	out.EvictionHard = maps.Clone(k.EvictionHard)
	out.EnforceNodeAllocatable = slices.Clone(k.EnforceNodeAllocatable)
	out.FeatureGates = maps.Clone(k.FeatureGates)
	out.ExtraArgs = maps.Clone(k.ExtraArgs)
	// ImageCredentialProviders is shared: a layer replaces the whole list, never changes it.
	out.Origin = maps.Clone(k.Origin)
	return out
}

// mergeKubelet applies the fields an override at layer (FieldPath's elements of its kubelet
// section) sets onto base, recording where each came from. Maps merge key by key (a host
// adding one feature gate keeps the cluster's others); lists and scalars replace.
func mergeKubelet(base Kubelet, o description.Kubelet, layer []any) Kubelet {
	k := base.clone()
	if k.Origin == nil {
		k.Origin = map[string]string{}
	}
	at := origins{k.Origin, layer}
	replace(at, "maxPods", &k.MaxPods, o.MaxPods)
	replace(at, "cgroupDriver", &k.CgroupDriver, o.CgroupDriver)
	mergeMap(at, "systemReserved", &k.SystemReserved, o.SystemReserved)
	mergeMap(at, "kubeReserved", &k.KubeReserved, o.KubeReserved)
	mergeMap(at, "evictionHard", &k.EvictionHard, o.EvictionHard)
	if o.EnforceNodeAllocatable != nil {
		k.EnforceNodeAllocatable = slices.Clone(o.EnforceNodeAllocatable)
		at.set("enforceNodeAllocatable")
	}
	replace(at, "systemReservedCgroup", &k.SystemReservedCgroup, o.SystemReservedCgroup)
	replace(at, "kubeReservedCgroup", &k.KubeReservedCgroup, o.KubeReservedCgroup)
	replace(at, "resolvConf", &k.ResolvConf, o.ResolvConf)
	replace(at, "failSwapOn", &k.FailSwapOn, o.FailSwapOn)
	replace(at, "swapBehavior", &k.SwapBehavior, o.SwapBehavior)
	if gc := o.ImageGC; gc != nil {
		replacePointer(at, "imageGC.highThresholdPercent", &k.ImageGCHighPercent, gc.HighThresholdPercent)
		replacePointer(at, "imageGC.lowThresholdPercent", &k.ImageGCLowPercent, gc.LowThresholdPercent)
		replace(at, "imageGC.minimumAge", &k.ImageMinimumGCAge, gc.MinimumAge)
	}
	replace(at, "readOnlyPort", &k.ReadOnlyPort, o.ReadOnlyPort)
	replace(at, "anonymousAuth", &k.AnonymousAuth, o.AnonymousAuth)
	replace(at, "webhookAuthentication", &k.WebhookAuthentication, o.WebhookAuthentication)
	replace(at, "authorizationMode", &k.AuthorizationMode, o.AuthorizationMode)
	replace(at, "clientCAFile", &k.ClientCAFile, o.ClientCAFile)
	replace(at, "rotateCertificates", &k.RotateCertificates, o.RotateCertificates)
	mergeMap(at, "featureGates", &k.FeatureGates, o.FeatureGates)
	if o.ImageCredentialProviders != nil {
		k.ImageCredentialProviders = credentialProviders(o.ImageCredentialProviders)
		at.set("imageCredentialProviders")
	}
	replace(at, "imageCredentialProviderBinDir", &k.ImageCredentialProviderBinDir, o.ImageCredentialProviderBinDir)
	mergeMap(at, "extraArgs", &k.ExtraArgs, Args(o.ExtraArgs))
	// Each flag's own origin too: flags merge key by key, and a check must point at the layer
	// that set the one at fault.
	for name := range o.ExtraArgs {
		at.set(argField(name))
	}
	return k
}

// origins records where the kubelet settings of one layer come from.
type origins struct {
	of    map[string]string
	layer []any // FieldPath's elements of the layer's kubelet section
}

// set records that field (a path below the kubelet section) comes from the layer.
func (o origins) set(field string) { o.of[field] = under(o.layer, field) }

// replace sets *dst to the layer's value when the layer writes one.
func replace[T any](at origins, field string, dst *T, src *T) {
	if src != nil {
		*dst = *src
		at.set(field)
	}
}

// replacePointer is replace for a setting the model keeps optional: dst gets a copy.
func replacePointer[T any](at origins, field string, dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
		at.set(field)
	}
}

// mergeMap adds the layer's entries to *dst, key by key, when the layer writes the map.
func mergeMap[M ~map[K]V, K comparable, V any](at origins, field string, dst *M, src M) {
	if src != nil {
		if *dst == nil {
			*dst = M{}
		}
		maps.Copy(*dst, src)
		at.set(field)
	}
}

// argField returns the Origin key of a kubelet extra arg: its path below the kubelet.
func argField(name string) string { return FieldPath("extraArgs", Key(name)) }
