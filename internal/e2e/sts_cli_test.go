package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// stsCredentials are temporary credentials as `aws sts get-session-token`
// and `aws sts assume-role` print them.
type stsCredentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }

// stsSignedAs returns cli signing its requests with temporary credentials
// instead of the credentials it had.
func stsSignedAs(cli runner, c stsCredentials) runner {
	cli = signedAs(cli, iamKey{c.AccessKeyId, c.SecretAccessKey})
	cli.env = append(cli.env, "AWS_SESSION_TOKEN="+c.SessionToken)
	return cli
}

// stsTampered is c with one character of its session token changed.
func stsTampered(c stsCredentials) stsCredentials {
	b := []byte(c.SessionToken)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	c.SessionToken = string(b)
	return c
}

// stsWantCredentials checks the temporary credentials an STS command
// printed (the field Credentials of its JSON output, out): their shape,
// and that they expire in about d. It returns them.
func stsWantCredentials(t *testing.T, what, out string, d time.Duration) stsCredentials {
	t.Helper()
	var got struct{ Credentials stsCredentials }
	decodeJSON(t, out, &got)
	c := got.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "ASIA") || len(c.SecretAccessKey) != 40 || c.SessionToken == "" {
		t.Fatalf("%s printed credentials %+v, want an ASIA… key, a secret and a token", what, c)
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if want := time.Now().Add(d); err != nil || exp.Before(want.Add(-time.Minute)) || exp.After(want.Add(time.Minute)) {
		t.Errorf("%s printed credentials expiring %q (%v), want about %v from now", what, c.Expiration, err, d)
	}
	return c
}

// stsCallerIdentity is what `aws sts get-caller-identity` prints.
type stsCallerIdentity struct{ UserId, Account, Arn string }

// stsWhoAmI runs `aws sts get-caller-identity`.
func stsWhoAmI(t *testing.T, cli runner) stsCallerIdentity {
	t.Helper()
	var id stsCallerIdentity
	decodeJSON(t, cli.Run(t, "sts", "get-caller-identity"), &id)
	return id
}

// stsStep is the TOTP time step of virtual MFA devices (RFC 6238).
const stsStep = 30

// stsMFADevice is a virtual MFA device enabled for a user, and the newest
// time step whose code the test has used: the server accepts each step's
// code once, and none older than the last.
type stsMFADevice struct {
	serial, seed string
	last         int64
}

// stsEnableMFA has root create a virtual MFA device with the AWS CLI,
// which writes its Base32 seed to a file, and enable it for user with the
// codes of the two steps before now, so that the code of now proves MFA
// without waiting.
func stsEnableMFA(t *testing.T, root runner, user string) *stsMFADevice {
	t.Helper()
	seedFile := filepath.Join(t.TempDir(), "seed.txt")
	var out struct{ VirtualMFADevice struct{ SerialNumber string } }
	decodeJSON(t, root.Run(t, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", user+"-phone",
		"--outfile", seedFile, "--bootstrap-method", "Base32StringSeed"), &out)
	d := &stsMFADevice{serial: out.VirtualMFADevice.SerialNumber, seed: strings.TrimSpace(string(readFile(t, seedFile)))}
	if !strings.HasSuffix(d.serial, ":mfa/"+user+"-phone") || len(d.seed) < 26 {
		t.Fatalf("create-virtual-mfa-device %s-phone: serial %q, seed %q; want arn:aws:iam::<account>:mfa/%[1]s-phone and a Base32 seed", user, d.serial, d.seed)
	}
	now := time.Now().Unix() / stsStep
	root.Run(t, "iam", "enable-mfa-device", "--user-name", user, "--serial-number", d.serial,
		"--authentication-code1", d.codeOf(t, now-2), "--authentication-code2", d.codeOf(t, now-1))
	d.last = now - 1
	return d
}

// codeOf is the code an authenticator app holding the seed shows in step.
func (d *stsMFADevice) codeOf(t *testing.T, step int64) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(d.seed, time.Unix(step*stsStep, 0),
		totp.ValidateOpts{Period: stsStep, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("TOTP code of seed %q: %v", d.seed, err)
	}
	return code
}

// next returns the code of the first step not used yet that the server
// accepts now (it accepts the step after its clock's too), waiting for
// that step only when the codes of now and the next step are used.
func (d *stsMFADevice) next(t *testing.T) string {
	t.Helper()
	step := max(time.Now().Unix()/stsStep, d.last+1)
	if wait := time.Until(time.Unix((step-1)*stsStep, 0)); wait > 0 {
		t.Logf("waiting %v for the next TOTP step", wait.Round(time.Second))
		time.Sleep(wait)
	}
	d.last = step
	return d.codeOf(t, step)
}

// TestSTSAWSCLI drives STS, IAM roles and virtual MFA devices with the
// AWS CLI's sts and iam commands on one server, the MFA codes computed
// from the seed the CLI saved, as an authenticator app would. Each subtest
// is a scenario of its own buckets, users and roles:
//
//   - MFA-protected bucket: a user allowed a bucket only with
//     aws:MultiFactorAuthPresent is refused with long-term keys and
//     allowed with the credentials of `aws sts get-session-token
//     --serial-number --token-code`; a tampered session token and a reused
//     code are refused.
//   - role across accounts with ExternalId: a user of another account
//     assumes a role only with the trust policy's ExternalId and acts with
//     the role's permissions (AmazonS3ReadOnlyAccess) as the role's
//     session.
//   - role requiring MFA: a trust policy's aws:MultiFactorAuthPresent
//     condition refuses long-term keys and admits `aws sts assume-role
//     --serial-number --token-code`.
func TestSTSAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	need(t, "aws")

	t.Run("MFA-protected bucket", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://sts-vault")
		putText(t, root, "sts-vault", "ledger.txt", "the ledger")
		alice := newIAMUser(t, root, "alice")
		root.Run(t, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "vault-with-mfa", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::sts-vault","arn:aws:s3:::sts-vault/*"],`+
				`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`))
		local := filepath.Join(t.TempDir(), "upload.bin")
		writeRandomFile(t, local, 61, 32<<10)

		wantDenied(t, alice, "s3", "cp", "--no-progress", local, "s3://sts-vault/upload.bin")
		wantDenied(t, alice, "s3", "ls", "s3://sts-vault")

		phone := stsEnableMFA(t, root, "alice")
		code := phone.next(t)
		session := stsWantCredentials(t, "get-session-token with MFA",
			alice.Run(t, "sts", "get-session-token", "--serial-number", phone.serial, "--token-code", code), 12*time.Hour)
		mfa := stsSignedAs(alice, session)
		t.Run("a reused code", func(t *testing.T) {
			wantDenied(t, alice, "sts", "get-session-token", "--serial-number", phone.serial, "--token-code", code)
			// Refused for its reuse alone: the next unused code is good.
			stsWantCredentials(t, "get-session-token with a fresh code",
				alice.Run(t, "sts", "get-session-token", "--serial-number", phone.serial, "--token-code", phone.next(t)), 12*time.Hour)
		})
		mfa.Run(t, "s3", "cp", "--no-progress", local, "s3://sts-vault/upload.bin")
		if got := parseS3Ls(t, mfa.Run(t, "s3", "ls", "s3://sts-vault")); len(got) != 2 || got["upload.bin"] != 32<<10 || got["ledger.txt"] != 10 {
			t.Errorf("aws s3 ls with the MFA session: %v, want ledger.txt and upload.bin", got)
		}
		wantObject(t, mfa, "sts-vault", "ledger.txt", "the ledger")
		// The session is alice's, not a role's.
		if keys, sess := stsWhoAmI(t, alice), stsWhoAmI(t, mfa); sess != keys || !strings.HasSuffix(keys.Arn, ":user/alice") {
			t.Errorf("get-caller-identity with the MFA session: %+v, with alice's keys: %+v; want alice's for both", sess, keys)
		}

		t.Run("a session without MFA", func(t *testing.T) {
			plain := stsSignedAs(alice, stsWantCredentials(t, "get-session-token without MFA",
				alice.Run(t, "sts", "get-session-token", "--duration-seconds", "900"), 15*time.Minute))
			wantDenied(t, plain, "s3", "ls", "s3://sts-vault")
		})
		t.Run("a tampered session token", func(t *testing.T) {
			bad := stsSignedAs(alice, stsTampered(session))
			wantCLIError(t, bad, "InvalidToken", "s3", "ls", "s3://sts-vault")
			wantCLIError(t, bad, "InvalidClientTokenId", "sts", "get-caller-identity")
		})
	})

	t.Run("role across accounts with ExternalId", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		self := stsWhoAmI(t, root)
		if !accountID.MatchString(self.Account) || self.Arn != "arn:aws:iam::"+self.Account+":root" {
			t.Fatalf("get-caller-identity with the root's keys: %+v, want arn:aws:iam::<account>:root", self)
		}
		root.Run(t, "s3", "mb", "s3://sts-shared")
		putText(t, root, "sts-shared", "report.csv", "numbers")

		partner := createAccount(t, srv, "sts-partner")
		var role struct{ Role struct{ Arn, RoleId string } }
		decodeJSON(t, root.Run(t, "iam", "create-role", "--role-name", "partner-reader", "--assume-role-policy-document", iamPolicy(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+partner.AccountId+`:root"},"Action":"sts:AssumeRole",`+
				`"Condition":{"StringEquals":{"sts:ExternalId":"ext-7"}}}`)), &role)
		if want := "arn:aws:iam::" + self.Account + ":role/partner-reader"; role.Role.Arn != want || !strings.HasPrefix(role.Role.RoleId, "AROA") {
			t.Fatalf("create-role partner-reader: %+v, want Arn %s and an AROA… RoleId", role.Role, want)
		}
		root.Run(t, "iam", "attach-role-policy", "--role-name", "partner-reader", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")

		// In the partner's account, dave may assume the role.
		partnerRoot := signedAs(root, partner.iamKey)
		dave := newIAMUser(t, partnerRoot, "dave")
		partnerRoot.Run(t, "iam", "put-user-policy", "--user-name", "dave", "--policy-name", "assume", "--policy-document",
			iamPolicy(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role.Role.Arn+`"}`))
		wantDenied(t, dave, "s3api", "get-object", "--bucket", "sts-shared", "--key", "report.csv", filepath.Join(t.TempDir(), "x"))

		assume := []string{"sts", "assume-role", "--role-arn", role.Role.Arn, "--role-session-name", "dave-session"}
		wantDenied(t, dave, assume...)
		wantDenied(t, dave, append(assume, "--external-id", "ext-8")...)
		var out struct {
			AssumedRoleUser struct{ Arn, AssumedRoleId string }
		}
		stdout := dave.Run(t, append(assume, "--external-id", "ext-7")...)
		decodeJSON(t, stdout, &out)
		session := "arn:aws:sts::" + self.Account + ":assumed-role/partner-reader/dave-session"
		if u := out.AssumedRoleUser; u.Arn != session || u.AssumedRoleId != role.Role.RoleId+":dave-session" {
			t.Errorf("assume-role: AssumedRoleUser %+v, want %s and %s:dave-session", u, session, role.Role.RoleId)
		}
		reader := stsSignedAs(dave, stsWantCredentials(t, "assume-role", stdout, time.Hour))

		want := stsCallerIdentity{UserId: role.Role.RoleId + ":dave-session", Account: self.Account, Arn: session}
		if id := stsWhoAmI(t, reader); id != want {
			t.Errorf("get-caller-identity as the role: %+v, want %+v", id, want)
		}
		wantObject(t, reader, "sts-shared", "report.csv", "numbers")
		if got := parseS3Ls(t, reader.Run(t, "s3", "ls", "s3://sts-shared")); len(got) != 1 || got["report.csv"] != 7 {
			t.Errorf("aws s3 ls as the read-only role: %v, want report.csv", got)
		}
		wantDenied(t, reader, "s3api", "put-object", "--bucket", "sts-shared", "--key", "from-partner.csv")
		wantDenied(t, reader, "s3api", "delete-object", "--bucket", "sts-shared", "--key", "report.csv")
	})

	t.Run("role requiring MFA", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://sts-guarded")
		putText(t, root, "sts-guarded", "plans.txt", "the plans")
		erin := newIAMUser(t, root, "erin")
		erinARN := strings.TrimSuffix(stsWhoAmI(t, root).Arn, "root") + "user/erin"
		var role struct{ Role struct{ Arn string } }
		decodeJSON(t, root.Run(t, "iam", "create-role", "--role-name", "guarded", "--assume-role-policy-document", iamPolicy(
			`{"Effect":"Allow","Principal":{"AWS":"`+erinARN+`"},"Action":"sts:AssumeRole",`+
				`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)), &role)
		root.Run(t, "iam", "attach-role-policy", "--role-name", "guarded", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")

		assume := []string{"sts", "assume-role", "--role-arn", role.Role.Arn, "--role-session-name", "erin-mfa"}
		wantDenied(t, erin, assume...)

		phone := stsEnableMFA(t, root, "erin")
		guarded := stsSignedAs(erin, stsWantCredentials(t, "assume-role with MFA",
			erin.Run(t, append(assume, "--serial-number", phone.serial, "--token-code", phone.next(t))...), time.Hour))
		if id := stsWhoAmI(t, guarded); !strings.HasSuffix(id.Arn, ":assumed-role/guarded/erin-mfa") {
			t.Errorf("get-caller-identity as the guarded role: %+v, want its assumed-role ARN", id)
		}
		wantObject(t, guarded, "sts-guarded", "plans.txt", "the plans")
		wantDenied(t, guarded, "s3api", "put-object", "--bucket", "sts-guarded", "--key", "plans.txt")
	})
}
