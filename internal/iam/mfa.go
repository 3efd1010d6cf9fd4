package iam

import (
	"bytes"
	"context"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// MFADevice is a virtual MFA device (TOTP, RFC 6238: HMAC-SHA1, six
// digits, 30-second steps, as AWS's virtual devices are).
type MFADevice struct {
	Serial  string    `json:"serial"` // arn:aws:iam::ACCOUNT:mfa/PATH/NAME
	Seed    []byte    `json:"seed"`   // the Base32 secret, sealed
	User    string    `json:"user,omitempty"`
	Root    bool      `json:"root,omitempty"` // enabled for the account's root user
	Enabled time.Time `json:"enabled,omitzero"`
	Created time.Time `json:"created"`
	// LastStep is the newest TOTP time step accepted: a code is accepted
	// once, and never one older than the last.
	LastStep int64 `json:"last_step"`
	// Drift is how many steps the device's clock runs ahead of the
	// server's (negative: behind), as the last Enable or Resync measured
	// it (RFC 6238 §6).
	Drift int64 `json:"drift,omitempty"`
}

// MFADeviceInfo is a device as the List… actions show it.
type MFADeviceInfo struct {
	Serial  string
	User    string // "" when unassigned or the root's
	Root    bool
	Enabled time.Time
}

// NewMFADevice is a created virtual device with its secret, shown once.
type NewMFADevice struct {
	Serial string
	// Base32Seed is the TOTP secret; QRCodePNG encodes the otpauth:// URI.
	Base32Seed string
	QRCodePNG  []byte
}

const (
	totpPeriod = 30
	// totpSkew is how many steps around now a code may come from.
	totpSkew = 1
	// enableWindow is how many steps back the first of EnableMFADevice's
	// two consecutive codes may be.
	enableWindow = 10
)

// CodeInvalidAuthenticationCode is IAM's error for a wrong MFA code.
const CodeInvalidAuthenticationCode = "InvalidAuthenticationCode"

func (s *Service) mfaARN(account, path, name string) string {
	return "arn:" + s.partition() + ":iam::" + account + ":mfa" + path + name
}

func seedAAD(account, serial string) []byte {
	return []byte("coffer iam mfa seed v1\x00" + account + "\x00" + serial)
}

func (st *state) mfaDevice(serial string) *MFADevice {
	for _, d := range st.MFA {
		if d.Serial == serial {
			return d
		}
	}
	return nil
}

func noSuchDevice(serial string) error {
	return errorf(CodeNoSuchEntity, "VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// CreateVirtualMFADevice creates a device and returns its secret.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, account, name, path string) (NewMFADevice, error) {
	if err := validName(userNameRE, "virtualMFADeviceName", name); err != nil {
		return NewMFADevice{}, err
	}
	path, err := validPath("path", path)
	if err != nil {
		return NewMFADevice{}, err
	}
	serial := s.mfaARN(account, path, name)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "coffer", AccountName: serial, Period: totpPeriod,
		SecretSize: 40, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: s.rand()})
	if err != nil {
		return NewMFADevice{}, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return NewMFADevice{}, err
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return NewMFADevice{}, err
	}
	sealed, err := s.Sealer.Seal(ctx, []byte(key.Secret()), seedAAD(account, serial))
	if err != nil {
		return NewMFADevice{}, err
	}
	d := &MFADevice{Serial: serial, Seed: sealed, Created: s.now().Truncate(time.Second)}
	err = s.update(ctx, account, func(st *state) error {
		if st.mfaDevice(serial) != nil {
			return errorf(CodeEntityExists, "MFADevice entity at the same path and name already exists.")
		}
		st.MFA = insertSorted(st.MFA, d, func(d *MFADevice) string { return d.Serial })
		return nil
	})
	if err != nil {
		return NewMFADevice{}, err
	}
	return NewMFADevice{Serial: serial, Base32Seed: key.Secret(), QRCodePNG: qr.Bytes()}, nil
}

// seed unseals a device's secret.
func (s *Service) seed(ctx context.Context, account string, d *MFADevice) (string, error) {
	b, err := s.Sealer.Open(ctx, d.Seed, seedAAD(account, d.Serial))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// totpCode is the code of a time step.
func totpCode(secret string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// matchStep finds the step in [from, to] whose code is code, or -1.
func matchStep(secret, code string, from, to int64) int64 {
	if len(code) != 6 {
		return -1
	}
	for step := from; step <= to; step++ {
		if c, err := totpCode(secret, step); err == nil && c == code {
			return step
		}
	}
	return -1
}

func (s *Service) step() int64 { return s.now().Unix() / totpPeriod }

// deviceFor finds a device for user ("" for root) and unseals its seed.
func (s *Service) deviceFor(ctx context.Context, account, serial string) (MFADevice, string, error) {
	var d MFADevice
	err := s.read(ctx, account, func(st *state) error {
		p := st.mfaDevice(serial)
		if p == nil {
			return noSuchDevice(serial)
		}
		d = *p
		return nil
	})
	if err != nil {
		return d, "", err
	}
	seed, err := s.seed(ctx, account, &d)
	return d, seed, err
}

// EnableMFADevice assigns a device to a user ("" for the root user) once
// two consecutive codes prove the user holds it.
func (s *Service) EnableMFADevice(ctx context.Context, account, user, serial, code1, code2 string) error {
	return s.syncDevice(ctx, account, user, serial, code1, code2, true)
}

// ResyncMFADevice re-synchronises an enabled device with two consecutive
// codes.
func (s *Service) ResyncMFADevice(ctx context.Context, account, user, serial, code1, code2 string) error {
	return s.syncDevice(ctx, account, user, serial, code1, code2, false)
}

func (s *Service) syncDevice(ctx context.Context, account, user, serial, code1, code2 string, enable bool) error {
	_, seed, err := s.deviceFor(ctx, account, serial)
	if err != nil {
		return err
	}
	now := s.step()
	step := matchStep(seed, code1, now-enableWindow, now+totpSkew)
	if step < 0 || matchStep(seed, code2, step+1, step+1) < 0 {
		return errorf(CodeInvalidAuthenticationCode, "Authentication code for device is not valid.")
	}
	return s.update(ctx, account, func(st *state) error {
		d := st.mfaDevice(serial)
		if d == nil {
			return noSuchDevice(serial)
		}
		var u *User
		if user != "" {
			if u = st.user(user); u == nil {
				return noSuchUser(user)
			}
		}
		switch {
		case enable && (d.User != "" || d.Root):
			return errorf(CodeEntityExists, "MFA device is already in use.")
		case !enable && !assignedTo(d, u):
			return errorf(CodeNoSuchEntity, "MFA device %s is not enabled for this user.", serial)
		case step+1 <= d.LastStep:
			return errorf(CodeInvalidAuthenticationCode, "Authentication code for device is not valid.")
		}
		if enable {
			if u != nil {
				d.User = u.Name
			} else {
				d.Root = true
			}
			d.Enabled = s.now().Truncate(time.Second)
		}
		d.LastStep = step + 1
		d.Drift = 0
		if drift := step + 1 - now; drift < -totpSkew || drift > totpSkew {
			d.Drift = drift // beyond what CheckMFA tolerates anyway
		}
		return nil
	})
}

func assignedTo(d *MFADevice, u *User) bool {
	if u == nil {
		return d.Root
	}
	return d.User == u.Name
}

// DeactivateMFADevice unassigns a device from a user ("" for root).
func (s *Service) DeactivateMFADevice(ctx context.Context, account, user, serial string) error {
	return s.update(ctx, account, func(st *state) error {
		d := st.mfaDevice(serial)
		if d == nil {
			return noSuchDevice(serial)
		}
		var u *User
		if user != "" {
			if u = st.user(user); u == nil {
				return noSuchUser(user)
			}
		}
		if !assignedTo(d, u) {
			return errorf(CodeNoSuchEntity, "MFA device %s is not enabled for this user.", serial)
		}
		d.User, d.Root, d.Enabled = "", false, time.Time{}
		return nil
	})
}

// DeleteVirtualMFADevice deletes an unassigned device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, account, serial string) error {
	return s.update(ctx, account, func(st *state) error {
		d := st.mfaDevice(serial)
		if d == nil {
			return noSuchDevice(serial)
		}
		if d.User != "" || d.Root {
			return errorf(CodeDeleteConflict, "MFA device is enabled: deactivate it first.")
		}
		st.MFA = slices.DeleteFunc(st.MFA, func(x *MFADevice) bool { return x == d })
		return nil
	})
}

// ListMFADevices lists the devices enabled for user ("" for root).
func (s *Service) ListMFADevices(ctx context.Context, account, user string) ([]MFADeviceInfo, error) {
	var out []MFADeviceInfo
	err := s.read(ctx, account, func(st *state) error {
		var u *User
		if user != "" {
			if u = st.user(user); u == nil {
				return noSuchUser(user)
			}
		}
		for _, d := range st.MFA {
			if assignedTo(d, u) {
				out = append(out, MFADeviceInfo{Serial: d.Serial, User: d.User, Root: d.Root, Enabled: d.Enabled})
			}
		}
		return nil
	})
	return out, err
}

// ListVirtualMFADevices lists the account's devices: status Assigned,
// Unassigned or Any ("").
func (s *Service) ListVirtualMFADevices(ctx context.Context, account, status string) ([]MFADeviceInfo, error) {
	var out []MFADeviceInfo
	err := s.read(ctx, account, func(st *state) error {
		for _, d := range st.MFA {
			assigned := d.User != "" || d.Root
			if status == "Assigned" && !assigned || status == "Unassigned" && assigned {
				continue
			}
			out = append(out, MFADeviceInfo{Serial: d.Serial, User: d.User, Root: d.Root, Enabled: d.Enabled})
		}
		return nil
	})
	return out, err
}

// CheckMFA verifies a code from the device serial, which must be enabled
// for user ("" for root). A code is accepted once: the step it belongs to
// must be newer than the last one accepted. It returns when MFA was
// proved, or an AccessDenied error.
func (s *Service) CheckMFA(ctx context.Context, account, user, serial, code string) (time.Time, error) {
	denied := errorf(CodeAccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	d, seed, err := s.deviceFor(ctx, account, serial)
	if err != nil {
		if ErrorCode(err) == CodeNoSuchEntity {
			return time.Time{}, errorf(CodeAccessDenied, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
		}
		return time.Time{}, err
	}
	if d.User != user || user == "" && !d.Root || strings.TrimSpace(code) != code {
		return time.Time{}, errorf(CodeAccessDenied, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
	}
	// Around the server's clock, and around the device's as Enable or
	// Resync last measured it.
	now := s.step()
	step := matchStep(seed, code, now-totpSkew, now+totpSkew)
	if step < 0 && d.Drift != 0 {
		step = matchStep(seed, code, now+d.Drift-totpSkew, now+d.Drift+totpSkew)
	}
	if step < 0 || step <= d.LastStep {
		return time.Time{}, denied
	}
	err = s.update(ctx, account, func(st *state) error {
		p := st.mfaDevice(serial)
		if p == nil || step <= p.LastStep {
			return denied // used meanwhile
		}
		p.LastStep = step
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return s.now(), nil
}
