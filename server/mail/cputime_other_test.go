//go:build !unix

package mail

import "time"

// processCPU is not measured here; the benchmarks then leave out cpu-µs/op.
func processCPU() time.Duration { return 0 }
