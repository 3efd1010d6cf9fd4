package iam_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/iam"
)

// Virtual MFA devices: TOTP (RFC 6238: HMAC-SHA1, six digits, 30-second
// steps), computed here as an authenticator app holding the seed would.

const mfaStep = 30 * time.Second

// mfaCode is the code an authenticator app holding seed shows at time at.
func mfaCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(t, err)
	return code
}

// mfaWrongCode is a six-digit code that is no step's code within twelve
// steps of at.
func mfaWrongCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for i := -12; i <= 12; i++ {
		near[mfaCode(t, seed, at.Add(time.Duration(i)*mfaStep))] = true
	}
	for n := 1; ; n++ {
		if c := fmt.Sprintf("%06d", n*7919%1000000); !near[c] {
			return c
		}
	}
}

// mfaUser is an IAM user with an access key and an enabled virtual MFA
// device.
type mfaUser struct {
	principal    auth.Principal // signing with the long-term access key
	serial, seed string
}

// code is the device's code at time at.
func (u mfaUser) code(t *testing.T, at time.Time) string { return mfaCode(t, u.seed, at) }

// newMFAUser creates user name with an access key and a virtual MFA device
// enabled with the codes of the two steps before now: the step of now is
// the first the device may prove MFA with.
func newMFAUser(t *testing.T, e *env, name string) mfaUser {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateUser(ctx, testAccountID, name, "", nil)
	must(t, err)
	key, _, err := e.svc.CreateAccessKey(ctx, testAccountID, name)
	must(t, err)
	cred, err := e.creds.Lookup(ctx, key.AccessKeyID)
	must(t, err)
	dev, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, name+"-phone", "")
	must(t, err)
	now := e.clock.Now()
	must(t, e.svc.EnableMFADevice(ctx, testAccountID, name, dev.Serial,
		mfaCode(t, dev.Base32Seed, now.Add(-2*mfaStep)), mfaCode(t, dev.Base32Seed, now.Add(-mfaStep))))
	return mfaUser{principal: cred.Principal, serial: dev.Serial, seed: dev.Base32Seed}
}

func TestCreateVirtualMFADevice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dev, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "phone", "")
	must(t, err)
	if want := "arn:aws:iam::" + testAccountID + ":mfa/phone"; dev.Serial != want {
		t.Errorf("serial %q, want %q", dev.Serial, want)
	}

	t.Run("the seed is Base32 of a 40-byte secret", func(t *testing.T) {
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(dev.Base32Seed)
		if err != nil || len(raw) != 40 {
			t.Fatalf("seed %q: %d bytes, %v", dev.Base32Seed, len(raw), err)
		}
		other, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "tablet", "")
		must(t, err)
		if other.Base32Seed == dev.Base32Seed {
			t.Error("two devices got the same seed")
		}
	})

	t.Run("the QR code is a PNG of the seed's otpauth URI", func(t *testing.T) {
		img, err := png.Decode(bytes.NewReader(dev.QRCodePNG))
		if err != nil {
			t.Fatalf("QRCodePNG does not decode as a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
			t.Errorf("QR code of %v, want 256×256", b)
		}
		// The URI an authenticator app reads: this seed, for this
		// device, with AWS's parameters. Drawn again, it is the same
		// picture.
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(dev.Base32Seed)
		must(t, err)
		key, err := totp.Generate(totp.GenerateOpts{Issuer: "coffer", AccountName: dev.Serial, Period: 30,
			Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		must(t, err)
		want, err := key.Image(256, 256)
		must(t, err)
		if !sameImage(img, want) {
			t.Errorf("the QR code is not that of %s", key.URL())
		}
	})

	t.Run("the seed is stored sealed", func(t *testing.T) {
		stored, err := e.store.GetAccount(ctx, testAccountID)
		must(t, err)
		if bytes.Contains(stored.IAM, []byte(dev.Base32Seed)) {
			t.Error("the stored document contains the seed")
		}
	})

	t.Run("with a path", func(t *testing.T) {
		d, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "phone", "/team/")
		must(t, err)
		if want := "arn:aws:iam::" + testAccountID + ":mfa/team/phone"; d.Serial != want {
			t.Errorf("serial %q, want %q", d.Serial, want)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct{ name, device, path, code string }{
			{"an existing device", "phone", "", iam.CodeEntityExists},
			{"an empty name", "", "", iam.CodeValidation},
			{"a space in the name", "my phone", "", iam.CodeValidation},
			{"a path without slashes", "p", "team", iam.CodeValidation},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, tt.device, tt.path)
				wantCode(t, err, tt.code)
			})
		}
	})
}

// sameImage reports whether two images have the same size and colours.
func sameImage(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ao, bo := a.Bounds().Min, b.Bounds().Min
	for y := range a.Bounds().Dy() {
		for x := range a.Bounds().Dx() {
			r1, g1, b1, a1 := a.At(ao.X+x, ao.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bo.X+x, bo.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

func TestEnableMFADevice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"alice", "bob"} {
		_, err := e.svc.CreateUser(ctx, testAccountID, name, "", nil)
		must(t, err)
	}
	dev, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "alice-phone", "")
	must(t, err)
	now := e.clock.Now()
	at := func(steps int) string { return mfaCode(t, dev.Base32Seed, now.Add(time.Duration(steps)*mfaStep)) }

	t.Run("refused codes", func(t *testing.T) {
		tests := []struct{ name, code1, code2 string }{
			{"non-consecutive steps", at(-3), at(-1)},
			{"the same code twice", at(-1), at(-1)},
			{"consecutive steps in reverse order", at(-1), at(-2)},
			{"steps older than five minutes", at(-12), at(-11)},
			{"steps in the future", at(2), at(3)},
			{"a wrong first code", mfaWrongCode(t, dev.Base32Seed, now), at(-1)},
			{"a wrong second code", at(-2), mfaWrongCode(t, dev.Base32Seed, now)},
			{"five digits", at(-2)[:5], at(-1)},
			{"letters", "abcdef", at(-1)},
			{"a code with a space", " " + at(-2)[1:], at(-1)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, "alice", dev.Serial, tt.code1, tt.code2), iam.CodeInvalidAuthenticationCode)
			})
		}
		if ds, err := e.svc.ListMFADevices(ctx, testAccountID, "alice"); err != nil || len(ds) != 0 {
			t.Errorf("ListMFADevices(alice) after refused codes = %+v, %v; want none", ds, err)
		}
	})
	t.Run("unknown device or user", func(t *testing.T) {
		wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, "alice", "arn:aws:iam::"+testAccountID+":mfa/none", at(-2), at(-1)), iam.CodeNoSuchEntity)
		wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, "nobody", dev.Serial, at(-2), at(-1)), iam.CodeNoSuchEntity)
	})

	// The first code may be up to ten steps old; the second is the next.
	must(t, e.svc.EnableMFADevice(ctx, testAccountID, "ALICE", dev.Serial, at(-10), at(-9)))
	want := iam.MFADeviceInfo{Serial: dev.Serial, User: "alice", Enabled: now}
	if ds, err := e.svc.ListMFADevices(ctx, testAccountID, "alice"); err != nil || len(ds) != 1 || ds[0] != want {
		t.Errorf("ListMFADevices(alice) = %+v, %v; want %+v", ds, err, want)
	}
	if ds, err := e.svc.ListMFADevices(ctx, testAccountID, "bob"); err != nil || len(ds) != 0 {
		t.Errorf("ListMFADevices(bob) = %+v, %v; want none", ds, err)
	}
	_, err = e.svc.ListMFADevices(ctx, testAccountID, "nobody")
	wantCode(t, err, iam.CodeNoSuchEntity)

	t.Run("a device in use", func(t *testing.T) {
		for _, user := range []string{"alice", "bob", ""} {
			wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, user, dev.Serial, at(0), at(1)), iam.CodeEntityExists)
		}
	})

	t.Run("the root user", func(t *testing.T) {
		root, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "root-token", "")
		must(t, err)
		must(t, e.svc.EnableMFADevice(ctx, testAccountID, "", root.Serial,
			mfaCode(t, root.Base32Seed, now.Add(-2*mfaStep)), mfaCode(t, root.Base32Seed, now.Add(-mfaStep))))
		want := iam.MFADeviceInfo{Serial: root.Serial, Root: true, Enabled: now}
		if ds, err := e.svc.ListMFADevices(ctx, testAccountID, ""); err != nil || len(ds) != 1 || ds[0] != want {
			t.Errorf("ListMFADevices(root) = %+v, %v; want %+v", ds, err, want)
		}
		// The root user's device proves MFA for the root user only.
		if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", root.Serial, mfaCode(t, root.Base32Seed, now)); iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Errorf("alice proving MFA with the root's device: %v, want AccessDenied", err)
		}
		if got, err := e.svc.CheckMFA(ctx, testAccountID, "", root.Serial, mfaCode(t, root.Base32Seed, now)); err != nil || !got.Equal(now) {
			t.Errorf("CheckMFA(root) = %v, %v; want %v", got, err, now)
		}
	})

	t.Run("ListVirtualMFADevices", func(t *testing.T) {
		_, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "spare", "")
		must(t, err)
		serials := func(status string) []string {
			t.Helper()
			ds, err := e.svc.ListVirtualMFADevices(ctx, testAccountID, status)
			must(t, err)
			var out []string
			for _, d := range ds {
				out = append(out, strings.TrimPrefix(d.Serial, "arn:aws:iam::"+testAccountID+":mfa/"))
			}
			return out
		}
		for status, want := range map[string]string{
			"":           "alice-phone root-token spare",
			"Any":        "alice-phone root-token spare",
			"Assigned":   "alice-phone root-token",
			"Unassigned": "spare",
		} {
			if got := strings.Join(serials(status), " "); got != want {
				t.Errorf("ListVirtualMFADevices(%q) = %s, want %s", status, got, want)
			}
		}
	})
}

// TestCheckMFA: a code is accepted once, and never one of an older step
// than the newest accepted, so that a code seen over a shoulder or in a
// log cannot be replayed.
func TestCheckMFA(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice") // steps up to now-1 used by EnableMFADevice
	_, err := e.svc.CreateUser(ctx, testAccountID, "bob", "", nil)
	must(t, err)
	start := e.clock.Now()
	at := func(steps int) string { return u.code(t, start.Add(time.Duration(steps)*mfaStep)) }
	check := func(user, code string) error {
		t.Helper()
		got, err := e.svc.CheckMFA(ctx, testAccountID, user, u.serial, code)
		if err == nil && !got.Equal(e.clock.Now()) {
			t.Errorf("CheckMFA = %v, want the time of the check %v", got, e.clock.Now())
		}
		return err
	}
	denied := func(name string, err error) {
		t.Helper()
		if iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Errorf("%s: %v, want AccessDenied", name, err)
		}
	}

	denied("the code EnableMFADevice used last", check("alice", at(-1)))
	must(t, check("alice", at(0)))
	denied("the same code again", check("alice", at(0)))
	e.clock.Advance(2 * mfaStep) // now at step 2: steps 1 to 3 are near enough
	must(t, check("alice", at(2)))
	denied("an older step after a newer one", check("alice", at(1)))
	denied("a step too far ahead", check("alice", at(4)))
	denied("a step too old", check("alice", at(0)))
	denied("a wrong code", check("alice", mfaWrongCode(t, u.seed, e.clock.Now())))
	denied("a code with a space", check("alice", at(3)+" "))
	denied("another user", check("bob", at(3)))
	denied("the root user", check("", at(3)))
	if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", "arn:aws:iam::"+testAccountID+":mfa/none", at(3)); iam.ErrorCode(err) != iam.CodeAccessDenied {
		t.Errorf("an unknown device: %v, want AccessDenied", err)
	}
	// The refusals used nothing up: the next step is still good.
	must(t, check("alice", at(3)))
}

func TestResyncMFADevice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	_, err := e.svc.CreateUser(ctx, testAccountID, "bob", "", nil)
	must(t, err)
	e.clock.Advance(10 * time.Minute)
	now := e.clock.Now()
	at := func(steps int) string { return u.code(t, now.Add(time.Duration(steps)*mfaStep)) }

	t.Run("refused", func(t *testing.T) {
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", u.serial, at(-1), at(1)), iam.CodeInvalidAuthenticationCode)
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", u.serial, mfaWrongCode(t, u.seed, now), at(0)), iam.CodeInvalidAuthenticationCode)
		// The device is alice's, not bob's.
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "bob", u.serial, at(-1), at(0)), iam.CodeNoSuchEntity)
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", "arn:aws:iam::"+testAccountID+":mfa/none", at(-1), at(0)), iam.CodeNoSuchEntity)
		spare, err := e.svc.CreateVirtualMFADevice(ctx, testAccountID, "spare", "")
		must(t, err)
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", spare.Serial,
			mfaCode(t, spare.Base32Seed, now.Add(-mfaStep)), mfaCode(t, spare.Base32Seed, now)), iam.CodeNoSuchEntity)
	})

	must(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", u.serial, at(-1), at(0)))
	t.Run("the codes it used are used", func(t *testing.T) {
		if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", u.serial, at(0)); iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Errorf("CheckMFA with ResyncMFADevice's second code: %v, want AccessDenied", err)
		}
		wantCode(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", u.serial, at(-1), at(0)), iam.CodeInvalidAuthenticationCode)
		if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", u.serial, at(1)); err != nil {
			t.Errorf("CheckMFA with the next code: %v", err)
		}
	})

	// RFC 6238 §6: resynchronisation is for a device whose clock has
	// drifted; the server then accepts its codes.
	t.Run("a device four minutes slow", func(t *testing.T) {
		e.clock.Advance(10 * time.Minute)
		slow := func(steps int) string {
			return u.code(t, e.clock.Now().Add(-4*time.Minute+time.Duration(steps)*mfaStep))
		}
		if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", u.serial, slow(0)); iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Fatalf("CheckMFA with a code four minutes old: %v, want AccessDenied", err)
		}
		must(t, e.svc.ResyncMFADevice(ctx, testAccountID, "alice", u.serial, slow(-1), slow(0)))
		e.clock.Advance(mfaStep)
		if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", u.serial, slow(0)); err != nil {
			t.Errorf("after ResyncMFADevice with the codes of a device four minutes slow, its next code is refused (%v): "+
				"ResyncMFADevice records no drift, so it cannot resynchronise a drifted device", err)
		}
	})
}

func TestDeactivateAndDeleteMFADevice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	_, err := e.svc.CreateUser(ctx, testAccountID, "bob", "", nil)
	must(t, err)
	now := e.clock.Now()

	wantCode(t, e.svc.DeleteVirtualMFADevice(ctx, testAccountID, u.serial), iam.CodeDeleteConflict)
	wantCode(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "bob", u.serial), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "", u.serial), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "nobody", u.serial), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "alice", "arn:aws:iam::"+testAccountID+":mfa/none"), iam.CodeNoSuchEntity)

	must(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "alice", u.serial))
	if ds, err := e.svc.ListMFADevices(ctx, testAccountID, "alice"); err != nil || len(ds) != 0 {
		t.Errorf("ListMFADevices(alice) after DeactivateMFADevice = %+v, %v; want none", ds, err)
	}
	if ds, err := e.svc.ListVirtualMFADevices(ctx, testAccountID, "Unassigned"); err != nil || len(ds) != 1 || ds[0] != (iam.MFADeviceInfo{Serial: u.serial}) {
		t.Errorf("ListVirtualMFADevices(Unassigned) = %+v, %v; want the deactivated device, without user or date", ds, err)
	}
	if _, err := e.svc.CheckMFA(ctx, testAccountID, "alice", u.serial, u.code(t, now)); iam.ErrorCode(err) != iam.CodeAccessDenied {
		t.Errorf("CheckMFA with a deactivated device: %v, want AccessDenied", err)
	}
	wantCode(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "alice", u.serial), iam.CodeNoSuchEntity)

	must(t, e.svc.DeleteVirtualMFADevice(ctx, testAccountID, u.serial))
	wantCode(t, e.svc.DeleteVirtualMFADevice(ctx, testAccountID, u.serial), iam.CodeNoSuchEntity)
	if ds, err := e.svc.ListVirtualMFADevices(ctx, testAccountID, ""); err != nil || len(ds) != 0 {
		t.Errorf("ListVirtualMFADevices after the delete = %+v, %v; want none", ds, err)
	}
	wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, "alice", u.serial, u.code(t, now), u.code(t, now.Add(mfaStep))), iam.CodeNoSuchEntity)
}

// TestMFADeviceEnabledAgain: a deactivated device can be enabled again,
// for another user, but not with codes it has already given.
func TestMFADeviceEnabledAgain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	_, err := e.svc.CreateUser(ctx, testAccountID, "bob", "", nil)
	must(t, err)
	now := e.clock.Now()
	must(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "alice", u.serial))
	wantCode(t, e.svc.EnableMFADevice(ctx, testAccountID, "bob", u.serial, u.code(t, now.Add(-2*mfaStep)), u.code(t, now.Add(-mfaStep))),
		iam.CodeInvalidAuthenticationCode)
	must(t, e.svc.EnableMFADevice(ctx, testAccountID, "bob", u.serial, u.code(t, now), u.code(t, now.Add(mfaStep))))
	if ds, err := e.svc.ListMFADevices(ctx, testAccountID, "bob"); err != nil || len(ds) != 1 || ds[0].Serial != u.serial {
		t.Errorf("ListMFADevices(bob) = %+v, %v; want the device", ds, err)
	}
}

// TestMFADeviceOfDeletedUser: IAM refuses to delete a user with an MFA
// device (DeleteConflict); a device left assigned to a deleted user's name
// would prove MFA for the next user of that name.
func TestMFADeviceOfDeletedUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	keys, err := e.svc.ListAccessKeys(ctx, testAccountID, "alice")
	must(t, err)
	must(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", keys[0].AccessKeyID))

	err = e.svc.DeleteUser(ctx, testAccountID, "alice")
	if iam.ErrorCode(err) != iam.CodeDeleteConflict {
		t.Fatalf("DeleteUser of a user whose MFA device is enabled: %v, want DeleteConflict", err)
	}
	must(t, e.svc.DeactivateMFADevice(ctx, testAccountID, "alice", u.serial))
	must(t, e.svc.DeleteUser(ctx, testAccountID, "alice"))
}

// TestMFADeviceFollowsRename: a device belongs to the user, whatever its
// name becomes.
func TestMFADeviceFollowsRename(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	must(t, e.svc.UpdateUser(ctx, testAccountID, "alice", "zoe", ""))
	zoe, err := e.creds.Lookup(ctx, u.principal.AccessKeyID)
	must(t, err)
	ds, err := e.svc.ListMFADevices(ctx, testAccountID, "zoe")
	must(t, err)
	_, checkErr := e.svc.GetSessionToken(ctx, zoe.Principal, 0, u.serial, u.code(t, e.clock.Now()))
	if len(ds) != 1 || ds[0].Serial != u.serial || ds[0].User != "zoe" || checkErr != nil {
		t.Errorf("after UpdateUser renames alice to zoe, ListMFADevices(zoe) = %+v and GetSessionToken with the device: %v; "+
			"want the device, and MFA proved (UpdateUser does not rename MFADevice.User)", ds, checkErr)
	}
}
