//go:build !unix

package sse_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
