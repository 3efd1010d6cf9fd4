package sse_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/aesgcm"
	"github.com/coffer-project/coffer/internal/sse"
)

// The benchmarks stream a 64 MiB object through the readers the ways
// coffer does: io.Copy (which takes WriterTo), reads that fill a 1 MiB
// buffer (blob.FS.Put's copy loop), and 32 KiB reads (a plain
// io.CopyBuffer). BenchmarkAESGCM is the floor: sealing and opening the
// same 64 KiB packages in place with nothing around them.

const benchSize = 64 << 20

// reportCPU adds the MB/cpu-s metric to b: megabytes (10^6) per second of
// the process's CPU time since start.
func reportCPU(b *testing.B, start time.Duration) {
	end, ok := processCPU()
	if ok && end > start {
		b.ReportMetric(float64(b.N)*benchSize/1e6/(end-start).Seconds(), "MB/cpu-s")
	}
}

// loop runs body b.N times through b.Loop and reports MB/s and MB/cpu-s.
func loop(b *testing.B, body func()) {
	b.SetBytes(benchSize)
	start, _ := processCPU()
	for b.Loop() {
		body()
	}
	reportCPU(b, start)
}

type benchDrain struct {
	name  string
	drain func(io.Reader) error
}

var benchDrains = []benchDrain{
	{"io.Copy", func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	}},
	{"Read 1 MiB", fillReads(1 << 20)},
	{"Read 32 KiB", fillReads(32 << 10)},
}

// fillReads reads r to its end, filling a buffer of size before each
// (discarded) write, as blob.FS.Put does.
func fillReads(size int) func(io.Reader) error {
	return func(r io.Reader) error {
		buf := make([]byte, size)
		for {
			n := 0
			var err error
			for n < len(buf) && err == nil {
				var k int
				k, err = r.Read(buf[n:])
				n += k
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}

func BenchmarkEncryptReader(b *testing.B) {
	plain, key := plaintext(benchSize), testKey(1)
	runtime.GC() // collect the set-up's garbage now, not in the first run
	for _, d := range benchDrains {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			loop(b, func() {
				r, err := sse.NewEncryptReader(bytes.NewReader(plain), key, 1, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := d.drain(r); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkDecryptReader(b *testing.B) {
	key := testKey(1)
	stream := encrypt(b, plaintext(benchSize), key, 1, 1)
	runtime.GC()
	open := func(offset, length int64) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(stream[offset : offset+length])), nil
	}
	for _, d := range benchDrains {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			loop(b, func() {
				r, err := sse.NewDecryptReader(open, key, 1, benchSize, 0, benchSize)
				if err != nil {
					b.Fatal(err)
				}
				if err := d.drain(r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			})
		})
	}
}

// BenchmarkAESGCM is what the readers cannot go below: sealing 64 MiB as
// 64 KiB packages in place and opening them, bare, and with the one copy
// per package that reading from a source costs (the bytes.Reader the
// reader benchmarks read from; a socket or file read in coffer, which the
// unencrypted path pays as well).
func BenchmarkAESGCM(b *testing.B) {
	aead, err := aesgcm.New(testKey(1)) // as the streams use it
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, benchSize/P*sealedFull)
	var nonce [12]byte
	runtime.GC()
	b.Run("seal", func(b *testing.B) {
		loop(b, func() {
			for i := 0; i < len(buf); i += sealedFull {
				aead.Seal(buf[i:i], nonce[:], buf[i:i+P], nil)
			}
		})
	})
	b.Run("open", func(b *testing.B) {
		sealed := make([]byte, len(buf))
		for i := 0; i < len(buf); i += sealedFull {
			aead.Seal(sealed[i:i], nonce[:], buf[i:i+P], nil)
		}
		loop(b, func() {
			for i := 0; i < len(buf); i += sealedFull {
				if _, err := aead.Open(buf[i:i], nonce[:], sealed[i:i+sealedFull], nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	src := make([]byte, len(buf))
	b.Run("copy+seal", func(b *testing.B) {
		loop(b, func() {
			for i, j := 0, 0; i < len(buf); i, j = i+sealedFull, j+P {
				copy(buf[i:i+P], src[j:j+P])
				aead.Seal(buf[i:i], nonce[:], buf[i:i+P], nil)
			}
		})
	})
	for i := 0; i < len(buf); i += sealedFull {
		aead.Seal(src[i:i], nonce[:], buf[i:i+P], nil)
	}
	b.Run("copy+open", func(b *testing.B) {
		loop(b, func() {
			for i := 0; i < len(buf); i += sealedFull {
				copy(buf[i:i+sealedFull], src[i:i+sealedFull])
				if _, err := aead.Open(buf[i:i], nonce[:], buf[i:i+sealedFull], nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("memory copy", func(b *testing.B) {
		loop(b, func() { copy(buf, src) })
	})
}
