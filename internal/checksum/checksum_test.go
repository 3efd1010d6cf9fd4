package checksum

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
)

func TestCheckValues(t *testing.T) {
	// Check values from the CRC catalogue and FIPS 180 for "123456789".
	tests := []struct {
		alg  Algorithm
		want string
	}{
		{CRC32, "cbf43926"},
		{CRC32C, "e3069283"},
		{CRC64NVME, "ae8b14860a799888"},
		{SHA1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
		{SHA256, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			h := tt.alg.New()
			h.Write([]byte("123456789"))
			sum := h.Sum(nil)
			if got := hex.EncodeToString(sum); got != tt.want {
				t.Errorf("%s(123456789) = %s, want %s", tt.alg, got, tt.want)
			}
			if len(sum) != tt.alg.Size() || h.Size() != tt.alg.Size() {
				t.Errorf("Size() = %d, digest has %d bytes", tt.alg.Size(), len(sum))
			}
		})
	}
}

func TestEncodeMatchesAWSExample(t *testing.T) {
	// An empty body's CRC64NVME is zero; S3 reports "AAAAAAAAAAA=".
	h := CRC64NVME.New()
	if got := Encode(h.Sum(nil)); got != "AAAAAAAAAAA=" {
		t.Errorf("CRC64NVME of empty = %q", got)
	}
	// CRC32 of "Hello World" as the S3 user guide's examples carry it.
	h = CRC32.New()
	h.Write([]byte("Hello World"))
	if got := Encode(h.Sum(nil)); got != "ShexVg==" {
		t.Errorf("CRC32(Hello World) = %q, want ShexVg==", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		want    Algorithm
		wantErr bool
	}{
		{"CRC32", CRC32, false},
		{"crc32", CRC32, false},
		{"Crc32c", CRC32C, false},
		{"crc64nvme", CRC64NVME, false},
		{"sha1", SHA1, false},
		{"SHA256", SHA256, false},
		{"MD5", "", true},
		{"", "", true},
		{"SHA-256", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.name)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) = %q, %v", tt.name, got, err)
			}
			if err != nil && !errors.Is(err, ErrUnknownAlgorithm) {
				t.Errorf("err = %v, want ErrUnknownAlgorithm", err)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		name    string
		want    Type
		wantErr bool
	}{
		{"FULL_OBJECT", TypeFullObject, false},
		{"composite", TypeComposite, false},
		{"", "", true},
		{"FULL", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseType(tt.name)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseType(%q) = %q, %v", tt.name, got, err)
			}
			if err != nil && !errors.Is(err, ErrUnknownType) {
				t.Errorf("err = %v, want ErrUnknownType", err)
			}
		})
	}
}

func TestAlgorithmProperties(t *testing.T) {
	tests := []struct {
		alg                  Algorithm
		header, element      string
		crc, full, composite bool
		defaultType          Type
	}{
		{CRC32, "x-amz-checksum-crc32", "ChecksumCRC32", true, true, true, TypeComposite},
		{CRC32C, "x-amz-checksum-crc32c", "ChecksumCRC32C", true, true, true, TypeComposite},
		{CRC64NVME, "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", true, true, false, TypeFullObject},
		{SHA1, "x-amz-checksum-sha1", "ChecksumSHA1", false, false, true, TypeComposite},
		{SHA256, "x-amz-checksum-sha256", "ChecksumSHA256", false, false, true, TypeComposite},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			if got := tt.alg.Header(); got != tt.header {
				t.Errorf("Header() = %q, want %q", got, tt.header)
			}
			if got := tt.alg.Element(); got != tt.element {
				t.Errorf("Element() = %q, want %q", got, tt.element)
			}
			if got := tt.alg.IsCRC(); got != tt.crc {
				t.Errorf("IsCRC() = %v", got)
			}
			if got := tt.alg.Supports(TypeFullObject); got != tt.full {
				t.Errorf("Supports(FULL_OBJECT) = %v", got)
			}
			if got := tt.alg.Supports(TypeComposite); got != tt.composite {
				t.Errorf("Supports(COMPOSITE) = %v", got)
			}
			if got := tt.alg.DefaultType(); got != tt.defaultType {
				t.Errorf("DefaultType() = %v", got)
			}
		})
	}
}

func TestFromHeaders(t *testing.T) {
	tests := []struct {
		name    string
		h       http.Header
		alg     Algorithm
		value   string
		wantErr bool
	}{
		{"none", http.Header{}, "", "", false},
		{"unrelated checksum headers", http.Header{"X-Amz-Checksum-Type": {"COMPOSITE"}, "X-Amz-Checksum-Algorithm": {"CRC32"}}, "", "", false},
		{"crc32", http.Header{"X-Amz-Checksum-Crc32": {"ShexVg=="}}, CRC32, "ShexVg==", false},
		{"crc64nvme", http.Header{"X-Amz-Checksum-Crc64nvme": {"AAAAAAAAAAA="}}, CRC64NVME, "AAAAAAAAAAA=", false},
		{"two", http.Header{"X-Amz-Checksum-Crc32": {"a"}, "X-Amz-Checksum-Sha256": {"b"}}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alg, value, err := FromHeaders(tt.h.Get)
			if alg != tt.alg || value != tt.value || (err != nil) != tt.wantErr {
				t.Fatalf("FromHeaders = %q, %q, %v", alg, value, err)
			}
			if err != nil && !errors.Is(err, ErrMultipleChecksums) {
				t.Errorf("err = %v, want ErrMultipleChecksums", err)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		alg   Algorithm
		value string
		err   error
	}{
		{"crc32", CRC32, "ShexVg==", nil},
		{"crc64nvme", CRC64NVME, "AAAAAAAAAAA=", nil},
		{"not base64", CRC32, "!!!!", ErrInvalidValue},
		{"missing padding", CRC32, "ShexVg", ErrInvalidValue},
		{"wrong length", CRC32, "AAAAAAAAAAA=", ErrSizeMismatch},
		{"empty", SHA256, "", ErrSizeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := Decode(tt.alg, tt.value)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.err)
			}
			if err == nil && Encode(sum) != tt.value {
				t.Errorf("Encode(Decode(%q)) = %q", tt.value, Encode(sum))
			}
		})
	}
}

func TestComposite(t *testing.T) {
	partData := [][]byte{[]byte("part one"), []byte("part two"), []byte("three")}
	for _, alg := range []Algorithm{CRC32, CRC32C, SHA1, SHA256} {
		t.Run(string(alg), func(t *testing.T) {
			var sums [][]byte
			var concat []byte
			for _, d := range partData {
				h := alg.New()
				h.Write(d)
				s := h.Sum(nil)
				sums = append(sums, s)
				concat = append(concat, s...)
			}
			h := alg.New()
			h.Write(concat)
			want := Encode(h.Sum(nil)) + "-3"
			got, err := Composite(alg, sums)
			if err != nil || got != want {
				t.Errorf("Composite = %q, %v; want %q", got, err, want)
			}
		})
	}
	t.Run("known SHA256 value", func(t *testing.T) {
		a := sha256.Sum256([]byte("a"))
		got, err := Composite(SHA256, [][]byte{a[:]})
		outer := sha256.Sum256(a[:])
		if err != nil || got != Encode(outer[:])+"-1" {
			t.Errorf("Composite = %q, %v", got, err)
		}
	})
	errTests := []struct {
		name string
		alg  Algorithm
		sums [][]byte
		err  error
	}{
		{"crc64nvme refused", CRC64NVME, [][]byte{make([]byte, 8)}, ErrUnsupportedType},
		{"unknown algorithm", "MD5", [][]byte{make([]byte, 16)}, ErrUnsupportedType},
		{"no parts", CRC32, nil, ErrNoParts},
		{"wrong digest length", CRC32, [][]byte{make([]byte, 8)}, ErrSizeMismatch},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Composite(tt.alg, tt.sums); !errors.Is(err, tt.err) {
				t.Errorf("Composite = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestCombineEqualsCRCOfConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, alg := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		whole := alg.New()
		for trial := range 200 {
			n := rng.IntN(len(data) + 1)
			if trial == 0 {
				n = 0
			}
			// Random cut points, duplicates allowed so empty parts occur.
			cuts := []int{0, n}
			for range rng.IntN(6) {
				cuts = append(cuts, rng.IntN(n+1))
			}
			if trial%7 == 0 {
				cuts = append(cuts, 0, n)
			}
			slices.Sort(cuts)
			var parts []PartSum
			for i := 1; i < len(cuts); i++ {
				h := alg.New()
				h.Write(data[cuts[i-1]:cuts[i]])
				parts = append(parts, PartSum{Sum: h.Sum(nil), Size: int64(cuts[i] - cuts[i-1])})
			}
			whole.Reset()
			whole.Write(data[:n])
			want := whole.Sum(nil)
			got, err := Combine(alg, parts)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s trial %d cuts %v: Combine = %x, %v; want %x", alg, trial, cuts, got, err, want)
			}
		}
	}
}

func TestCombineEdges(t *testing.T) {
	tests := []struct {
		name  string
		alg   Algorithm
		parts []PartSum
		want  string
		err   error
	}{
		{"no parts is CRC of nothing", CRC32, nil, "00000000", nil},
		{"one part is itself", CRC64NVME, []PartSum{{Sum: []byte{0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88}, Size: 9}}, "ae8b14860a799888", nil},
		{"sha256 refused", SHA256, []PartSum{{Sum: make([]byte, 32), Size: 1}}, "", ErrUnsupportedType},
		{"wrong digest length", CRC32C, []PartSum{{Sum: make([]byte, 8), Size: 1}}, "", ErrSizeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Combine(tt.alg, tt.parts)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || hex.EncodeToString(got) != tt.want {
				t.Errorf("Combine = %x, %v; want %s, %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := Combine(CRC32, []PartSum{{Sum: make([]byte, 4), Size: -1}}); err == nil {
		t.Error("Combine accepted a negative size")
	}
}

func TestCombineLargeSizes(t *testing.T) {
	// A part of 5 GiB of zero bytes: the CRC of zeros can be built by
	// combining smaller zero runs, which must agree with one big shift.
	for _, alg := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		t.Run(string(alg), func(t *testing.T) {
			zeros := make([]byte, 1<<20)
			h := alg.New()
			h.Write(zeros)
			mib := PartSum{Sum: h.Sum(nil), Size: 1 << 20}
			var parts []PartSum
			for range 4 {
				parts = append(parts, mib)
			}
			four, err := Combine(alg, parts)
			if err != nil {
				t.Fatal(err)
			}
			two, _ := Combine(alg, parts[:2])
			twice, _ := Combine(alg, []PartSum{{Sum: two, Size: 2 << 20}, {Sum: two, Size: 2 << 20}})
			if !bytes.Equal(four, twice) {
				t.Errorf("4×1MiB = %x, 2×2MiB = %x", four, twice)
			}
		})
	}
}
