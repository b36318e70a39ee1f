package compiler

import (
	"maps"
	"slices"

	"kubeforge.dev/kubeforge/compiler/description"
)

func (k Kubelet) clone() Kubelet {
	out := k
	out.SystemReserved = maps.Clone(k.SystemReserved)
	out.KubeReserved = maps.Clone(k.KubeReserved)
	out.EvictionHard = maps.Clone(k.EvictionHard)
	out.EnforceNodeAllocatable = slices.Clone(k.EnforceNodeAllocatable)
	out.FeatureGates = maps.Clone(k.FeatureGates)
	out.ExtraArgs = maps.Clone(k.ExtraArgs)
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
	set := func(field string) { k.Origin[field] = under(layer, field) }
	scalar := func(field string, dst *int, src *int) {
		if src != nil {
			*dst = *src
			set(field)
		}
	}
	str := func(field string, dst *string, src *string) {
		if src != nil {
			*dst = *src
			set(field)
		}
	}
	flag := func(field string, dst *bool, src *bool) {
		if src != nil {
			*dst = *src
			set(field)
		}
	}
	mergeMap := func(field string, dst *map[string]string, src map[string]string) {
		if src != nil {
			if *dst == nil {
				*dst = map[string]string{}
			}
			maps.Copy(*dst, src)
			set(field)
		}
	}
	scalar("maxPods", &k.MaxPods, o.MaxPods)
	str("cgroupDriver", &k.CgroupDriver, o.CgroupDriver)
	mergeMap("systemReserved", &k.SystemReserved, o.SystemReserved)
	mergeMap("kubeReserved", &k.KubeReserved, o.KubeReserved)
	mergeMap("evictionHard", &k.EvictionHard, o.EvictionHard)
	if o.EnforceNodeAllocatable != nil {
		k.EnforceNodeAllocatable = slices.Clone(o.EnforceNodeAllocatable)
		set("enforceNodeAllocatable")
	}
	str("systemReservedCgroup", &k.SystemReservedCgroup, o.SystemReservedCgroup)
	str("kubeReservedCgroup", &k.KubeReservedCgroup, o.KubeReservedCgroup)
	str("resolvConf", &k.ResolvConf, o.ResolvConf)
	flag("failSwapOn", &k.FailSwapOn, o.FailSwapOn)
	str("swapBehavior", &k.SwapBehavior, o.SwapBehavior)
	if gc := o.ImageGC; gc != nil {
		if gc.HighThresholdPercent != nil {
			v := *gc.HighThresholdPercent
			k.ImageGCHighPercent = &v
			set("imageGC.highThresholdPercent")
		}
		if gc.LowThresholdPercent != nil {
			v := *gc.LowThresholdPercent
			k.ImageGCLowPercent = &v
			set("imageGC.lowThresholdPercent")
		}
		str("imageGC.minimumAge", &k.ImageMinimumGCAge, gc.MinimumAge)
	}
	scalar("readOnlyPort", &k.ReadOnlyPort, o.ReadOnlyPort)
	flag("anonymousAuth", &k.AnonymousAuth, o.AnonymousAuth)
	flag("webhookAuthentication", &k.WebhookAuthentication, o.WebhookAuthentication)
	str("authorizationMode", &k.AuthorizationMode, o.AuthorizationMode)
	str("clientCAFile", &k.ClientCAFile, o.ClientCAFile)
	flag("rotateCertificates", &k.RotateCertificates, o.RotateCertificates)
	if o.FeatureGates != nil {
		if k.FeatureGates == nil {
			k.FeatureGates = map[string]bool{}
		}
		maps.Copy(k.FeatureGates, o.FeatureGates)
		set("featureGates")
	}
	if o.ExtraArgs != nil {
		if k.ExtraArgs == nil {
			k.ExtraArgs = Args{}
		}
		maps.Copy(k.ExtraArgs, o.ExtraArgs)
		set("extraArgs")
		// Each flag's own origin too: flags merge key by key, and a check must point at the
		// layer that set the one at fault.
		for name := range o.ExtraArgs {
			set(argField(name))
		}
	}
	return k
}

// argField returns the Origin key of a kubelet extra arg: its path below the kubelet.
func argField(name string) string { return FieldPath("extraArgs", Key(name)) }
