package sse_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/coffer-project/coffer/internal/sse"
)

// The reference* functions build streams from the format as doc.go states
// it, without the package's code: the stream NewEncryptReader writes must
// be exactly this, and NewDecryptReader must read it.

func referenceCipher(t testing.TB, objectKey, salt []byte, part int) cipher.AEAD {
	t.Helper()
	info := "coffer sse stream v1" + string(binary.BigEndian.AppendUint32(nil, uint32(part)))
	key, err := hkdf.Key(sha256.New, objectKey, salt, info, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

func referencePackage(aead cipher.AEAD, i int64, final bool, plain []byte) []byte {
	nonce := binary.BigEndian.AppendUint64(nil, uint64(i))
	var flag uint32
	if final {
		flag = 1
	}
	nonce = binary.BigEndian.AppendUint32(nonce, flag)
	return aead.Seal(nil, nonce, plain, nil)
}

func referenceStream(t testing.TB, objectKey, salt []byte, part int, plain []byte) []byte {
	aead := referenceCipher(t, objectKey, salt, part)
	out := append([]byte{0x01}, salt...)
	n := int64(len(plain))
	count := packageCount(n)
	for i := range count {
		pkg := plain[i*P : min((i+1)*P, n)]
		out = append(out, referencePackage(aead, i, i == count-1, pkg)...)
	}
	return out
}

func TestStreamFormat(t *testing.T) {
	for _, n := range []int64{0, 1, 100, P - 1, P, P + 1, 2*P + 5, 3 * P} {
		for _, part := range []int{0, 1, 10000} {
			t.Run(fmt.Sprintf("size %d part %d", n, part), func(t *testing.T) {
				key, plain, seed := testKey(1), plaintext(n), uint64(n)+uint64(part)
				salt := make([]byte, 32)
				if _, err := io.ReadFull(seeded(seed), salt); err != nil {
					t.Fatal(err)
				}
				want := referenceStream(t, key, salt, part, plain)
				if got := encrypt(t, plain, key, part, seed); !bytes.Equal(got, want) {
					t.Fatal("NewEncryptReader does not write the documented format")
				}
				s := &store{data: want}
				got, err := decrypt(s.open, key, part, n, 0, n)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatal("NewDecryptReader does not read the documented format")
				}
			})
		}
	}
}

// TestFrozenValues pins the outputs of the derivations and formats: if
// one of them changes, stored objects no longer open. Never update these
// values; add a new format version instead. (The first four were checked
// against an independent implementation of doc.go's definitions in Python
// with hmac, hashlib and cryptography's AESGCM.)
func TestFrozenValues(t *testing.T) {
	secret := bytes.Repeat([]byte{0x01}, 32)
	salt := bytes.Repeat([]byte{0x02}, 32)
	md5 := bytes.Repeat([]byte{0x03}, 16)
	sealed, err := sse.SealKey(secret, testKey(9), sse.Binding{Mode: "aws:kms", Bucket: "b", Key: "k"}, seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	stream := sha256.Sum256(encrypt(t, plaintext(100_000), testKey(9), 3, 7))
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"DeriveKEK", hex.EncodeToString(sse.DeriveKEK(secret, salt, "label")), "4f4bfa56432abbb795b9777abc1b19a16c847d4bc822972ef7c91370a16e5b10"},
		{"CustomerKeyHMAC", hex.EncodeToString(sse.CustomerKeyHMAC(salt, secret)), "fc98b0d1470ee5371a6b3682a8692a823393649654b91a82aa7892f3e125afe2"},
		{"ETag", sse.ETag(secret, md5), "5680a912eba15bdf621918ce0712ba69"},
		{"SealKey", hex.EncodeToString(sealed), "016ae6783f4fbde91b6eb88b730947d7172ab39987194556079edca26ac7c5e21c5da8f4bfbc98702ea709dde7c6b5ea2a3a0e5ceb5aa8fa8e2fa29023"},
		{"stream SHA-256", hex.EncodeToString(stream[:]), "e564e201bb0b42cd298d2daa0bed80bbfe13f179252dd3c95105465aaab40844"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}
