//go:build !unix

package kmsapi_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
