package kms

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestGenerateDataKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	if err := f.s.CreateAlias(ctx, "alias/dk", k.KeyID); err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/key"}
	tests := []struct {
		name    string
		in      GenerateDataKeyInput
		wantLen int
		want    error
	}{
		{"AES_256", GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: "AES_256", EncryptionContext: ec}, 32, nil},
		{"AES_128 by alias", GenerateDataKeyInput{KeyID: "alias/dk", KeySpec: "AES_128"}, 16, nil},
		{"1 byte by ARN", GenerateDataKeyInput{KeyID: k.Arn, NumberOfBytes: 1}, 1, nil},
		{"1024 bytes", GenerateDataKeyInput{KeyID: k.KeyID, NumberOfBytes: 1024}, 1024, nil},
		{"1025 bytes", GenerateDataKeyInput{KeyID: k.KeyID, NumberOfBytes: 1025}, 0, ErrValidation},
		{"neither spec nor size", GenerateDataKeyInput{KeyID: k.KeyID}, 0, ErrValidation},
		{"both spec and size", GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: "AES_256", NumberOfBytes: 32}, 0, ErrValidation},
		{"bad spec", GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: "AES_512"}, 0, ErrValidation},
		{"no key", GenerateDataKeyInput{KeySpec: "AES_256"}, 0, ErrValidation},
		{"unknown key", GenerateDataKeyInput{KeyID: "alias/none", KeySpec: "AES_256"}, 0, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.s.GenerateDataKey(ctx, tt.in)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if len(out.Plaintext) != tt.wantLen || out.KeyID != k.Arn || len(out.CiphertextBlob) != blobHeaderSize+tt.wantLen+tagSize {
				t.Fatalf("out = %d-byte key, KeyID %s, %d-byte blob", len(out.Plaintext), out.KeyID, len(out.CiphertextBlob))
			}
			d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: tt.in.EncryptionContext})
			wantErr(t, err, nil)
			if !bytes.Equal(d.Plaintext, out.Plaintext) || d.KeyID != k.Arn || d.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
				t.Fatalf("Decrypt = %+v", d)
			}
			w, err := f.s.GenerateDataKeyWithoutPlaintext(ctx, tt.in)
			wantErr(t, err, nil)
			if w.Plaintext != nil || len(w.CiphertextBlob) != len(out.CiphertextBlob) {
				t.Fatalf("WithoutPlaintext = %+v", w)
			}
		})
	}
}

func TestEncryptDecrypt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k, other := f.createKey(t), f.createKey(t)
	if err := f.s.CreateAlias(ctx, "alias/k", k.KeyID); err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"purpose": "test", "ab": "c"}
	enc, err := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("secret"), EncryptionContext: ec})
	wantErr(t, err, nil)
	if enc.KeyID != k.Arn || enc.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Encrypt = %+v", enc)
	}
	tampered := bytes.Clone(enc.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1
	swapped := bytes.Clone(enc.CiphertextBlob)
	otherID, _ := parseKeyID(other.KeyID)
	copy(swapped[1:17], otherID[:])
	tests := []struct {
		name string
		in   DecryptInput
		want error
	}{
		{"same context", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"ab": "c", "purpose": "test"}}, nil},
		{"key id given", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyID: k.KeyID}, nil},
		{"alias given", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyID: "alias/k"}, nil},
		{"algorithm given", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"}, nil},
		{"missing context", DecryptInput{CiphertextBlob: enc.CiphertextBlob}, ErrInvalidCiphertext},
		{"different value", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "test", "ab": "d"}}, ErrInvalidCiphertext},
		{"colliding-looking context", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "test", "a": "bc"}}, ErrInvalidCiphertext},
		{"extra pair", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "test", "ab": "c", "x": ""}}, ErrInvalidCiphertext},
		{"tampered tag", DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec}, ErrInvalidCiphertext},
		{"key id swapped in blob", DecryptInput{CiphertextBlob: swapped, EncryptionContext: ec}, ErrInvalidCiphertext},
		{"truncated", DecryptInput{CiphertextBlob: enc.CiphertextBlob[:40], EncryptionContext: ec}, ErrInvalidCiphertext},
		{"empty", DecryptInput{EncryptionContext: ec}, ErrInvalidCiphertext},
		{"wrong key id given", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyID: other.KeyID}, ErrIncorrectKey},
		{"unknown key id given", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyID: "alias/none"}, ErrNotFound},
		{"asymmetric algorithm", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, EncryptionAlgorithm: "RSAES_OAEP_SHA_256"}, ErrInvalidKeyUsage},
		{"unknown algorithm", DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, EncryptionAlgorithm: "ROT13"}, ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.s.Decrypt(ctx, tt.in)
			wantErr(t, err, tt.want)
			if err == nil && (string(d.Plaintext) != "secret" || d.KeyID != k.Arn) {
				t.Fatalf("Decrypt = %+v", d)
			}
		})
	}

	for _, tt := range []struct {
		name string
		in   EncryptInput
		want error
	}{
		{"4096 bytes", EncryptInput{KeyID: k.KeyID, Plaintext: make([]byte, 4096)}, nil},
		{"4097 bytes", EncryptInput{KeyID: k.KeyID, Plaintext: make([]byte, 4097)}, ErrValidation},
		{"empty plaintext", EncryptInput{KeyID: k.KeyID}, ErrValidation},
		{"asymmetric algorithm", EncryptInput{KeyID: k.KeyID, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_1"}, ErrInvalidKeyUsage},
		{"unknown key", EncryptInput{KeyID: "11111111-2222-4333-8444-555555555555", Plaintext: []byte("x")}, ErrNotFound},
	} {
		t.Run("Encrypt "+tt.name, func(t *testing.T) {
			_, err := f.s.Encrypt(ctx, tt.in)
			wantErr(t, err, tt.want)
		})
	}
}

func TestKeyStateGuardsCryptography(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	enc, err := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("x")})
	wantErr(t, err, nil)
	ops := func() map[string]error {
		_, e1 := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("x")})
		_, e2 := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: enc.CiphertextBlob})
		_, e3 := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: "AES_256"})
		_, e4 := f.s.ReEncrypt(ctx, ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, DestinationKeyID: k.KeyID})
		_, e5 := f.s.RotateKeyOnDemand(ctx, k.KeyID)
		e6 := f.s.EnableKeyRotation(ctx, k.KeyID, 0)
		return map[string]error{"Encrypt": e1, "Decrypt": e2, "GenerateDataKey": e3, "ReEncrypt": e4, "RotateKeyOnDemand": e5, "EnableKeyRotation": e6}
	}
	tests := []struct {
		name  string
		setup func() error
		want  error
	}{
		{"disabled", func() error { return f.s.DisableKey(ctx, k.KeyID) }, ErrDisabled},
		{"pending deletion", func() error { _, err := f.s.ScheduleKeyDeletion(ctx, k.KeyID, 7); return err }, ErrInvalidState},
		{"cancelled is disabled", func() error { _, err := f.s.CancelKeyDeletion(ctx, k.KeyID); return err }, ErrDisabled},
		{"enabled again", func() error { return f.s.EnableKey(ctx, k.KeyID) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.setup(); err != nil {
				t.Fatal(err)
			}
			for op, err := range ops() {
				t.Run(op, func(t *testing.T) { wantErr(t, err, tt.want) })
			}
		})
	}
}

func TestReEncrypt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	src, dst := f.createKey(t), f.createKey(t)
	if err := f.s.CreateAlias(ctx, "alias/dst", dst.KeyID); err != nil {
		t.Fatal(err)
	}
	srcEC, dstEC := map[string]string{"a": "1"}, map[string]string{"b": "2"}
	enc, err := f.s.Encrypt(ctx, EncryptInput{KeyID: src.KeyID, Plaintext: []byte("moving"), EncryptionContext: srcEC})
	wantErr(t, err, nil)
	tests := []struct {
		name string
		in   ReEncryptInput
		want error
	}{
		{"to another key by alias", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC, DestinationKeyID: "alias/dst", DestinationEncryptionContext: dstEC}, nil},
		{"with source key", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC, SourceKeyID: src.Arn, DestinationKeyID: dst.KeyID, DestinationEncryptionContext: dstEC}, nil},
		{"wrong source key", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC, SourceKeyID: dst.KeyID, DestinationKeyID: dst.KeyID}, ErrIncorrectKey},
		{"wrong source context", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, DestinationKeyID: dst.KeyID}, ErrInvalidCiphertext},
		{"no destination", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC}, ErrValidation},
		{"unknown destination", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC, DestinationKeyID: "alias/none"}, ErrNotFound},
		{"bad destination algorithm", ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: srcEC, DestinationKeyID: dst.KeyID, DestinationEncryptionAlgorithm: "SM2PKE"}, ErrInvalidKeyUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.s.ReEncrypt(ctx, tt.in)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if out.SourceKeyID != src.Arn || out.KeyID != dst.Arn {
				t.Fatalf("ReEncrypt = %+v", out)
			}
			d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: dstEC, KeyID: dst.KeyID})
			wantErr(t, err, nil)
			if string(d.Plaintext) != "moving" {
				t.Fatalf("plaintext = %q", d.Plaintext)
			}
		})
	}
}

func TestGenerateRandom(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name string
		n    int
		want error
	}{
		{"one", 1, nil},
		{"max", 1024, nil},
		{"zero", 0, ErrValidation},
		{"too many", 1025, ErrValidation},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := f.s.GenerateRandom(tt.n)
			wantErr(t, err, tt.want)
			if err == nil && len(b) != tt.n {
				t.Fatalf("got %d bytes", len(b))
			}
		})
	}
}

func TestSecretsAreNotLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	secret := []byte("TOPSECRETPLAINTEXT")
	log.Info("values",
		"dk", GenerateDataKeyOutput{KeyID: "k", Plaintext: secret},
		"dec", DecryptOutput{KeyID: "k", Plaintext: secret},
		"enc", EncryptInput{KeyID: "k", Plaintext: secret},
		"root", testRootKey(t, 1))
	out := buf.String()
	if strings.Contains(out, "TOPSECRET") || strings.Contains(out, "VE9QU0VDUkVU") || !strings.Contains(out, "REDACTED") {
		t.Fatalf("log leaks or does not redact: %s", out)
	}
}

func TestExceptionName(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.s.DescribeKey(ctx, "alias/none")
	if got := ExceptionName(err); got != "NotFoundException" {
		t.Fatalf("ExceptionName = %s", got)
	}
	if got := ExceptionName(ErrWrongRootKey); got != "KMSInternalException" {
		t.Fatalf("ExceptionName(internal) = %s", got)
	}
}
