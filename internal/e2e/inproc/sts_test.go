package inproc

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// STS, IAM roles and virtual MFA devices through the AWS SDK's STS, IAM
// and S3 clients: temporary credentials are issued by the server and then
// sign S3, IAM and STS requests. The server's clock is the wall clock, so
// TOTP codes are those of time.Now(), each step's code good once.

const stsStep = 30 * time.Second

// stsClient is the SDK's STS client signing with the given credentials
// (token "" for long-term keys). It does not retry.
func (e *iamEnv) stsClient(access, secret, token string) *sts.Client {
	return sts.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(access, secret, token),
		HTTPClient:       e.iamHTTP,
		RetryMaxAttempts: 1,
	}, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.endpoint) })
}

// stsSession is temporary credentials and the clients signing with them.
type stsSession struct {
	access, secret, token string
	expiration            time.Time
	s3                    *s3.Client
	iam                   *iam.Client
	sts                   *sts.Client
}

// stsClients are S3, IAM and STS clients signing with the given
// credentials.
func (e *iamEnv) stsClients(access, secret, token string) *stsSession {
	static := credentials.NewStaticCredentialsProvider(access, secret, token)
	return &stsSession{
		access: access, secret: secret, token: token,
		s3: e.newS3(access, secret, func(o *s3.Options) { o.Credentials = static }),
		iam: iam.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: static, HTTPClient: e.iamHTTP, RetryMaxAttempts: 1},
			func(o *iam.Options) { o.BaseEndpoint = aws.String(e.endpoint) }),
		sts: e.stsClient(access, secret, token),
	}
}

// stsSessionOf checks the shape of credentials STS returned and makes
// clients signing with them.
func (e *iamEnv) stsSessionOf(t *testing.T, c *ststypes.Credentials) *stsSession {
	t.Helper()
	if c == nil || !strings.HasPrefix(str(c.AccessKeyId), "ASIA") || len(str(c.SecretAccessKey)) != 40 || str(c.SessionToken) == "" || c.Expiration == nil {
		t.Fatalf("credentials %+v, want an ASIA… key, a secret, a token and an expiration", c)
	}
	s := e.stsClients(str(c.AccessKeyId), str(c.SecretAccessKey), str(c.SessionToken))
	s.expiration = *c.Expiration
	return s
}

// stsTampered is s with one character of its session token changed.
func (e *iamEnv) stsTampered(s *stsSession) *stsSession {
	b := []byte(s.token)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return e.stsClients(s.access, s.secret, string(b))
}

// stsWantExpiry asserts that an expiration is d from now, give or take a
// minute.
func stsWantExpiry(t *testing.T, what string, got time.Time, d time.Duration) {
	t.Helper()
	if want := time.Now().Add(d); got.Before(want.Add(-time.Minute)) || got.After(want.Add(time.Minute)) {
		t.Errorf("%s expires at %v, want about %v", what, got, want)
	}
}

// stsCode is the code an authenticator app holding seed shows at time at.
func stsCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(t, err, "TOTP code")
	return code
}

// stsWrongCode is a six-digit code that is no step's code within twelve
// steps of at.
func stsWrongCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for i := -12; i <= 12; i++ {
		near[stsCode(t, seed, at.Add(time.Duration(i)*stsStep))] = true
	}
	for n := 1; ; n++ {
		if c := fmt.Sprintf("%06d", n*7919%1000000); !near[c] {
			return c
		}
	}
}

// stsEnableMFA creates a virtual MFA device for user and enables it, as
// the operator, with the codes of the two steps before now. It returns the
// device's serial number and seed: the codes of now and later prove MFA.
func (e *iamEnv) stsEnableMFA(t *testing.T, user string) (serial, seed string) {
	t.Helper()
	out, err := e.operator.CreateVirtualMFADevice(ctx(t), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(user + "-phone")})
	must(t, err, "CreateVirtualMFADevice")
	serial, seed = str(out.VirtualMFADevice.SerialNumber), string(out.VirtualMFADevice.Base32StringSeed)
	now := time.Now()
	_, err = e.operator.EnableMFADevice(ctx(t), &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(stsCode(t, seed, now.Add(-2*stsStep))), AuthenticationCode2: aws.String(stsCode(t, seed, now.Add(-stsStep)))})
	must(t, err, "EnableMFADevice")
	return serial, seed
}

// stsTrust is a trust policy allowing sts:AssumeRole to principal, a
// Principal element's JSON, under condition, a Condition element's JSON
// ("" for none).
func stsTrust(principal, condition string) string {
	st := `{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"`
	if condition != "" {
		st += `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[` + st + `}]}`
}

const stsReadOnly = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"

// stsRole creates a role with a trust policy and attached managed
// policies, and returns its ARN and ID.
func (e *iamEnv) stsRole(t *testing.T, name, trust string, attached ...string) (arn, id string) {
	t.Helper()
	out, err := e.operator.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err, "CreateRole "+name)
	for _, p := range attached {
		_, err := e.operator.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)})
		must(t, err, "AttachRolePolicy "+p)
	}
	return str(out.Role.Arn), str(out.Role.RoleId)
}

func TestSTSMFADevices(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	alice := e.newUser(t, "alice")
	out, err := op.CreateVirtualMFADevice(ctx(t), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")})
	must(t, err, "CreateVirtualMFADevice")
	dev := out.VirtualMFADevice
	serial, seed := str(dev.SerialNumber), string(dev.Base32StringSeed)
	if want := "arn:aws:iam::" + e.account + ":mfa/alice-phone"; serial != want {
		t.Errorf("SerialNumber %q, want %q", serial, want)
	}
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed); err != nil || len(raw) < 16 {
		t.Errorf("Base32StringSeed %q: %d bytes, %v; want Base32 of a secret", seed, len(raw), err)
	}
	if img, err := png.Decode(bytes.NewReader(dev.QRCodePNG)); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("QRCodePNG does not decode as a PNG of a QR code: %v", err)
	}

	now := time.Now()
	code := func(steps int) string { return stsCode(t, seed, now.Add(time.Duration(steps)*stsStep)) }
	enable := func(c context.Context, code1, code2 string) error {
		return errOf(op.EnableMFADevice(c, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(code1), AuthenticationCode2: aws.String(code2)}))
	}
	resync := func(c context.Context, code1, code2 string) error {
		return errOf(op.ResyncMFADevice(c, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(code1), AuthenticationCode2: aws.String(code2)}))
	}
	t.Run("EnableMFADevice with wrong codes", func(t *testing.T) {
		runErrorCases(t, []iamErrorCase{
			{"non-consecutive steps", func(c context.Context) error { return enable(c, code(-3), code(-1)) }, 403, "InvalidAuthenticationCode"},
			{"the same code twice", func(c context.Context) error { return enable(c, code(-1), code(-1)) }, 403, "InvalidAuthenticationCode"},
			{"a wrong code", func(c context.Context) error { return enable(c, stsWrongCode(t, seed, now), code(-1)) }, 403, "InvalidAuthenticationCode"},
		})
	})
	must(t, enable(ctx(t), code(-2), code(-1)), "EnableMFADevice")

	t.Run("ListMFADevices", func(t *testing.T) {
		out, err := op.ListMFADevices(ctx(t), &iam.ListMFADevicesInput{UserName: aws.String("alice")})
		must(t, err, "ListMFADevices")
		if len(out.MFADevices) != 1 || str(out.MFADevices[0].SerialNumber) != serial || str(out.MFADevices[0].UserName) != "alice" ||
			out.MFADevices[0].EnableDate == nil || out.MFADevices[0].EnableDate.Sub(now).Abs() > time.Minute {
			t.Errorf("ListMFADevices(alice) = %+v, want the device enabled now", out.MFADevices)
		}
	})

	t.Run("ListVirtualMFADevices", func(t *testing.T) {
		_, err := op.CreateVirtualMFADevice(ctx(t), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")})
		must(t, err, "CreateVirtualMFADevice spare")
		list := func(status iamtypes.AssignmentStatusType) []iamtypes.VirtualMFADevice {
			t.Helper()
			out, err := op.ListVirtualMFADevices(ctx(t), &iam.ListVirtualMFADevicesInput{AssignmentStatus: status})
			must(t, err, "ListVirtualMFADevices")
			return out.VirtualMFADevices
		}
		serials := func(ds []iamtypes.VirtualMFADevice) []string {
			var out []string
			for _, d := range ds {
				out = append(out, str(d.SerialNumber))
				if d.Base32StringSeed != nil || d.QRCodePNG != nil {
					t.Errorf("ListVirtualMFADevices shows the secret of %s", str(d.SerialNumber))
				}
			}
			return out
		}
		spare := "arn:aws:iam::" + e.account + ":mfa/spare"
		if got := serials(list(iamtypes.AssignmentStatusTypeAny)); !slices.Equal(got, []string{serial, spare}) {
			t.Errorf("Any: %q", got)
		}
		if got := serials(list(iamtypes.AssignmentStatusTypeUnassigned)); !slices.Equal(got, []string{spare}) {
			t.Errorf("Unassigned: %q", got)
		}
		assigned := list(iamtypes.AssignmentStatusTypeAssigned)
		if got := serials(assigned); !slices.Equal(got, []string{serial}) || assigned[0].EnableDate == nil {
			t.Fatalf("Assigned: %q, want alice's device with its EnableDate", got)
		}
		// IAM names the user of an assigned device in a <User> element.
		if u := assigned[0].User; u == nil || str(u.UserName) != "alice" || str(u.Arn) != alice.arn {
			t.Errorf("ListVirtualMFADevices answers an assigned device without <User> (SDK sees User %+v): "+
				"iamapi writeMFADevices writes <UserName> for VirtualMFADevices, where IAM writes <User><UserName/><Arn/>…</User>", u)
		}
	})

	t.Run("a device in use", func(t *testing.T) {
		runErrorCases(t, []iamErrorCase{
			{"EnableMFADevice again", func(c context.Context) error { return enable(c, code(0), code(1)) }, 409, "EntityAlreadyExists"},
			{"DeleteVirtualMFADevice", func(c context.Context) error {
				return errOf(op.DeleteVirtualMFADevice(c, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
			}, 409, "DeleteConflict"},
		})
	})

	t.Run("the seed's codes prove MFA, each once", func(t *testing.T) {
		aliceSTS := e.stsClient(alice.access, alice.secret, "")
		gst := func(c context.Context, code string) error {
			return errOf(aliceSTS.GetSessionToken(c, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)}))
		}
		now := time.Now()
		must(t, gst(ctx(t), stsCode(t, seed, now)), "GetSessionToken with the code of now")
		runErrorCases(t, []iamErrorCase{
			{"the same code again", func(c context.Context) error { return gst(c, stsCode(t, seed, now)) }, 403, "AccessDenied"},
			{"an older step's code", func(c context.Context) error { return gst(c, stsCode(t, seed, now.Add(-stsStep))) }, 403, "AccessDenied"},
			{"a code EnableMFADevice used", func(c context.Context) error { return gst(c, code(-1)) }, 403, "AccessDenied"},
		})
	})

	t.Run("ResyncMFADevice", func(t *testing.T) {
		now := time.Now()
		wantAPIError(t, resync(ctx(t), stsWrongCode(t, seed, now), stsCode(t, seed, now)), 403, "InvalidAuthenticationCode")
		must(t, resync(ctx(t), stsCode(t, seed, now.Add(stsStep)), stsCode(t, seed, now.Add(2*stsStep))), "ResyncMFADevice")
		// The codes it was given are used.
		_, err := e.stsClient(alice.access, alice.secret, "").GetSessionToken(ctx(t), &sts.GetSessionTokenInput{
			SerialNumber: aws.String(serial), TokenCode: aws.String(stsCode(t, seed, now.Add(stsStep)))})
		wantAPIError(t, err, 403, "AccessDenied")
	})

	t.Run("DeactivateMFADevice then DeleteVirtualMFADevice", func(t *testing.T) {
		_, err := op.DeactivateMFADevice(ctx(t), &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
		must(t, err, "DeactivateMFADevice")
		out, err := op.ListMFADevices(ctx(t), &iam.ListMFADevicesInput{UserName: aws.String("alice")})
		if err != nil || len(out.MFADevices) != 0 {
			t.Errorf("ListMFADevices(alice) after DeactivateMFADevice = %+v, %v; want none", out, err)
		}
		_, err = op.DeactivateMFADevice(ctx(t), &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
		wantAPIError(t, err, 404, "NoSuchEntity")
		_, err = op.DeleteVirtualMFADevice(ctx(t), &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
		must(t, err, "DeleteVirtualMFADevice")
		_, err = op.DeleteVirtualMFADevice(ctx(t), &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
		wantAPIError(t, err, 404, "NoSuchEntity")
		left, err := op.ListVirtualMFADevices(ctx(t), &iam.ListVirtualMFADevicesInput{})
		must(t, err, "ListVirtualMFADevices")
		for _, d := range left.VirtualMFADevices {
			if str(d.SerialNumber) == serial {
				t.Errorf("ListVirtualMFADevices still lists the deleted device")
			}
		}
	})
}

// TestSTSSessionsRequireMFA is the acceptance of MFA-protected access: a
// bucket that a user's policy opens only with MFA.
func TestSTSSessionsRequireMFA(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	bucket := e.mkBucket(t, "vault")
	alice := e.newUser(t, "alice", policyDoc(`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::`+bucket+`","arn:aws:s3:::`+bucket+`/*"],`+
		`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`))
	aliceSTS := e.stsClient(alice.access, alice.secret, "")

	t.Run("long-term keys are denied", func(t *testing.T) {
		wantAPIError(t, tryPut(t, alice.s3, bucket, "k"), 403, "AccessDenied")
	})

	serial, seed := e.stsEnableMFA(t, "alice")
	code := stsCode(t, seed, time.Now())
	out, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	must(t, err, "GetSessionToken with MFA")
	mfa := e.stsSessionOf(t, out.Credentials)
	stsWantExpiry(t, "GetSessionToken's default session", mfa.expiration, 12*time.Hour)

	t.Run("a session with MFA is allowed", func(t *testing.T) {
		must(t, tryPut(t, mfa.s3, bucket, "secret"), "PutObject with MFA")
		if got := string(stsGet(t, mfa.s3, bucket, "secret")); got != "data of secret" {
			t.Errorf("GetObject with MFA = %q", got)
		}
		id, err := mfa.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		must(t, err, "GetCallerIdentity")
		if str(id.Arn) != alice.arn || str(id.UserId) != alice.id || str(id.Account) != e.account {
			t.Errorf("GetCallerIdentity = %s %s %s, want alice's ARN, ID and account", str(id.Arn), str(id.UserId), str(id.Account))
		}
	})
	t.Run("a code is good once", func(t *testing.T) {
		_, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
		wantAPIError(t, err, 403, "AccessDenied")
	})
	t.Run("a session without MFA is denied", func(t *testing.T) {
		out, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
		must(t, err, "GetSessionToken without MFA")
		plain := e.stsSessionOf(t, out.Credentials)
		stsWantExpiry(t, "a 900-second session", plain.expiration, 15*time.Minute)
		wantAPIError(t, tryPut(t, plain.s3, bucket, "k"), 403, "AccessDenied")
		wantAPIError(t, tryGet(t, plain.s3, bucket, "secret"), 403, "AccessDenied")
	})
	t.Run("a tampered session token", func(t *testing.T) {
		bad := e.stsTampered(mfa)
		wantAPIError(t, tryGet(t, bad.s3, bucket, "secret"), 400, "InvalidToken")
		wantAPIError(t, errOf(bad.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})), 403, "InvalidClientTokenId")
		wantAPIError(t, errOf(bad.iam.GetUser(ctx(t), &iam.GetUserInput{})), 403, "InvalidClientTokenId")
		// The key ID of the session, without its token, is no key.
		wantAPIError(t, tryGet(t, e.stsClients(mfa.access, mfa.secret, "").s3, bucket, "secret"), 403, "InvalidAccessKeyId")
	})
	t.Run("sessions cannot get session tokens", func(t *testing.T) {
		_, err := mfa.sts.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{})
		wantAPIError(t, err, 403, "AccessDenied")
	})
	t.Run("DurationSeconds out of range", func(t *testing.T) {
		for _, d := range []int32{899, 129601} {
			_, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(d)})
			wantAPIError(t, err, 400, "ValidationError")
		}
	})
}

// stsGet returns the body of an object.
func stsGet(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "GetObject "+key)
	return readAll(t, out.Body)
}

func TestSTSAssumeRole(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	bucket := e.mkBucket(t, "data")
	e.put(t, bucket, "public/a", []byte("public"))
	e.put(t, bucket, "private/b", []byte("private"))
	alice := e.newUser(t, "alice") // no policy: the trust policy names her
	bob := e.newUser(t, "bob")
	roleARN, roleID := e.stsRole(t, "reader", stsTrust(`{"AWS":"`+alice.arn+`"}`, ""), stsReadOnly)
	aliceSTS := e.stsClient(alice.access, alice.secret, "")

	out, err := aliceSTS.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	must(t, err, "AssumeRole")
	sessionARN := "arn:aws:sts::" + e.account + ":assumed-role/reader/s1"
	if u := out.AssumedRoleUser; u == nil || str(u.Arn) != sessionARN || str(u.AssumedRoleId) != roleID+":s1" {
		t.Errorf("AssumedRoleUser = %+v, want %s and %s:s1", u, sessionARN, roleID)
	}
	sess := e.stsSessionOf(t, out.Credentials)
	stsWantExpiry(t, "AssumeRole's default session", sess.expiration, time.Hour)

	t.Run("GetCallerIdentity", func(t *testing.T) {
		id, err := sess.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		must(t, err, "GetCallerIdentity")
		if str(id.Arn) != sessionARN || str(id.UserId) != roleID+":s1" || str(id.Account) != e.account {
			t.Errorf("GetCallerIdentity = %s %s %s, want %s %s:s1 %s", str(id.Arn), str(id.UserId), str(id.Account), sessionARN, roleID, e.account)
		}
	})
	t.Run("the role's permissions", func(t *testing.T) {
		if got := string(stsGet(t, sess.s3, bucket, "private/b")); got != "private" {
			t.Errorf("GetObject = %q", got)
		}
		_, err := sess.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		must(t, err, "ListObjectsV2 under AmazonS3ReadOnlyAccess")
		wantAPIError(t, tryPut(t, sess.s3, bucket, "new"), 403, "AccessDenied")
	})
	t.Run("a session policy limits them", func(t *testing.T) {
		out, err := aliceSTS.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("limited"),
			Policy: aws.String(policyDoc(statement("Allow", []string{"s3:GetObject", "s3:PutObject"}, "arn:aws:s3:::"+bucket+"/public/*")))})
		must(t, err, "AssumeRole with a session policy")
		limited := e.stsSessionOf(t, out.Credentials)
		if got := string(stsGet(t, limited.s3, bucket, "public/a")); got != "public" {
			t.Errorf("GetObject public/a = %q", got)
		}
		wantAPIError(t, tryGet(t, limited.s3, bucket, "private/b"), 403, "AccessDenied")
		// The session policy cannot grant what the role lacks.
		wantAPIError(t, tryPut(t, limited.s3, bucket, "public/new"), 403, "AccessDenied")
	})
	t.Run("refusals", func(t *testing.T) {
		assume := func(c context.Context, client *sts.Client, in *sts.AssumeRoleInput) error {
			return errOf(client.AssumeRole(c, in))
		}
		runErrorCases(t, []iamErrorCase{
			{"a user the trust policy does not name", func(c context.Context) error {
				return assume(c, e.stsClient(bob.access, bob.secret, ""), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
			}, 403, "AccessDenied"},
			{"DurationSeconds over the role's MaxSessionDuration", func(c context.Context) error {
				return assume(c, aliceSTS, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(3601)})
			}, 400, "ValidationError"},
			{"a role that does not exist", func(c context.Context) error {
				return assume(c, aliceSTS, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + e.account + ":role/absent"), RoleSessionName: aws.String("s1")})
			}, 403, "AccessDenied"},
			{"GetSessionToken with role credentials", func(c context.Context) error {
				return errOf(sess.sts.GetSessionToken(c, &sts.GetSessionTokenInput{}))
			}, 403, "AccessDenied"},
		})
	})

	t.Run("a role requiring MFA", func(t *testing.T) {
		guarded, _ := e.stsRole(t, "guarded", stsTrust(`{"AWS":"`+alice.arn+`"}`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), stsReadOnly)
		in := &sts.AssumeRoleInput{RoleArn: aws.String(guarded), RoleSessionName: aws.String("guarded")}
		wantAPIError(t, errOf(aliceSTS.AssumeRole(ctx(t), in)), 403, "AccessDenied")
		plain, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{})
		must(t, err, "GetSessionToken without MFA")
		wantAPIError(t, errOf(e.stsSessionOf(t, plain.Credentials).sts.AssumeRole(ctx(t), in)), 403, "AccessDenied")

		serial, seed := e.stsEnableMFA(t, "alice")
		withMFA, err := aliceSTS.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(stsCode(t, seed, time.Now()))})
		must(t, err, "GetSessionToken with MFA")
		out, err := e.stsSessionOf(t, withMFA.Credentials).sts.AssumeRole(ctx(t), in)
		must(t, err, "AssumeRole from a session with MFA")
		if got := string(stsGet(t, e.stsSessionOf(t, out.Credentials).s3, bucket, "public/a")); got != "public" {
			t.Errorf("GetObject as the guarded role = %q", got)
		}
	})

	t.Run("deleting the role revokes its sessions", func(t *testing.T) {
		_, err := e.operator.DetachRolePolicy(ctx(t), &iam.DetachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String(stsReadOnly)})
		must(t, err, "DetachRolePolicy")
		_, err = e.operator.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("reader")})
		must(t, err, "DeleteRole")
		wantAPIError(t, tryGet(t, sess.s3, bucket, "public/a"), 400, "InvalidToken")
		wantAPIError(t, errOf(sess.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})), 403, "InvalidClientTokenId")
	})
}

func TestSTSAssumeRoleAcrossAccounts(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	bucket := e.mkBucket(t, "shared")
	e.put(t, bucket, "report", []byte("numbers"))
	b := e.createAccount(t, "partner")
	bAdmin := e.newIAM(b.AccessKeyID, b.SecretAccessKey)
	roleARN, _ := e.stsRole(t, "partner", stsTrust(`{"AWS":"`+b.AccountID+`"}`, `{"StringEquals":{"sts:ExternalId":"ext-7"}}`), stsReadOnly)

	// Users of account B: dave may assume roles, carol may not.
	userOfB := func(name string, docs ...string) *sts.Client {
		t.Helper()
		_, err := bAdmin.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String(name)})
		must(t, err, "CreateUser "+name+" in account B")
		k, err := bAdmin.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		must(t, err, "CreateAccessKey "+name)
		for i, doc := range docs {
			_, err := bAdmin.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(fmt.Sprint("p", i)), PolicyDocument: aws.String(doc)})
			must(t, err, "PutUserPolicy "+name)
		}
		return e.stsClient(str(k.AccessKey.AccessKeyId), str(k.AccessKey.SecretAccessKey), "")
	}
	dave := userOfB("dave", policyDoc(statement("Allow", "sts:AssumeRole", roleARN)))
	carol := userOfB("carol")
	bRoot := e.stsClient(b.AccessKeyID, b.SecretAccessKey, "")

	tests := []struct {
		name       string
		caller     *sts.Client
		externalID string // "" sends none
		ok         bool
	}{
		{"no ExternalId", dave, "", false},
		{"a wrong ExternalId", dave, "ext-8", false},
		{"the right ExternalId, no identity policy allowing sts:AssumeRole", carol, "ext-7", false},
		{"the right ExternalId and an identity policy allowing it", dave, "ext-7", true},
		{"the named account's root", bRoot, "ext-7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("partner")}
			if tt.externalID != "" {
				in.ExternalId = aws.String(tt.externalID)
			}
			out, err := tt.caller.AssumeRole(ctx(t), in)
			if !tt.ok {
				wantAPIError(t, err, 403, "AccessDenied")
				return
			}
			must(t, err, "AssumeRole across accounts")
			sess := e.stsSessionOf(t, out.Credentials)
			id, err := sess.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			must(t, err, "GetCallerIdentity")
			if want := "arn:aws:sts::" + e.account + ":assumed-role/partner/partner"; str(id.Arn) != want || str(id.Account) != e.account {
				t.Errorf("GetCallerIdentity = %s in %s, want %s in the role's account", str(id.Arn), str(id.Account), want)
			}
			if got := string(stsGet(t, sess.s3, bucket, "report")); got != "numbers" {
				t.Errorf("GetObject in the role's account = %q", got)
			}
			wantAPIError(t, tryPut(t, sess.s3, bucket, "new"), 403, "AccessDenied")
		})
	}
}

func TestSTSRoles(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	alice := `{"AWS":"arn:aws:iam::` + e.account + `:user/alice"}`
	trust := stsTrust(alice, "")
	out, err := op.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("reader"), Path: aws.String("/app/"), Description: aws.String("reads"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
	must(t, err, "CreateRole")
	r := out.Role
	if str(r.Arn) != "arn:aws:iam::"+e.account+":role/app/reader" || !strings.HasPrefix(str(r.RoleId), "AROA") || str(r.Path) != "/app/" ||
		i32(r.MaxSessionDuration) != 7200 || r.CreateDate == nil || str(r.RoleName) != "reader" {
		t.Errorf("CreateRole = %+v", *r)
	}
	// IAM answers policy documents URL-encoded (RFC 3986).
	wantEncodedTrust := func(t *testing.T, what string, doc *string, want string) {
		t.Helper()
		if !strings.HasPrefix(str(doc), "%7B") {
			t.Errorf("%s AssumeRolePolicyDocument %.60q…, want it URL-encoded", what, str(doc))
		}
		sameJSON(t, what+" AssumeRolePolicyDocument", policyFromIAM(t, doc), want)
	}
	wantEncodedTrust(t, "CreateRole", r.AssumeRolePolicyDocument, trust)
	_, err = op.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(stsTrust(`{"AWS":"`+e.account+`"}`, ""))})
	must(t, err, "CreateRole ops")

	t.Run("GetRole", func(t *testing.T) {
		got, err := op.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("reader")})
		must(t, err, "GetRole")
		if str(got.Role.RoleId) != str(r.RoleId) || str(got.Role.Description) != "reads" || i32(got.Role.MaxSessionDuration) != 7200 {
			t.Errorf("GetRole = %+v", *got.Role)
		}
		wantEncodedTrust(t, "GetRole", got.Role.AssumeRolePolicyDocument, trust)
	})
	t.Run("ListRoles", func(t *testing.T) {
		names := func(in *iam.ListRolesInput) []string {
			t.Helper()
			out, err := op.ListRoles(ctx(t), in)
			must(t, err, "ListRoles")
			var ns []string
			for _, r := range out.Roles {
				ns = append(ns, str(r.RoleName))
				if str(r.RoleName) == "reader" {
					wantEncodedTrust(t, "ListRoles", r.AssumeRolePolicyDocument, trust)
				}
			}
			return ns
		}
		if got := names(&iam.ListRolesInput{}); !slices.Equal(got, []string{"ops", "reader"}) {
			t.Errorf("ListRoles = %q", got)
		}
		if got := names(&iam.ListRolesInput{PathPrefix: aws.String("/app/")}); !slices.Equal(got, []string{"reader"}) {
			t.Errorf("ListRoles(/app/) = %q", got)
		}
	})
	t.Run("UpdateAssumeRolePolicy", func(t *testing.T) {
		bob := stsTrust(`{"AWS":"arn:aws:iam::`+e.account+`:user/bob"}`, `{"StringEquals":{"sts:ExternalId":"x"}}`)
		_, err := op.UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ops"), PolicyDocument: aws.String(bob)})
		must(t, err, "UpdateAssumeRolePolicy")
		got, err := op.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("ops")})
		must(t, err, "GetRole ops")
		sameJSON(t, "the updated trust policy", policyFromIAM(t, got.Role.AssumeRolePolicyDocument), bob)
	})

	t.Run("errors", func(t *testing.T) {
		s3Trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + alice + `,"Action":"s3:GetObject"}]}`
		runErrorCases(t, []iamErrorCase{
			{"CreateRole of an existing name", func(c context.Context) error {
				return errOf(op.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("READER"), AssumeRolePolicyDocument: aws.String(trust)}))
			}, 409, "EntityAlreadyExists"},
			{"CreateRole with a trust policy allowing an S3 action", func(c context.Context) error {
				return errOf(op.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(s3Trust)}))
			}, 400, "MalformedPolicyDocument"},
			{"CreateRole with sessions under an hour", func(c context.Context) error {
				return errOf(op.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("short"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(3599)}))
			}, 400, "ValidationError"},
			{"GetRole of a missing role", func(c context.Context) error {
				return errOf(op.GetRole(c, &iam.GetRoleInput{RoleName: aws.String("absent")}))
			}, 404, "NoSuchEntity"},
			{"UpdateAssumeRolePolicy allowing an S3 action", func(c context.Context) error {
				return errOf(op.UpdateAssumeRolePolicy(c, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ops"), PolicyDocument: aws.String(s3Trust)}))
			}, 400, "MalformedPolicyDocument"},
			{"UpdateAssumeRolePolicy of a missing role", func(c context.Context) error {
				return errOf(op.UpdateAssumeRolePolicy(c, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("absent"), PolicyDocument: aws.String(trust)}))
			}, 404, "NoSuchEntity"},
			{"PutRolePolicy naming a principal", func(c context.Context) error {
				return errOf(op.PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)}))
			}, 400, "MalformedPolicyDocument"},
			{"GetRolePolicy of a missing policy", func(c context.Context) error {
				return errOf(op.GetRolePolicy(c, &iam.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("absent")}))
			}, 404, "NoSuchEntity"},
			{"AttachRolePolicy of a missing policy", func(c context.Context) error {
				return errOf(op.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")}))
			}, 404, "NoSuchEntity"},
			{"DeleteRole of a missing role", func(c context.Context) error {
				return errOf(op.DeleteRole(c, &iam.DeleteRoleInput{RoleName: aws.String("absent")}))
			}, 404, "NoSuchEntity"},
		})
	})

	t.Run("inline and attached policies", func(t *testing.T) {
		doc := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::reports/*"))
		_, err := op.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("reports"), PolicyDocument: aws.String(doc)})
		must(t, err, "PutRolePolicy")
		got, err := op.GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("reports")})
		must(t, err, "GetRolePolicy")
		if str(got.RoleName) != "reader" || str(got.PolicyName) != "reports" {
			t.Errorf("GetRolePolicy = %s/%s", str(got.RoleName), str(got.PolicyName))
		}
		sameJSON(t, "GetRolePolicy document", policyFromIAM(t, got.PolicyDocument), doc)
		list, err := op.ListRolePolicies(ctx(t), &iam.ListRolePoliciesInput{RoleName: aws.String("reader")})
		if err != nil || !slices.Equal(list.PolicyNames, []string{"reports"}) {
			t.Errorf("ListRolePolicies = %+v, %v", list, err)
		}

		_, err = op.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String(stsReadOnly)})
		must(t, err, "AttachRolePolicy")
		attached, err := op.ListAttachedRolePolicies(ctx(t), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("reader")})
		if err != nil || len(attached.AttachedPolicies) != 1 || str(attached.AttachedPolicies[0].PolicyArn) != stsReadOnly ||
			str(attached.AttachedPolicies[0].PolicyName) != "AmazonS3ReadOnlyAccess" {
			t.Errorf("ListAttachedRolePolicies = %+v, %v", attached, err)
		}

		del := func(c context.Context) error {
			return errOf(op.DeleteRole(c, &iam.DeleteRoleInput{RoleName: aws.String("reader")}))
		}
		wantAPIError(t, del(ctx(t)), 409, "DeleteConflict")
		_, err = op.DeleteRolePolicy(ctx(t), &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("reports")})
		must(t, err, "DeleteRolePolicy")
		wantAPIError(t, del(ctx(t)), 409, "DeleteConflict") // still attached
		_, err = op.DetachRolePolicy(ctx(t), &iam.DetachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String(stsReadOnly)})
		must(t, err, "DetachRolePolicy")
		if attached, err := op.ListAttachedRolePolicies(ctx(t), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("reader")}); err != nil || len(attached.AttachedPolicies) != 0 {
			t.Errorf("ListAttachedRolePolicies after the detach = %+v, %v", attached, err)
		}
		must(t, del(ctx(t)), "DeleteRole")
		wantAPIError(t, errOf(op.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("reader")})), 404, "NoSuchEntity")
	})
}
