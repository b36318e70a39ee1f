package compiler

import (
	"fmt"
	"regexp"
)

// The firewalld zone names kubeforge writes (zones/NAME.xml). firewalld itself caps a name at
// 17 characters, so that chain names such as POST_<zone>_allow fit netfilter's 28; kubeforge
// further keeps to lower case and a leading letter or digit, so a name is also a safe file
// name and cannot read as an option. The schema's firewall.zone spells the same pattern (CUE
// cannot import it from here); TestZoneNamePatternIsTheSchemas keeps the two equal, and the
// renderer checks models built by other means with ZoneNameError.
const (
	ZoneNamePattern = `^[a-z0-9][a-z0-9_-]{0,16}$`
	MaxZoneNameLen  = 17
)

var zoneNameRE = regexp.MustCompile(ZoneNamePattern)

// ZoneNameError returns an error naming the field firewall.zone when name is not a zone name
// kubeforge writes, or nil.
func ZoneNameError(name string) error {
	if zoneNameRE.MatchString(name) {
		return nil
	}
	return fmt.Errorf("%s: firewalld zone names are 1 to %d lower-case letters, digits, '-' or '_', starting with a letter or digit; %q is not", FieldPath("firewall", "zone"), MaxZoneNameLen, name)
}
