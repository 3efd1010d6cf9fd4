package kms

import (
	"context"
	"testing"
	"time"
)

func TestRotationSettings(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	tests := []struct {
		name       string
		period     int
		want       error
		wantPeriod int
	}{
		{"default period", 0, nil, 365},
		{"minimum", 90, nil, 90},
		{"maximum", 2560, nil, 2560},
		{"too short", 89, ErrValidation, 0},
		{"too long", 2561, ErrValidation, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.s.EnableKeyRotation(ctx, k.KeyID, tt.period)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			st, err := f.s.GetKeyRotationStatus(ctx, k.Arn)
			wantErr(t, err, nil)
			want := RotationStatus{KeyID: k.Arn, KeyRotationEnabled: true, RotationPeriodInDays: tt.wantPeriod,
				NextRotationDate: testEpoch.Add(time.Duration(tt.wantPeriod) * day)}
			if st != want {
				t.Fatalf("status = %+v, want %+v", st, want)
			}
		})
	}
	if err := f.s.DisableKeyRotation(ctx, k.KeyID); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.GetKeyRotationStatus(ctx, k.KeyID); st.KeyRotationEnabled {
		t.Fatalf("still enabled: %+v", st)
	}

	// As on AWS, pending deletion reports false and cancelling restores it.
	if err := f.s.EnableKeyRotation(ctx, k.KeyID, 90); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ScheduleKeyDeletion(ctx, k.KeyID, 7); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.GetKeyRotationStatus(ctx, k.KeyID); st.KeyRotationEnabled {
		t.Fatalf("pending deletion reports %+v", st)
	}
	wantErr(t, f.s.DisableKeyRotation(ctx, k.KeyID), ErrInvalidState)
	if _, err := f.s.CancelKeyDeletion(ctx, k.KeyID); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.GetKeyRotationStatus(ctx, k.KeyID); !st.KeyRotationEnabled {
		t.Fatalf("after cancel: %+v", st)
	}
	wantErr(t, f.s.DisableKeyRotation(ctx, k.KeyID), ErrDisabled)
	_, err := f.s.GetKeyRotationStatus(ctx, "alias/x")
	wantErr(t, err, ErrNotFound)
}

func TestRotateOnDemandKeepsOldCiphertexts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	ec := map[string]string{"v": "1"}
	var blobs [][]byte
	for i := range 4 {
		enc, err := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte{byte(i)}, EncryptionContext: ec})
		wantErr(t, err, nil)
		if v, _ := parseCiphertext(enc.CiphertextBlob); v.version != uint32(i+1) {
			t.Fatalf("blob %d uses material version %d", i, v.version)
		}
		blobs = append(blobs, enc.CiphertextBlob)
		f.clock.Advance(time.Minute)
		arn, err := f.s.RotateKeyOnDemand(ctx, k.KeyID)
		wantErr(t, err, nil)
		if arn != k.Arn {
			t.Fatalf("RotateKeyOnDemand = %s", arn)
		}
	}
	for i, b := range blobs {
		d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: b, EncryptionContext: ec})
		wantErr(t, err, nil)
		if d.Plaintext[0] != byte(i) {
			t.Fatalf("blob %d decrypts to %v", i, d.Plaintext)
		}
	}
	out, err := f.s.ListKeyRotations(ctx, k.KeyID, 3, "")
	wantErr(t, err, nil)
	if len(out.Rotations) != 3 || !out.Truncated || out.Rotations[0].RotationType != RotationOnDemand ||
		!out.Rotations[0].RotationDate.Equal(testEpoch.Add(time.Minute)) || out.Rotations[0].KeyID != k.Arn {
		t.Fatalf("first page = %+v", out)
	}
	out, err = f.s.ListKeyRotations(ctx, k.Arn, 3, out.NextMarker)
	wantErr(t, err, nil)
	if len(out.Rotations) != 1 || out.Truncated || !out.Rotations[0].RotationDate.Equal(testEpoch.Add(4*time.Minute)) {
		t.Fatalf("second page = %+v", out)
	}
	_, err = f.s.ListKeyRotations(ctx, k.KeyID, 0, "bad!")
	wantErr(t, err, ErrInvalidMarker)
	_, err = f.s.ListKeyRotations(ctx, k.KeyID, 1001, "")
	wantErr(t, err, ErrValidation)
}

func TestRotateOnDemandLimit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	for range maxOnDemandRotations {
		if _, err := f.s.RotateKeyOnDemand(ctx, k.KeyID); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.s.RotateKeyOnDemand(ctx, k.KeyID)
	wantErr(t, err, ErrLimitExceeded)
}

func TestRotateDue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	yearly, quarterly, disabled, off := f.createKey(t), f.createKey(t), f.createKey(t), f.createKey(t)
	for _, k := range []struct {
		id     string
		period int
	}{{yearly.KeyID, 365}, {quarterly.KeyID, 90}, {disabled.KeyID, 90}} {
		if err := f.s.EnableKeyRotation(ctx, k.id, k.period); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.DisableKey(ctx, disabled.KeyID); err != nil {
		t.Fatal(err)
	}
	old, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: quarterly.KeyID, KeySpec: "AES_256"})
	wantErr(t, err, nil)

	tests := []struct {
		name string
		at   time.Duration // after testEpoch
		want int
	}{
		{"nothing due yet", 89 * day, 0},
		{"quarterly key due", 90 * day, 1},
		{"not twice", 91 * day, 0},
		{"yearly and quarterly", 365 * day, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := f.s.RotateDue(ctx, testEpoch.Add(tt.at))
			wantErr(t, err, nil)
			if n != tt.want {
				t.Fatalf("RotateDue = %d, want %d", n, tt.want)
			}
		})
	}
	rot, err := f.s.ListKeyRotations(ctx, quarterly.KeyID, 0, "")
	wantErr(t, err, nil)
	if len(rot.Rotations) != 2 || rot.Rotations[0].RotationType != RotationAutomatic {
		t.Fatalf("quarterly rotations = %+v", rot)
	}
	st, _ := f.s.GetKeyRotationStatus(ctx, quarterly.KeyID)
	if want := testEpoch.Add(455 * day); !st.NextRotationDate.Equal(want) {
		t.Fatalf("next rotation %v, want %v", st.NextRotationDate, want)
	}
	for _, k := range []KeyMetadata{disabled, off} {
		if rot, _ := f.s.ListKeyRotations(ctx, k.KeyID, 0, ""); len(rot.Rotations) != 0 {
			t.Fatalf("%s rotated: %+v", k.KeyID, rot)
		}
	}
	d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: old.CiphertextBlob})
	wantErr(t, err, nil)
	if string(d.Plaintext) != string(old.Plaintext) {
		t.Fatal("pre-rotation data key changed")
	}
	// Re-enabled after its date passed, the disabled key rotates at the next run.
	if err := f.s.EnableKey(ctx, disabled.KeyID); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.s.RotateDue(ctx, testEpoch.Add(366*day)); n != 1 {
		t.Fatalf("re-enabled key: RotateDue = %d", n)
	}
}
