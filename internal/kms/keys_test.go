package kms

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCreateKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		name string
		in   CreateKeyInput
		want error
	}{
		{"defaults", CreateKeyInput{}, nil},
		{"explicit symmetric", CreateKeyInput{KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS"}, nil},
		{"with policy and tags", CreateKeyInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}`, Tags: []Tag{{"env", "prod"}, {"team", ""}}}, nil},
		{"asymmetric spec unsupported", CreateKeyInput{KeySpec: "RSA_2048"}, ErrUnsupportedOp},
		{"unknown spec", CreateKeyInput{KeySpec: "AES_512"}, ErrValidation},
		{"sign usage unsupported", CreateKeyInput{KeyUsage: "SIGN_VERIFY"}, ErrUnsupportedOp},
		{"unknown usage", CreateKeyInput{KeyUsage: "WHATEVER"}, ErrValidation},
		{"external origin unsupported", CreateKeyInput{Origin: "EXTERNAL"}, ErrUnsupportedOp},
		{"description too long", CreateKeyInput{Description: strings.Repeat("d", MaxDescriptionLen+1)}, ErrValidation},
		{"policy not JSON", CreateKeyInput{Policy: "{"}, ErrMalformedPolicy},
		{"policy without statement", CreateKeyInput{Policy: `{"Version":"2012-10-17"}`}, ErrMalformedPolicy},
		{"policy too large", CreateKeyInput{Policy: `{"Statement":[],"x":"` + strings.Repeat("x", MaxPolicySize) + `"}`}, ErrMalformedPolicy},
		{"duplicate tag", CreateKeyInput{Tags: []Tag{{"a", "1"}, {"a", "2"}}}, ErrTag},
		{"empty tag key", CreateKeyInput{Tags: []Tag{{"", "1"}}}, ErrTag},
		{"reserved tag key", CreateKeyInput{Tags: []Tag{{"aws:x", "1"}}}, ErrTag},
		{"too many tags", CreateKeyInput{Tags: manyTags(MaxTags + 1)}, ErrTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := f.s.CreateKey(ctx, tt.in)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if _, ok := parseKeyID(m.KeyID); !ok {
				t.Errorf("KeyID %q is not a UUID", m.KeyID)
			}
			if want := "arn:aws:kms:eu-west-1:111122223333:key/" + m.KeyID; m.Arn != want {
				t.Errorf("Arn = %q, want %q", m.Arn, want)
			}
			if m.KeyState != KeyStateEnabled || !m.Enabled || m.KeySpec != "SYMMETRIC_DEFAULT" || m.KeyUsage != "ENCRYPT_DECRYPT" ||
				m.Origin != "AWS_KMS" || m.KeyManager != "CUSTOMER" || !m.CreationDate.Equal(testEpoch) || m.AWSAccountID != "111122223333" {
				t.Errorf("metadata = %+v", m)
			}
			d, err := f.s.DescribeKey(ctx, m.KeyID)
			wantErr(t, err, nil)
			if d.Arn != m.Arn || d.Description != tt.in.Description {
				t.Errorf("DescribeKey = %+v, want %+v", d, m)
			}
			p, err := f.s.KeyPolicy(ctx, m.Arn)
			wantErr(t, err, nil)
			if tt.in.Policy != "" && p != tt.in.Policy || tt.in.Policy == "" && !strings.Contains(p, `"arn:aws:iam::111122223333:root"`) {
				t.Errorf("policy = %s", p)
			}
			tags, err := f.s.KeyTags(ctx, m.KeyID)
			wantErr(t, err, nil)
			if len(tags) != len(tt.in.Tags) {
				t.Errorf("tags = %v, want %v", tags, tt.in.Tags)
			}
		})
	}
}

func manyTags(n int) []Tag {
	tags := make([]Tag, n)
	for i := range tags {
		tags[i] = Tag{TagKey: fmt.Sprint("k", i)}
	}
	return tags
}

func TestKeyResolution(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	if err := f.s.CreateAlias(ctx, "alias/app", k.KeyID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ref  string
		want error // for DescribeKey; EnableKey accepts ids and key ARNs only
		// aliasOnly: DescribeKey resolves it, EnableKey must not.
		aliasOnly bool
	}{
		{"key id", k.KeyID, nil, false},
		{"key id upper case", strings.ToUpper(k.KeyID), nil, false},
		{"key ARN", k.Arn, nil, false},
		{"alias name", "alias/app", nil, true},
		{"alias ARN", "arn:aws:kms:eu-west-1:111122223333:alias/app", nil, true},
		{"empty", "", ErrValidation, false},
		{"unknown id", "11111111-2222-4333-8444-555555555555", ErrNotFound, false},
		{"malformed id", "not-a-key", ErrNotFound, false},
		{"unknown alias", "alias/nope", ErrNotFound, false},
		{"ARN of another region", strings.Replace(k.Arn, "eu-west-1", "us-east-1", 1), ErrNotFound, false},
		{"ARN of another account", strings.Replace(k.Arn, "111122223333", "999999999999", 1), ErrNotFound, false},
		{"alias ARN of another account", "arn:aws:kms:eu-west-1:999999999999:alias/app", ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := f.s.DescribeKey(ctx, tt.ref)
			wantErr(t, err, tt.want)
			if err == nil && m.KeyID != k.KeyID {
				t.Fatalf("resolved to %s, want %s", m.KeyID, k.KeyID)
			}
			err = f.s.EnableKey(ctx, tt.ref)
			if tt.aliasOnly {
				wantErr(t, err, ErrNotFound)
			} else {
				wantErr(t, err, tt.want)
			}
		})
	}
}

func TestKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op   string
		arg  int
		want error
		// state after the step, if the step succeeded
		state KeyState
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"disable then enable", []step{
			{"disable", 0, nil, KeyStateDisabled},
			{"disable", 0, nil, KeyStateDisabled},
			{"enable", 0, nil, KeyStateEnabled},
		}},
		{"schedule deletion then cancel leaves it disabled", []step{
			{"schedule", 7, nil, KeyStatePendingDeletion},
			{"schedule", 7, ErrInvalidState, ""},
			{"enable", 0, ErrInvalidState, ""},
			{"disable", 0, ErrInvalidState, ""},
			{"describe-update", 0, ErrInvalidState, ""},
			{"cancel", 0, nil, KeyStateDisabled},
			{"cancel", 0, ErrInvalidState, ""},
			{"enable", 0, nil, KeyStateEnabled},
		}},
		{"deletion window bounds", []step{
			{"schedule", 6, ErrValidation, ""},
			{"schedule", 31, ErrValidation, ""},
			{"schedule", -1, ErrValidation, ""},
			{"schedule", 30, nil, KeyStatePendingDeletion},
		}},
		{"disabled key can be scheduled", []step{
			{"disable", 0, nil, KeyStateDisabled},
			{"schedule", 0, nil, KeyStatePendingDeletion},
		}},
		{"update description", []step{
			{"describe-update", 0, nil, KeyStateEnabled},
			{"describe-update-long", 0, ErrValidation, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			k := f.createKey(t)
			for i, st := range tt.steps {
				var err error
				switch st.op {
				case "enable":
					err = f.s.EnableKey(ctx, k.KeyID)
				case "disable":
					err = f.s.DisableKey(ctx, k.Arn)
				case "schedule":
					var out ScheduleKeyDeletionOutput
					out, err = f.s.ScheduleKeyDeletion(ctx, k.KeyID, st.arg)
					days := st.arg
					if days == 0 {
						days = 30
					}
					if err == nil && (out.KeyState != KeyStatePendingDeletion || out.PendingWindowInDays != days || out.KeyID != k.Arn ||
						!out.DeletionDate.Equal(testEpoch.Add(time.Duration(days)*24*time.Hour))) {
						t.Fatalf("step %d: ScheduleKeyDeletion = %+v", i, out)
					}
				case "cancel":
					var arn string
					arn, err = f.s.CancelKeyDeletion(ctx, k.KeyID)
					if err == nil && arn != k.Arn {
						t.Fatalf("step %d: CancelKeyDeletion = %q", i, arn)
					}
				case "describe-update":
					err = f.s.UpdateKeyDescription(ctx, k.KeyID, "new description")
				case "describe-update-long":
					err = f.s.UpdateKeyDescription(ctx, k.KeyID, strings.Repeat("x", MaxDescriptionLen+1))
				}
				if (err == nil) != (st.want == nil) {
					t.Fatalf("step %d %s(%d): err = %v, want %v", i, st.op, st.arg, err, st.want)
				}
				wantErr(t, err, st.want)
				if err != nil {
					continue
				}
				m, err := f.s.DescribeKey(ctx, k.KeyID)
				wantErr(t, err, nil)
				if m.KeyState != st.state || m.Enabled != (st.state == KeyStateEnabled) {
					t.Fatalf("step %d %s: state %s, want %s", i, st.op, m.KeyState, st.state)
				}
				if st.op == "describe-update" && m.Description != "new description" {
					t.Fatalf("description = %q", m.Description)
				}
				if (m.KeyState == KeyStatePendingDeletion) != !m.DeletionDate.IsZero() {
					t.Fatalf("step %d: DeletionDate %v in state %s", i, m.DeletionDate, m.KeyState)
				}
			}
		})
	}
}

func TestDeleteDueKeys(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k7, k30, keep := f.createKey(t), f.createKey(t), f.createKey(t)
	for _, k := range []KeyMetadata{k7, k30} {
		if err := f.s.CreateAlias(ctx, "alias/"+k.KeyID, k.KeyID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.ScheduleKeyDeletion(ctx, k7.KeyID, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ScheduleKeyDeletion(ctx, k30.KeyID, 30); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"before any window ends", testEpoch.Add(7*day - time.Nanosecond), nil},
		{"at the end of the 7-day window", testEpoch.Add(7 * day), []string{k7.KeyID}},
		{"nothing left until day 30", testEpoch.Add(29 * day), nil},
		{"after 30 days", testEpoch.Add(31 * day), []string{k30.KeyID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.s.DeleteDueKeys(ctx, tt.at)
			wantErr(t, err, nil)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("DeleteDueKeys = %v, want %v", got, tt.want)
			}
			for _, id := range got {
				_, err := f.s.DescribeKey(ctx, id)
				wantErr(t, err, ErrNotFound)
				_, err = f.s.DescribeKey(ctx, "alias/"+id)
				wantErr(t, err, ErrNotFound)
			}
		})
	}
	if _, err := f.s.DescribeKey(ctx, keep.KeyID); err != nil {
		t.Fatal(err)
	}
}

func TestListKeysPaging(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	want := map[string]bool{}
	for range 7 {
		want[f.createKey(t).KeyID] = true
	}
	got := map[string]bool{}
	marker, pages := "", 0
	for {
		out, err := f.s.ListKeys(ctx, 3, marker)
		wantErr(t, err, nil)
		pages++
		for _, k := range out.Keys {
			if got[k.KeyID] || !strings.HasSuffix(k.KeyArn, k.KeyID) {
				t.Fatalf("bad or repeated entry %+v", k)
			}
			got[k.KeyID] = true
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if len(got) != len(want) || pages != 3 {
		t.Fatalf("listed %d keys in %d pages, want %d in 3", len(got), pages, len(want))
	}
	for _, tt := range []struct {
		name   string
		limit  int
		marker string
		want   error
	}{
		{"limit too big", 1001, "", ErrValidation},
		{"negative limit", -1, "", ErrValidation},
		{"bad marker", 10, "!!!", ErrInvalidMarker},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.ListKeys(ctx, tt.limit, tt.marker)
			wantErr(t, err, tt.want)
		})
	}
}

func TestAliases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k1, k2, gone := f.createKey(t), f.createKey(t), f.createKey(t)
	if _, err := f.s.ScheduleKeyDeletion(ctx, gone.KeyID, 7); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		op     string // create, update, delete
		alias  string
		target string
		want   error
	}{
		{"create", "create", "alias/app", k1.KeyID, nil},
		{"create by key ARN", "create", "alias/team/app_2-x", k1.Arn, nil},
		{"create existing", "create", "alias/app", k2.KeyID, ErrAlreadyExists},
		{"create reserved", "create", "alias/aws/s3", k1.KeyID, ErrNotAuthorized},
		{"create reserved any case", "create", "alias/AWS/s3", k1.KeyID, ErrNotAuthorized},
		{"create without prefix", "create", "app", k1.KeyID, ErrValidation},
		{"create empty name", "create", "alias/", k1.KeyID, ErrValidation},
		{"create bad characters", "create", "alias/a b", k1.KeyID, ErrValidation},
		{"create too long", "create", "alias/" + strings.Repeat("a", 251), k1.KeyID, ErrValidation},
		{"create for unknown key", "create", "alias/x", "11111111-2222-4333-8444-555555555555", ErrNotFound},
		{"create targeting an alias", "create", "alias/x", "alias/app", ErrNotFound},
		{"create for key pending deletion", "create", "alias/x", gone.KeyID, ErrInvalidState},
		{"update", "update", "alias/app", k2.KeyID, nil},
		{"update missing", "update", "alias/missing", k2.KeyID, ErrNotFound},
		{"update to key pending deletion", "update", "alias/app", gone.KeyID, ErrInvalidState},
		{"update reserved", "update", "alias/aws/s3", k2.KeyID, ErrNotAuthorized},
		{"delete", "delete", "alias/team/app_2-x", "", nil},
		{"delete again", "delete", "alias/team/app_2-x", "", ErrNotFound},
		{"delete reserved", "delete", "alias/aws/s3", "", ErrNotAuthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			switch tt.op {
			case "create":
				err = f.s.CreateAlias(ctx, tt.alias, tt.target)
			case "update":
				err = f.s.UpdateAlias(ctx, tt.alias, tt.target)
			case "delete":
				err = f.s.DeleteAlias(ctx, tt.alias)
			}
			wantErr(t, err, tt.want)
		})
	}
	m, err := f.s.DescribeKey(ctx, "alias/app")
	wantErr(t, err, nil)
	if m.KeyID != k2.KeyID {
		t.Fatalf("alias/app → %s, want %s after UpdateAlias", m.KeyID, k2.KeyID)
	}

	f.clock.Advance(time.Hour)
	for _, name := range []string{"alias/b", "alias/c", "alias/d"} {
		if err := f.s.CreateAlias(ctx, name, k1.KeyID); err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.s.ListAliases(ctx, "", 0, "")
	wantErr(t, err, nil)
	var names []string
	for _, a := range all.Aliases {
		names = append(names, a.AliasName)
		if a.AliasArn != "arn:aws:kms:eu-west-1:111122223333:"+a.AliasName {
			t.Errorf("AliasArn = %s", a.AliasArn)
		}
	}
	if got := strings.Join(names, ","); got != "alias/app,alias/b,alias/c,alias/d" || all.Truncated {
		t.Fatalf("ListAliases = %s (truncated %v)", got, all.Truncated)
	}
	if a := all.Aliases[0]; !a.CreationDate.Equal(testEpoch) || a.TargetKeyID != k2.KeyID {
		t.Errorf("alias/app entry = %+v", a)
	}
	page, err := f.s.ListAliases(ctx, k1.Arn, 2, "")
	wantErr(t, err, nil)
	if len(page.Aliases) != 2 || !page.Truncated || page.Aliases[0].AliasName != "alias/b" {
		t.Fatalf("first page for k1 = %+v", page)
	}
	page, err = f.s.ListAliases(ctx, k1.KeyID, 2, page.NextMarker)
	wantErr(t, err, nil)
	if len(page.Aliases) != 1 || page.Truncated || page.Aliases[0].AliasName != "alias/d" {
		t.Fatalf("second page for k1 = %+v", page)
	}
	_, err = f.s.ListAliases(ctx, "11111111-2222-4333-8444-555555555555", 0, "")
	wantErr(t, err, ErrNotFound)
	_, err = f.s.ListAliases(ctx, "", 101, "")
	wantErr(t, err, ErrValidation)
}
