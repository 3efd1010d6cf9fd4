package kms

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/policy"
)

func rootOf(account string) policy.Principal {
	return policy.Principal{Type: policy.PrincipalRoot, Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account}
}

func user(account, name string) policy.Principal {
	return policy.Principal{Type: policy.PrincipalUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/" + name, Username: name}
}

func TestDefaultKeyPolicyIsAWSs(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	doc, err := f.s.GetKeyPolicy(context.Background(), m.KeyID, "default")
	wantErr(t, err, nil)
	var got any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	var want any
	_ = json.Unmarshal([]byte(`{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",
		"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("default policy = %s", doc)
	}
	names, err := f.s.ListKeyPolicies(context.Background(), m.Arn)
	wantErr(t, err, nil)
	if !reflect.DeepEqual(names, []string{"default"}) {
		t.Fatalf("ListKeyPolicies = %v", names)
	}
}

func TestPutKeyPolicy(t *testing.T) {
	const valid = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	const lockout = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:Decrypt","Resource":"*"}]}`
	f := newFixture(t)
	m := f.createKey(t)
	admin := rootOf("111122223333")
	tests := []struct {
		name string
		in   PutKeyPolicyInput
		want error
	}{
		{"valid", PutKeyPolicyInput{Policy: valid, Caller: admin}, nil},
		{"named default", PutKeyPolicyInput{PolicyName: "default", Policy: valid, Caller: admin}, nil},
		{"other policy name", PutKeyPolicyInput{PolicyName: "other", Policy: valid, Caller: admin}, ErrNotFound},
		{"not JSON", PutKeyPolicyInput{Policy: `{"Statement":`, Caller: admin}, ErrMalformedPolicy},
		{"no statement", PutKeyPolicyInput{Policy: `{"Version":"2012-10-17"}`, Caller: admin}, ErrMalformedPolicy},
		{"no principal", PutKeyPolicyInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, Caller: admin}, ErrMalformedPolicy},
		{"unknown operator", PutKeyPolicyInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
			"Condition":{"StringEqualsMaybe":{"kms:CallerAccount":"111122223333"}}}]}`, Caller: admin}, ErrMalformedPolicy},
		{"unknown field", PutKeyPolicyInput{Policy: `{"Version":"2012-10-17","Statment":[]}`, Caller: admin}, ErrMalformedPolicy},
		{"over 32 KiB", PutKeyPolicyInput{Policy: valid[:len(valid)-2] + `,"Sid":"` + strings.Repeat("x", MaxPolicySize) + `"}]}`, Caller: admin}, ErrMalformedPolicy},
		{"locks the caller out", PutKeyPolicyInput{Policy: lockout, Caller: admin}, ErrMalformedPolicy},
		{"lockout check bypassed", PutKeyPolicyInput{Policy: lockout, Caller: admin, BypassPolicyLockoutSafetyCheck: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.KeyID = m.KeyID
			wantErr(t, f.s.PutKeyPolicy(context.Background(), tt.in), tt.want)
		})
	}
	doc, err := f.s.GetKeyPolicy(context.Background(), m.KeyID, "")
	wantErr(t, err, nil)
	if doc != lockout {
		t.Fatalf("policy after the last successful put = %s", doc)
	}
	_, err = f.s.GetKeyPolicy(context.Background(), m.KeyID, "other")
	wantErr(t, err, ErrNotFound)
	_, err = f.s.ListKeyPolicies(context.Background(), "alias/none")
	wantErr(t, err, ErrNotFound)
}

func TestCreateKeyLockoutCheck(t *testing.T) {
	const bobOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:*","Resource":"*"}]}`
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := user(account, "alice"), user(account, "bob")
	tests := []struct {
		name string
		in   CreateKeyInput
		want error
	}{
		{"no caller: no check", CreateKeyInput{Policy: bobOnly}, nil},
		{"caller named by the policy", CreateKeyInput{Policy: bobOnly, Caller: &bob}, nil},
		{"caller locked out", CreateKeyInput{Policy: bobOnly, Caller: &alice, CallerPolicies: []*policy.Policy{AdministratorPolicy()}}, ErrMalformedPolicy},
		{"caller locked out, check bypassed", CreateKeyInput{Policy: bobOnly, Caller: &alice, BypassPolicyLockoutSafetyCheck: true}, nil},
		{"default policy and an administrator", CreateKeyInput{Caller: &alice, CallerPolicies: []*policy.Policy{AdministratorPolicy()}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateKey(ctx, tt.in)
			wantErr(t, err, tt.want)
		})
	}
}
