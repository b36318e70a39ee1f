package upgrade

import (
	"fmt"
	"strconv"
	"strings"
)

// Batch is how many hosts a workers stage upgrades: a count, or a percentage of the hosts
// left to upgrade to the stage's version (rounded up, at least one).
type Batch struct {
	Count   int
	Percent int
}

// DefaultBatch is a tenth of the workers a stage: one at a time in a small cluster, and no
// hundred stages in a large one.
var DefaultBatch = Batch{Percent: 10}

// ParseBatch reads "N" or "P%".
func ParseBatch(s string) (Batch, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100 {
			return Batch{}, fmt.Errorf("batch %q: a percentage is 1%% to 100%%", s)
		}
		return Batch{Percent: n}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return Batch{}, fmt.Errorf("batch %q: expected a number of hosts (at least 1) or a percentage such as 10%%", s)
	}
	return Batch{Count: n}, nil
}

// Size returns the hosts a stage takes out of n.
func (b Batch) Size(n int) int {
	if b.Count > 0 {
		return b.Count
	}
	return max(1, (n*b.Percent+99)/100)
}

func (b Batch) String() string {
	if b.Count > 0 {
		return strconv.Itoa(b.Count)
	}
	return strconv.Itoa(b.Percent) + "%"
}
