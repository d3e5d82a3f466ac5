//go:build !unix

package pseudonym

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
