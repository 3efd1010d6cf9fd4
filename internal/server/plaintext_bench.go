//go:build coffer_plaintext_bench

package server

// plaintextForBenchmarks: this binary was built with
// -tags coffer_plaintext_bench, for bench/sse.sh's baseline only: it stores
// objects unencrypted, so the cost of encryption can be measured against
// the same code in the same run. No release or test build sets the tag.
const plaintextForBenchmarks = true
