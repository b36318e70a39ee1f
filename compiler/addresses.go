package compiler

import (
	"net/netip"
	"slices"
)

// specialRange is a block of addresses that cannot name a host or carry a cluster network.
type specialRange struct {
	prefix netip.Prefix
	// what the block is, and why a host or a network cannot use it.
	name, why string
}

// specialRanges are the address blocks with a meaning of their own (RFC 6890): a host address
// inside one reaches the wrong machine or none, a cluster network overlapping one captures
// traffic the kernel handles itself.
var specialRanges = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address", "it means every address when bound and no host when reached"},
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\"", "it is reserved to mean the local network, not a host, and is refused as a destination"},
	{netip.MustParsePrefix("::/128"), "the unspecified address", "it means every address when bound and no host when reached"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback", "it reaches only the machine itself, never another host"},
	{netip.MustParsePrefix("::1/128"), "loopback", "it reaches only the machine itself, never another host"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local", "it is valid on one link only and often assigned by the machine itself (cloud metadata lives there too)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local", "it is valid on one link only and needs an interface zone to be reached"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast", "it names a group of receivers, not a host"},
	{netip.MustParsePrefix("ff00::/8"), "multicast", "it names a group of receivers, not a host"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address", "it reaches every host of the link"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped", "the kernel treats these as IPv4 and they cannot be routed as IPv6"},
}

// specialRangeOf returns the special block holding a, if any.
func specialRangeOf(a netip.Addr) (specialRange, bool) {
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r, true
		}
	}
	return specialRange{}, false
}

// specialRangesIn returns the special blocks a network overlaps, leaving out those inside
// another one it overlaps.
func specialRangesIn(p netip.Prefix) []specialRange {
	var out []specialRange
	for _, r := range specialRanges {
		if !r.prefix.Overlaps(p) {
			continue
		}
		inner := slices.ContainsFunc(specialRanges, func(o specialRange) bool {
			return o.prefix.Bits() < r.prefix.Bits() && o.prefix.Contains(r.prefix.Addr()) && o.prefix.Overlaps(p)
		})
		if !inner {
			out = append(out, r)
		}
	}
	return out
}
