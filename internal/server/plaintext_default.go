//go:build !coffer_plaintext_bench

package server

// plaintextForBenchmarks is false in every normal build: every object is
// encrypted at rest. See plaintext_bench.go.
const plaintextForBenchmarks = false
