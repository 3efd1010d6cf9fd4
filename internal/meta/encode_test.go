package meta

import (
	"database/sql"
	"reflect"
	"testing"
)

// TestEncryptionColumns pins the stored JSON of the encryption columns:
// it is a storage format, which renaming a Go field must not change.
func TestEncryptionColumns(t *testing.T) {
	t.Run("Encryption", func(t *testing.T) {
		tests := []struct {
			name   string
			e      Encryption
			stored sql.NullString
		}{
			{"plaintext is NULL", Encryption{}, sql.NullString{}},
			{"empty byte slices are plaintext too", Encryption{DataKey: []byte{}, KeyHMAC: []byte{}}, sql.NullString{}},
			{"every field", Encryption{Mode: SSEKMS, KMSKeyARN: "arn:k", KMSContext: "e30=", BucketKey: true,
				DataKey: []byte{0, 1}, Salt: []byte{0xff}, SealedKey: []byte("sk"), KeyHMAC: []byte("h")},
				sql.NullString{Valid: true, String: `{"m":"aws:kms","kms":"arn:k","ctx":"e30=","bk":true,"dk":"AAE=","salt":"/w==","sk":"c2s=","hmac":"aA=="}`}},
			{"SSE-C", Encryption{Mode: SSEC, Salt: []byte("s"), SealedKey: []byte("k"), KeyHMAC: []byte("h")},
				sql.NullString{Valid: true, String: `{"m":"SSE-C","salt":"cw==","sk":"aw==","hmac":"aA=="}`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := encodeEncryption(tt.e)
				if err != nil || got != tt.stored {
					t.Fatalf("encodeEncryption = %+v, %v; want %+v", got, err, tt.stored)
				}
				back, err := decodeEncryption(tt.stored)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.e
				for _, b := range []*[]byte{&want.DataKey, &want.Salt, &want.SealedKey, &want.KeyHMAC} {
					if len(*b) == 0 {
						*b = nil
					}
				}
				if !reflect.DeepEqual(back, want) {
					t.Fatalf("decodeEncryption = %+v, want %+v", back, want)
				}
			})
		}
	})
	t.Run("BucketEncryption", func(t *testing.T) {
		tests := []struct {
			name   string
			e      *BucketEncryption
			stored sql.NullString
		}{
			{"none is NULL", nil, sql.NullString{}},
			{"nothing set", &BucketEncryption{}, sql.NullString{Valid: true, String: `{"blk":null}`}},
			{"every field", &BucketEncryption{Algorithm: SSEKMS, KMSMasterKeyID: "arn:k", BucketKeyEnabled: true, BlockedEncryptionTypes: []string{"SSE-C"}},
				sql.NullString{Valid: true, String: `{"alg":"aws:kms","key":"arn:k","bk":true,"blk":["SSE-C"]}`}},
			{"empty blocked list", &BucketEncryption{Algorithm: SSES3, BlockedEncryptionTypes: []string{}},
				sql.NullString{Valid: true, String: `{"alg":"AES256","blk":[]}`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := encodeBucketEncryption(tt.e)
				if err != nil || got != tt.stored {
					t.Fatalf("encodeBucketEncryption = %+v, %v; want %+v", got, err, tt.stored)
				}
				back, err := decodeBucketEncryption(tt.stored)
				if err != nil || !reflect.DeepEqual(back, tt.e) {
					t.Fatalf("decodeBucketEncryption = %+v, %v; want %+v", back, err, tt.e)
				}
			})
		}
	})
	t.Run("Corrupt", func(t *testing.T) {
		bad := sql.NullString{Valid: true, String: `{"m":`}
		if _, err := decodeEncryption(bad); err == nil {
			t.Error("decodeEncryption of corrupt JSON succeeded")
		}
		if _, err := decodeBucketEncryption(bad); err == nil {
			t.Error("decodeBucketEncryption of corrupt JSON succeeded")
		}
	})
}
