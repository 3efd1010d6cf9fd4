package iam_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/policy"
)

// STS: session tokens (GetSessionToken, AssumeRole), what they carry and
// how they are refused, and the decisions made for their holders.

// stsPrincipal is the principal of a new access key of user ("" for the
// account's root user).
func stsPrincipal(t *testing.T, e *env, account, user string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	if user != "" {
		if _, err := e.svc.GetUser(ctx, account, user); iam.ErrorCode(err) == iam.CodeNoSuchEntity {
			_, err := e.svc.CreateUser(ctx, account, user, "", nil)
			must(t, err)
		}
	}
	key, _, err := e.svc.CreateAccessKey(ctx, account, user)
	must(t, err)
	cred, err := e.creds.Lookup(ctx, key.AccessKeyID)
	must(t, err)
	return cred.Principal
}

// stsLookup opens temporary credentials as the server does for a request
// that carries them.
func stsLookup(t *testing.T, e *env, c iam.TempCredentials) auth.Principal {
	t.Helper()
	cred, err := e.creds.LookupSession(context.Background(), c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatalf("LookupSession: %v", err)
	}
	if cred.AccessKeyID != c.AccessKeyID || cred.SecretKey != c.SecretAccessKey {
		t.Errorf("LookupSession = key %s, secret %q; want %s and the secret issued", cred.AccessKeyID, cred.SecretKey, c.AccessKeyID)
	}
	return cred.Principal
}

// stsAllowed decides action on resource for p as the S3 layer does: its
// identity policies (a user's, or an assumed role's), its session policy
// as a boundary, and the MFA keys of its session as of the clock.
func stsAllowed(t *testing.T, e *env, p auth.Principal, action, resource string) bool {
	t.Helper()
	ps, err := e.svc.IdentityPolicies(context.Background(), p)
	must(t, err)
	sets := []policy.Set{{Kind: policy.KindIdentity, Policies: ps}}
	if b := e.svc.SessionBoundary(p); b != nil {
		sets = append(sets, policy.Set{Kind: policy.KindBoundary, Policies: []*policy.Policy{b}})
	}
	keys := map[string][]string{}
	iam.MFAKeys(keys, p, e.clock.Now())
	return policy.Evaluate(policy.Request{Principal: iam.PolicyPrincipal(p), Action: action, Resource: resource, Context: keys}, sets...).Allowed()
}

func TestGetSessionToken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	alice, err := e.svc.GetUser(ctx, testAccountID, "alice")
	must(t, err)
	root := stsPrincipal(t, e, testAccountID, "")
	now := e.clock.Now()

	t.Run("durations", func(t *testing.T) {
		tests := []struct {
			name     string
			caller   auth.Principal
			duration int
			want     time.Duration // 0: refused with ValidationError
		}{
			{"a user's default: 12 hours", u.principal, 0, 12 * time.Hour},
			{"the minimum: 15 minutes", u.principal, 900, 15 * time.Minute},
			{"a user's maximum: 36 hours", u.principal, 129600, 36 * time.Hour},
			{"under the minimum", u.principal, 899, 0},
			{"over a user's maximum", u.principal, 129601, 0},
			{"the root user's default: 1 hour", root, 0, time.Hour},
			{"over the root user's maximum", root, 3601, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := e.svc.GetSessionToken(ctx, tt.caller, tt.duration, "", "")
				if tt.want == 0 {
					wantCode(t, err, iam.CodeValidation)
					return
				}
				must(t, err)
				if !c.Expiration.Equal(now.Add(tt.want)) {
					t.Errorf("Expiration %v, want %v", c.Expiration, now.Add(tt.want))
				}
			})
		}
	})

	t.Run("without MFA", func(t *testing.T) {
		c, err := e.svc.GetSessionToken(ctx, u.principal, 0, "", "")
		must(t, err)
		if !strings.HasPrefix(c.AccessKeyID, "ASIA") || len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 ||
			!strings.HasPrefix(c.SessionToken, "CFR1") || c.AccessKeyID == u.principal.AccessKeyID {
			t.Errorf("GetSessionToken = %+v, want an ASIA… key, a 40-character secret and a CFR1… token", c)
		}
		got := stsLookup(t, e, c)
		want := auth.Principal{AccountID: testAccountID, AccessKeyID: c.AccessKeyID, UserName: "alice", UserID: alice.ID,
			ARN: "arn:aws:iam::" + testAccountID + ":user/alice"}
		if got.Session == nil || !got.Session.Expires.Equal(c.Expiration) || !got.Session.MFATime.IsZero() || got.Session.RoleARN != "" {
			t.Errorf("session %+v, want one expiring at %v without MFA", got.Session, c.Expiration)
		}
		got.Session = nil
		if got != want {
			t.Errorf("principal %+v, want %+v", got, want)
		}
		other, err := e.svc.GetSessionToken(ctx, u.principal, 0, "", "")
		must(t, err)
		if other.AccessKeyID == c.AccessKeyID || other.SecretAccessKey == c.SecretAccessKey || other.SessionToken == c.SessionToken {
			t.Error("two sessions share a key, secret or token")
		}
	})

	t.Run("with MFA", func(t *testing.T) {
		code := u.code(t, now)
		c, err := e.svc.GetSessionToken(ctx, u.principal, 900, u.serial, code)
		must(t, err)
		if got := stsLookup(t, e, c); got.Session == nil || !got.Session.MFATime.Equal(now) || got.UserName != "alice" {
			t.Errorf("principal %+v, session %+v; want alice with MFA at %v", got, got.Session, now)
		}
		_, err = e.svc.GetSessionToken(ctx, u.principal, 900, u.serial, code)
		wantCode(t, err, iam.CodeAccessDenied) // a code is good once
	})

	t.Run("errors", func(t *testing.T) {
		next := u.code(t, now.Add(mfaStep))
		bob := newMFAUser(t, e, "bob")
		session, err := e.svc.GetSessionToken(ctx, u.principal, 0, "", "")
		must(t, err)
		tests := []struct {
			name         string
			caller       auth.Principal
			serial, code string
			want         string
		}{
			{"a serial number without a code", u.principal, u.serial, "", iam.CodeValidation},
			{"a code without a serial number", u.principal, "", next, iam.CodeValidation},
			{"another user's device", u.principal, bob.serial, bob.code(t, now), iam.CodeAccessDenied},
			{"an unknown device", u.principal, "arn:aws:iam::" + testAccountID + ":mfa/none", next, iam.CodeAccessDenied},
			{"a wrong code", u.principal, u.serial, mfaWrongCode(t, u.seed, now), iam.CodeAccessDenied},
			{"session credentials", stsLookup(t, e, session), "", "", iam.CodeAccessDenied},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.GetSessionToken(ctx, tt.caller, 0, tt.serial, tt.code)
				wantCode(t, err, tt.want)
			})
		}
		// None of them used up alice's next code.
		if _, err := e.svc.GetSessionToken(ctx, u.principal, 0, u.serial, next); err != nil {
			t.Errorf("GetSessionToken with the next code: %v", err)
		}
	})
}

// stsTamper changes the character at i of a token.
func stsTamper(token string, i int) string {
	b := []byte(token)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestLookupSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p := stsPrincipal(t, e, testAccountID, "alice")
	c, err := e.svc.GetSessionToken(ctx, p, 900, "", "")
	must(t, err)
	other, err := e.svc.GetSessionToken(ctx, p, 900, "", "")
	must(t, err)
	raw := strings.TrimPrefix(c.SessionToken, "CFR1")
	otherSealer, err := iam.NewKeySealer([]byte(strings.Repeat("k", 32)))
	must(t, err)
	otherServer := &iam.Credentials{IAM: &iam.Service{Store: e.store, Sealer: otherSealer, Now: e.clock.Now}}

	tests := []struct {
		name       string
		creds      *iam.Credentials
		key, token string
	}{
		{"a character flipped", e.creds, c.AccessKeyID, stsTamper(c.SessionToken, len(c.SessionToken)/2)},
		{"the first sealed character flipped", e.creds, c.AccessKeyID, stsTamper(c.SessionToken, 4)},
		{"another format version", e.creds, c.AccessKeyID, "CFR2" + raw},
		{"no version prefix", e.creds, c.AccessKeyID, raw},
		{"not base64url", e.creds, c.AccessKeyID, "CFR1" + raw[:20] + "+/=" + raw[23:]},
		{"truncated", e.creds, c.AccessKeyID, c.SessionToken[:len(c.SessionToken)-8]},
		{"another session's token", e.creds, c.AccessKeyID, other.SessionToken},
		{"sealed under another server's key", otherServer, c.AccessKeyID, c.SessionToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.creds.LookupSession(ctx, tt.key, tt.token)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("LookupSession = %v, want ErrInvalidToken", err)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(899 * time.Second)
		if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, c.SessionToken); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, c.SessionToken); !errors.Is(err, auth.ErrExpiredToken) {
			t.Errorf("at expiry: %v, want ErrExpiredToken", err)
		}
		// A tampered expired token is invalid, not expired: nothing in it
		// can be believed.
		if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, stsTamper(c.SessionToken, len(c.SessionToken)/2)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("a tampered expired token: %v, want ErrInvalidToken", err)
		}
	})
}

// TestSessionOfDeletedUser: deleting a user revokes its sessions, and a
// new user of the same name does not get them.
func TestSessionOfDeletedUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p := stsPrincipal(t, e, testAccountID, "alice")
	c, err := e.svc.GetSessionToken(ctx, p, 0, "", "")
	must(t, err)
	must(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", p.AccessKeyID))
	// The session outlives the key it was issued to, as on AWS.
	stsLookup(t, e, c)
	must(t, e.svc.DeleteUser(ctx, testAccountID, "alice"))
	if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, c.SessionToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("the session of a deleted user: %v, want ErrInvalidToken", err)
	}
	_, err = e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, c.SessionToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("the session of a deleted user, another alice created: %v, want ErrInvalidToken", err)
	}
}

// TestSessionSignsRequests: the verifier finds temporary credentials
// through X-Amz-Security-Token, and refuses a tampered or expired token.
func TestSessionSignsRequests(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p := stsPrincipal(t, e, testAccountID, "alice")
	c, err := e.svc.GetSessionToken(ctx, p, 900, "", "")
	must(t, err)
	verifier := &auth.Verifier{Creds: e.creds, Now: e.clock.Now}
	verify := func(token string) (*auth.Result, error) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://s3.test.local/bucket/key", nil)
		must(t, err)
		req.Header.Set("X-Amz-Content-Sha256", auth.PayloadUnsigned)
		creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: token}
		must(t, v4.NewSigner().SignHTTP(ctx, creds, req, auth.PayloadUnsigned, "s3", "us-east-1", e.clock.Now()))
		return verifier.Verify(req)
	}

	res, err := verify(c.SessionToken)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Principal.UserName != "alice" || res.Principal.AccessKeyID != c.AccessKeyID || res.Principal.Session == nil {
		t.Errorf("principal %+v, want alice's session", res.Principal)
	}
	if _, err := verify(stsTamper(c.SessionToken, len(c.SessionToken)/2)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a tampered token: %v, want ErrInvalidToken", err)
	}
	e.clock.Advance(15 * time.Minute)
	if _, err := verify(c.SessionToken); !errors.Is(err, auth.ErrExpiredToken) {
		t.Errorf("an expired token: %v, want ErrExpiredToken", err)
	}
}

// TestMFAConditionKeys: aws:MultiFactorAuthPresent and
// aws:MultiFactorAuthAge come from the session, as of the request.
func TestMFAConditionKeys(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "fresh-mfa", `{"Version":"2012-10-17","Statement":[{
		"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::vault/*",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`))
	start := e.clock.Now()
	plain, err := e.svc.GetSessionToken(ctx, u.principal, 0, "", "")
	must(t, err)
	mfa, err := e.svc.GetSessionToken(ctx, u.principal, 0, u.serial, u.code(t, start))
	must(t, err)

	keys := func(p auth.Principal) map[string][]string {
		c := map[string][]string{}
		iam.MFAKeys(c, p, e.clock.Now())
		return c
	}
	if got := keys(u.principal); strings.Join(got["aws:multifactorauthpresent"], ",") != "false" || got["aws:multifactorauthage"] != nil {
		t.Errorf("MFA keys of long-term keys = %v, want present false and no age", got)
	}
	if got := keys(stsLookup(t, e, plain)); strings.Join(got["aws:multifactorauthpresent"], ",") != "false" || got["aws:multifactorauthage"] != nil {
		t.Errorf("MFA keys of a session without MFA = %v, want present false and no age", got)
	}

	tests := []struct {
		name    string
		after   time.Duration        // since MFA was proved
		session *iam.TempCredentials // nil for the long-term keys
		want    bool
	}{
		{"long-term keys", 0, nil, false},
		{"a session without MFA", 0, &plain, false},
		{"a session with MFA just proved", 0, &mfa, true},
		{"a session with MFA 59:59 old", time.Hour - time.Second, &mfa, true},
		{"a session with MFA an hour old", time.Hour, &mfa, false},
		{"a session with MFA two hours old", 2 * time.Hour, &mfa, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(start.Add(tt.after).Sub(e.clock.Now()))
			p := u.principal
			if tt.session != nil {
				p = stsLookup(t, e, *tt.session) // still valid: sessions last 12 hours
			}
			if got, want := keys(p)["aws:multifactorauthage"], strconv.Itoa(int(tt.after.Seconds())); tt.want && strings.Join(got, ",") != want {
				t.Errorf("aws:MultiFactorAuthAge = %v, want %s", got, want)
			}
			if got := stsAllowed(t, e, p, "s3:PutObject", "arn:aws:s3:::vault/k"); got != tt.want {
				t.Errorf("PutObject allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

// roleTrust is a trust policy allowing actions (sts:AssumeRole when none)
// to principal, a Principal element's JSON, under condition, a Condition
// element's JSON ("" for none).
func roleTrust(principal, condition string, actions ...string) string {
	action := `"sts:AssumeRole"`
	if len(actions) > 0 {
		action = `["` + strings.Join(actions, `","`) + `"]`
	}
	st := `{"Effect":"Allow","Principal":` + principal + `,"Action":` + action
	if condition != "" {
		st += `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[` + st + `}]}`
}

// roleARN is the ARN of a role at / in the test account.
func roleARN(name string) string { return "arn:aws:iam::" + testAccountID + ":role/" + name }

func TestAssumeRole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := stsPrincipal(t, e, testAccountID, "alice")
	bob := stsPrincipal(t, e, testAccountID, "bob")
	carol := stsPrincipal(t, e, testAccountID, "carol")
	root := stsPrincipal(t, e, testAccountID, "")
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "carol", "assume", allowDoc("sts:AssumeRole", roleARN("*"))))
	reader, err := e.svc.CreateRole(ctx, testAccountID, "reader", "", "", roleTrust(`{"AWS":"`+alice.ARN+`"}`, ""), 0, nil)
	must(t, err)
	_, err = e.svc.CreateRole(ctx, testAccountID, "delegated", "", "", roleTrust(`{"AWS":"`+testAccountID+`"}`, ""), 0, nil)
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
	now := e.clock.Now()

	out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1"})
	must(t, err)
	if want := "arn:aws:sts::" + testAccountID + ":assumed-role/reader/s1"; out.ARN != want || out.ID != reader.ID+":s1" {
		t.Errorf("AssumeRole = %s %s, want %s %s:s1", out.ARN, out.ID, want, reader.ID)
	}
	if c := out.Credentials; !strings.HasPrefix(c.AccessKeyID, "ASIA") || !c.Expiration.Equal(now.Add(time.Hour)) {
		t.Errorf("credentials %+v, want an ASIA… key expiring in an hour", c)
	}
	session := stsLookup(t, e, out.Credentials)
	want := auth.Principal{AccountID: testAccountID, AccessKeyID: out.Credentials.AccessKeyID, UserID: reader.ID + ":s1", ARN: out.ARN,
		Session: &auth.Session{Expires: now.Add(time.Hour), RoleARN: roleARN("reader"), RoleID: reader.ID, RoleName: "reader", Name: "s1"}}
	if session.Session == nil || *session.Session != *want.Session {
		t.Errorf("session %+v, want %+v", session.Session, want.Session)
	}
	got := session
	got.Session, want.Session = nil, nil
	if got != want {
		t.Errorf("principal %+v, want %+v", got, want)
	}

	t.Run("the role's permissions", func(t *testing.T) {
		if !stsAllowed(t, e, stsLookup(t, e, out.Credentials), "s3:GetObject", "arn:aws:s3:::b/k") {
			t.Error("GetObject refused to a session of a role with AmazonS3ReadOnlyAccess")
		}
		if stsAllowed(t, e, stsLookup(t, e, out.Credentials), "s3:PutObject", "arn:aws:s3:::b/k") {
			t.Error("PutObject allowed to a session of a role with AmazonS3ReadOnlyAccess")
		}
		if p := iam.PolicyPrincipal(session); p.Type != policy.PrincipalAssumedRole || p.RoleARN != roleARN("reader") {
			t.Errorf("policy principal %+v, want the assumed role", p)
		}
	})

	t.Run("who may assume", func(t *testing.T) {
		tests := []struct {
			name   string
			caller auth.Principal
			role   string
			ok     bool
		}{
			{"a user the trust policy names", alice, "reader", true},
			{"a user it does not name", bob, "reader", false},
			{"a user it does not name, allowed by its own policy", carol, "reader", false},
			{"the account's root, not named", root, "reader", false},
			{"a user of the account it names, without a policy allowing it", alice, "delegated", false},
			{"a user of the account it names, with a policy allowing it", carol, "delegated", true},
			{"the root of the account it names", root, "delegated", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.AssumeRole(ctx, tt.caller, iam.AssumeRoleInput{RoleARN: roleARN(tt.role), SessionName: "s1"})
				if tt.ok {
					must(t, err)
				} else {
					wantCode(t, err, iam.CodeAccessDenied)
				}
			})
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			in   iam.AssumeRoleInput
			code string
		}{
			{"a session name of one character", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s"}, iam.CodeValidation},
			{"a session name with a space", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "my session"}, iam.CodeValidation},
			{"a session name of 65 characters", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: strings.Repeat("s", 65)}, iam.CodeValidation},
			{"a malformed role ARN", iam.AssumeRoleInput{RoleARN: "reader", SessionName: "s1"}, iam.CodeValidation},
			{"a missing role", iam.AssumeRoleInput{RoleARN: roleARN("absent"), SessionName: "s1"}, iam.CodeAccessDenied},
			{"the role under another path", iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + testAccountID + ":role/x/reader", SessionName: "s1"}, iam.CodeAccessDenied},
			{"a role of an unknown account", iam.AssumeRoleInput{RoleARN: "arn:aws:iam::999999999999:role/reader", SessionName: "s1"}, iam.CodeAccessDenied},
			{"a duration under 15 minutes", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1", Duration: 899}, iam.CodeValidation},
			{"a duration over the role's maximum", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1", Duration: 3601}, iam.CodeValidation},
			{"a malformed session policy", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1", Policy: `{"Statement":`}, iam.CodeMalformedPolicy},
			{"a session policy naming a principal", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1",
				Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`}, iam.CodeMalformedPolicy},
			{"an invalid source identity", iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1", SourceIdentity: "a b"}, iam.CodeValidation},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.AssumeRole(ctx, alice, tt.in)
				wantCode(t, err, tt.code)
			})
		}
	})

	t.Run("durations", func(t *testing.T) {
		_, err := e.svc.CreateRole(ctx, testAccountID, "long", "", "", roleTrust(`{"AWS":"`+alice.ARN+`"}`, ""), 43200, nil)
		must(t, err)
		for _, d := range []int{900, 3600, 43200} {
			out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("long"), SessionName: "s1", Duration: d})
			must(t, err)
			if want := now.Add(time.Duration(d) * time.Second); !out.Credentials.Expiration.Equal(want) {
				t.Errorf("DurationSeconds %d: expiration %v, want %v", d, out.Credentials.Expiration, want)
			}
		}
		_, err = e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("long"), SessionName: "s1", Duration: 43201})
		wantCode(t, err, iam.CodeValidation)
	})

	t.Run("role chaining is limited to an hour", func(t *testing.T) {
		_, err := e.svc.CreateRole(ctx, testAccountID, "next", "", "", roleTrust(`{"AWS":"`+roleARN("reader")+`"}`, ""), 43200, nil)
		must(t, err)
		_, err = e.svc.AssumeRole(ctx, session, iam.AssumeRoleInput{RoleARN: roleARN("next"), SessionName: "s2", Duration: 3601})
		wantCode(t, err, iam.CodeValidation)
		chained, err := e.svc.AssumeRole(ctx, session, iam.AssumeRoleInput{RoleARN: roleARN("next"), SessionName: "s2"})
		must(t, err)
		if !chained.Credentials.Expiration.Equal(now.Add(time.Hour)) || chained.ARN != "arn:aws:sts::"+testAccountID+":assumed-role/next/s2" {
			t.Errorf("chained AssumeRole = %s expiring %v, want next/s2 in an hour", chained.ARN, chained.Credentials.Expiration)
		}
	})

	t.Run("sessions cannot get session tokens", func(t *testing.T) {
		_, err := e.svc.GetSessionToken(ctx, session, 0, "", "")
		wantCode(t, err, iam.CodeAccessDenied)
	})
}

func TestAssumeRoleSessionPolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := stsPrincipal(t, e, testAccountID, "alice")
	_, err := e.svc.CreateRole(ctx, testAccountID, "rw", "", "", roleTrust(`{"AWS":"`+alice.ARN+`"}`, ""), 0, nil)
	must(t, err)
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "rw", "rw", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/*"}]}`))
	assume := func(sessionPolicy string) auth.Principal {
		t.Helper()
		out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("rw"), SessionName: "s1", Policy: sessionPolicy})
		must(t, err)
		return stsLookup(t, e, out.Credentials)
	}
	full := assume("")
	limited := assume(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/public/*"}]}`)
	if full.Session.Policy != "" || limited.Session.Policy == "" {
		t.Errorf("session policies %q and %q, want none and the one given", full.Session.Policy, limited.Session.Policy)
	}
	tests := []struct {
		name, action, resource string
		full, limited          bool
	}{
		{"a read the session policy allows", "s3:GetObject", "arn:aws:s3:::data/public/a", true, true},
		{"a read elsewhere", "s3:GetObject", "arn:aws:s3:::data/private/a", true, false},
		{"a write", "s3:PutObject", "arn:aws:s3:::data/public/a", true, false},
		{"what only the session policy allows", "s3:DeleteObject", "arn:aws:s3:::data/public/a", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stsAllowed(t, e, full, tt.action, tt.resource); got != tt.full {
				t.Errorf("without a session policy: allowed %v, want %v", got, tt.full)
			}
			if got := stsAllowed(t, e, limited, tt.action, tt.resource); got != tt.limited {
				t.Errorf("with the session policy: allowed %v, want %v", got, tt.limited)
			}
		})
	}
}

func TestAssumeRoleExternalIDAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	b, err := e.svc.CreateAccount(ctx, "partner")
	must(t, err)
	bRootCred, err := e.creds.Lookup(ctx, b.AccessKeyID)
	must(t, err)
	bRoot := bRootCred.Principal
	carol := stsPrincipal(t, e, b.ID, "carol") // no policy
	dave := stsPrincipal(t, e, b.ID, "dave")
	must(t, e.svc.PutInlinePolicy(ctx, b.ID, iam.KindUser, "dave", "assume", allowDoc("sts:AssumeRole", roleARN("partner"))))
	alice := stsPrincipal(t, e, testAccountID, "alice")
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "assume", allowDoc("sts:AssumeRole", "*")))
	_, err = e.svc.CreateRole(ctx, testAccountID, "partner", "", "",
		roleTrust(`{"AWS":"`+b.ID+`"}`, `{"StringEquals":{"sts:ExternalId":"ext-7"}}`), 0, nil)
	must(t, err)
	_, err = e.svc.CreateRole(ctx, testAccountID, "named", "", "", roleTrust(`{"AWS":"`+carol.ARN+`"}`, ""), 0, nil)
	must(t, err)

	tests := []struct {
		name       string
		caller     auth.Principal
		role       string
		externalID string
		ok         bool
	}{
		{"the right external ID, allowed by its own policy", dave, "partner", "ext-7", true},
		{"no external ID", dave, "partner", "", false},
		{"a wrong external ID", dave, "partner", "ext-8", false},
		{"an external ID differing in case", dave, "partner", "EXT-7", false},
		{"the right external ID, no policy of its own", carol, "partner", "ext-7", false},
		{"the named account's root", bRoot, "partner", "ext-7", true},
		{"a user of the role's own account", alice, "partner", "ext-7", false},
		{"named directly, no policy of its own", carol, "named", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.svc.AssumeRole(ctx, tt.caller, iam.AssumeRoleInput{RoleARN: roleARN(tt.role), SessionName: "partner-session", ExternalID: tt.externalID})
			if !tt.ok {
				wantCode(t, err, iam.CodeAccessDenied)
				return
			}
			must(t, err)
			// The session acts in the role's account.
			if p := stsLookup(t, e, out.Credentials); p.AccountID != testAccountID || p.ARN != "arn:aws:sts::"+testAccountID+":assumed-role/"+tt.role+"/partner-session" {
				t.Errorf("session principal %+v, want the role's in %s", p, testAccountID)
			}
		})
	}
}

func TestAssumeRoleRequiringMFA(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := newMFAUser(t, e, "alice")
	_, err := e.svc.CreateRole(ctx, testAccountID, "admin", "", "",
		roleTrust(`{"AWS":"`+u.principal.ARN+`"}`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 0, nil)
	must(t, err)
	now := e.clock.Now()
	assume := func(caller auth.Principal, serial, code string) (iam.AssumedRole, error) {
		return e.svc.AssumeRole(ctx, caller, iam.AssumeRoleInput{RoleARN: roleARN("admin"), SessionName: "admin", SerialNumber: serial, TokenCode: code})
	}

	_, err = assume(u.principal, "", "")
	wantCode(t, err, iam.CodeAccessDenied)
	plain, err := e.svc.GetSessionToken(ctx, u.principal, 0, "", "")
	must(t, err)
	_, err = assume(stsLookup(t, e, plain), "", "")
	wantCode(t, err, iam.CodeAccessDenied)

	t.Run("from a session with MFA", func(t *testing.T) {
		mfa, err := e.svc.GetSessionToken(ctx, u.principal, 0, u.serial, u.code(t, now))
		must(t, err)
		out, err := assume(stsLookup(t, e, mfa), "", "")
		must(t, err)
		// The role session carries the MFA of the session it came from.
		if p := stsLookup(t, e, out.Credentials); p.Session == nil || !p.Session.MFATime.Equal(now) {
			t.Errorf("role session %+v, want MFA at %v", p.Session, now)
		}
	})
	t.Run("with a code in the call", func(t *testing.T) {
		code := u.code(t, now.Add(mfaStep))
		out, err := assume(u.principal, u.serial, code)
		must(t, err)
		if p := stsLookup(t, e, out.Credentials); p.Session == nil || !p.Session.MFATime.Equal(now) {
			t.Errorf("role session %+v, want MFA at %v", p.Session, now)
		}
		_, err = assume(u.principal, u.serial, code)
		wantCode(t, err, iam.CodeAccessDenied) // used
	})
}

func TestAssumeRoleSourceIdentity(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := stsPrincipal(t, e, testAccountID, "alice")
	_, err := e.svc.CreateRole(ctx, testAccountID, "first", "", "",
		roleTrust(`{"AWS":"`+alice.ARN+`"}`, "", "sts:AssumeRole", "sts:SetSourceIdentity"), 0, nil)
	must(t, err)
	_, err = e.svc.CreateRole(ctx, testAccountID, "second", "", "",
		roleTrust(`{"AWS":"`+roleARN("first")+`"}`, "", "sts:AssumeRole", "sts:SetSourceIdentity"), 0, nil)
	must(t, err)
	_, err = e.svc.CreateRole(ctx, testAccountID, "plain", "", "", roleTrust(`{"AWS":"`+alice.ARN+`"}`, ""), 0, nil)
	must(t, err)

	out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("first"), SessionName: "s1", SourceIdentity: "alice@example.com"})
	must(t, err)
	first := stsLookup(t, e, out.Credentials)
	if out.SourceIdentity != "alice@example.com" || first.Session.SourceIdentity != "alice@example.com" {
		t.Errorf("SourceIdentity %q, session's %q; want alice@example.com", out.SourceIdentity, first.Session.SourceIdentity)
	}

	t.Run("kept through role chaining", func(t *testing.T) {
		out, err := e.svc.AssumeRole(ctx, first, iam.AssumeRoleInput{RoleARN: roleARN("second"), SessionName: "s2"})
		must(t, err)
		if p := stsLookup(t, e, out.Credentials); out.SourceIdentity != "alice@example.com" || p.Session.SourceIdentity != "alice@example.com" {
			t.Errorf("chained SourceIdentity %q, session's %q; want alice@example.com", out.SourceIdentity, p.Session.SourceIdentity)
		}
	})

	// "The value that is set cannot be changed during the role session"
	// (IAM User Guide, "Monitor and control actions taken with assumed
	// roles").
	t.Run("cannot be changed through role chaining", func(t *testing.T) {
		out, err := e.svc.AssumeRole(ctx, first, iam.AssumeRoleInput{RoleARN: roleARN("second"), SessionName: "s2", SourceIdentity: "mallory"})
		if iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Errorf("a session with SourceIdentity alice@example.com assumed a role with SourceIdentity mallory: "+
				"got SourceIdentity %q, error %v; want AccessDenied", out.SourceIdentity, err)
		}
	})

	// Setting a source identity needs sts:SetSourceIdentity in the trust
	// policy (IAM User Guide, "Permissions required to set source
	// identity").
	t.Run("needs sts:SetSourceIdentity", func(t *testing.T) {
		out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("plain"), SessionName: "s1", SourceIdentity: "alice"})
		if iam.ErrorCode(err) != iam.CodeAccessDenied {
			t.Errorf("AssumeRole with SourceIdentity of a role whose trust policy allows only sts:AssumeRole: "+
				"got SourceIdentity %q, error %v; want AccessDenied", out.SourceIdentity, err)
		}
	})
}

// TestDeleteRoleRevokesSessions: a role's sessions end with it, and a new
// role of the same name does not get them.
func TestDeleteRoleRevokesSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := stsPrincipal(t, e, testAccountID, "alice")
	trust := roleTrust(`{"AWS":"`+alice.ARN+`"}`, "")
	_, err := e.svc.CreateRole(ctx, testAccountID, "reader", "", "", trust, 0, nil)
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
	out, err := e.svc.AssumeRole(ctx, alice, iam.AssumeRoleInput{RoleARN: roleARN("reader"), SessionName: "s1"})
	must(t, err)
	stsLookup(t, e, out.Credentials)

	must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
	must(t, e.svc.DeleteRole(ctx, testAccountID, "reader"))
	if _, err := e.creds.LookupSession(ctx, out.Credentials.AccessKeyID, out.Credentials.SessionToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a session of a deleted role: %v, want ErrInvalidToken", err)
	}
	_, err = e.svc.CreateRole(ctx, testAccountID, "reader", "", "", trust, 0, nil)
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
	if _, err := e.creds.LookupSession(ctx, out.Credentials.AccessKeyID, out.Credentials.SessionToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a session of a deleted role, another reader created: %v, want ErrInvalidToken", err)
	}
}
