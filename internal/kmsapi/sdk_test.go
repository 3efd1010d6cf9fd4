package kmsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-project/coffer/internal/kmsapi"
)

const (
	testAccessKey = "KMSTESTACCESSKEY0001"
	testSecretKey = "kms-test-secret-key-0123456789abcdefghij"
	testRegion    = "eu-west-1"
)

// testServer is an in-process coffer KMS on a loopback httptest server.
type testServer struct {
	srv *kmsapi.Server
	URL string
}

func startServer(t testing.TB, opts ...func(*kmsapi.ServerConfig)) *testServer {
	t.Helper()
	cfg := kmsapi.ServerConfig{
		DataDir:       t.TempDir(),
		Region:        testRegion,
		RootAccessKey: testAccessKey,
		RootSecretKey: testSecretKey,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := kmsapi.NewServer(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{srv: srv, URL: hs.URL}
}

// client returns an SDK client without retries, signing with secret.
func (s *testServer) client(secret string, optFns ...func(*kms.Options)) *kms.Client {
	return kms.New(kms.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		Retryer:      aws.NopRetryer{},
	}, optFns...)
}

// wantCode fails unless err is an AWS API error with the code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want API error %s", err, want)
	}
	if ae.ErrorCode() != want {
		t.Fatalf("got %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), want)
	}
}

// must(call(…))(t) returns the call's result, failing t on an error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestSDKOperations drives every implemented operation through
// aws-sdk-go-v2's KMS client, as an application would.
func TestSDKOperations(t *testing.T) {
	ts := startServer(t)
	c := ts.client(testSecretKey)
	ctx := t.Context()

	created := must(c.CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("first"),
		Tags:        []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("storage")}},
	}))(t)
	md := created.KeyMetadata
	keyID := aws.ToString(md.KeyId)
	if md.KeyState != types.KeyStateEnabled || !md.Enabled || md.KeySpec != types.KeySpecSymmetricDefault ||
		md.KeyUsage != types.KeyUsageTypeEncryptDecrypt || !strings.HasPrefix(aws.ToString(md.Arn), "arn:aws:kms:"+testRegion+":") ||
		md.CreationDate == nil || time.Since(*md.CreationDate) > time.Minute || aws.ToString(md.Description) != "first" {
		t.Fatalf("CreateKey metadata: %+v", md)
	}
	other := aws.ToString(must(c.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata.KeyId)

	t.Run("DescribeKey", func(t *testing.T) {
		for _, ref := range []string{keyID, aws.ToString(md.Arn)} {
			got := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)}))(t)
			if aws.ToString(got.KeyMetadata.KeyId) != keyID {
				t.Errorf("DescribeKey(%s) = %s", ref, aws.ToString(got.KeyMetadata.KeyId))
			}
		}
	})
	t.Run("ListKeys", func(t *testing.T) {
		seen := map[string]bool{}
		p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(1)})
		for p.HasMorePages() {
			for _, k := range must(p.NextPage(ctx))(t).Keys {
				seen[aws.ToString(k.KeyId)] = true
			}
		}
		if len(seen) != 2 || !seen[keyID] || !seen[other] {
			t.Errorf("ListKeys pages: %v", seen)
		}
	})
	t.Run("UpdateKeyDescription", func(t *testing.T) {
		must(c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: &keyID, Description: aws.String("second")}))(t)
		got := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &keyID}))(t)
		if aws.ToString(got.KeyMetadata.Description) != "second" {
			t.Errorf("description %q", aws.ToString(got.KeyMetadata.Description))
		}
	})
	t.Run("Aliases", func(t *testing.T) {
		must(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &keyID}))(t)
		_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &keyID})
		wantCode(t, err, "AlreadyExistsException")
		got := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/app")}))(t)
		if aws.ToString(got.KeyMetadata.KeyId) != keyID {
			t.Errorf("alias/app names %s", aws.ToString(got.KeyMetadata.KeyId))
		}
		must(c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &other}))(t)
		list := must(c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: &other}))(t)
		if len(list.Aliases) != 1 || aws.ToString(list.Aliases[0].AliasName) != "alias/app" ||
			aws.ToString(list.Aliases[0].TargetKeyId) != other || list.Aliases[0].CreationDate == nil {
			t.Errorf("ListAliases(other): %+v", list.Aliases)
		}
		must(c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")}))(t)
		_, err = c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")})
		wantCode(t, err, "NotFoundException")
		_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/s3"), TargetKeyId: &keyID})
		wantCode(t, err, "NotAuthorizedException")
		must(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/data"), TargetKeyId: &keyID}))(t)
	})
	t.Run("GenerateDataKey", func(t *testing.T) {
		ec := map[string]string{"bucket": "b", "key": "k"}
		dk := must(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("alias/data"), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec}))(t)
		if len(dk.Plaintext) != 32 || aws.ToString(dk.KeyId) != aws.ToString(md.Arn) {
			t.Fatalf("GenerateDataKey: %d plaintext bytes, key %s", len(dk.Plaintext), aws.ToString(dk.KeyId))
		}
		dec := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec}))(t)
		if !bytes.Equal(dec.Plaintext, dk.Plaintext) || dec.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
			t.Fatalf("Decrypt returned another data key")
		}
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: map[string]string{"bucket": "b", "key": "x"}})
		wantCode(t, err, "InvalidCiphertextException")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
		wantCode(t, err, "InvalidCiphertextException")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec, KeyId: &other})
		wantCode(t, err, "IncorrectKeyException")

		n := must(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, NumberOfBytes: aws.Int32(7)}))(t)
		if len(n.Plaintext) != 7 {
			t.Errorf("NumberOfBytes 7 gave %d bytes", len(n.Plaintext))
		}
		wo := must(c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes128}))(t)
		if wo.CiphertextBlob == nil {
			t.Fatal("GenerateDataKeyWithoutPlaintext returned no ciphertext")
		}
		if p := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wo.CiphertextBlob}))(t).Plaintext; len(p) != 16 {
			t.Errorf("AES_128 data key has %d bytes", len(p))
		}
		_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID})
		wantCode(t, err, "ValidationException")
	})
	t.Run("EncryptReEncrypt", func(t *testing.T) {
		plain := []byte("attack at dawn")
		enc := must(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: plain, EncryptionContext: map[string]string{"a": "1"}}))(t)
		re := must(c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: map[string]string{"a": "1"},
			DestinationKeyId: &other, DestinationEncryptionContext: map[string]string{"b": "2"}}))(t)
		if !strings.HasSuffix(aws.ToString(re.KeyId), other) || !strings.HasSuffix(aws.ToString(re.SourceKeyId), keyID) {
			t.Errorf("ReEncrypt keys: %s → %s", aws.ToString(re.SourceKeyId), aws.ToString(re.KeyId))
		}
		dec := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"b": "2"}}))(t)
		if !bytes.Equal(dec.Plaintext, plain) {
			t.Errorf("ReEncrypt then Decrypt: %q", dec.Plaintext)
		}
		_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: make([]byte, 4097)})
		wantCode(t, err, "ValidationException")
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("garbage, not a ciphertext blob at all")})
		wantCode(t, err, "InvalidCiphertextException")
	})
	t.Run("GenerateRandom", func(t *testing.T) {
		r := must(c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(64)}))(t)
		if len(r.Plaintext) != 64 {
			t.Errorf("GenerateRandom: %d bytes", len(r.Plaintext))
		}
		_, err := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1025)})
		wantCode(t, err, "ValidationException")
	})
	t.Run("Rotation", func(t *testing.T) {
		old := must(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("before rotation")}))(t)
		must(c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &keyID, RotationPeriodInDays: aws.Int32(90)}))(t)
		st := must(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &keyID}))(t)
		if !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != 90 || st.NextRotationDate == nil {
			t.Errorf("rotation status after enable: %+v", st)
		}
		must(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &keyID}))(t)
		rots := must(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &keyID}))(t)
		if len(rots.Rotations) != 1 || rots.Rotations[0].RotationType != types.RotationTypeOnDemand || rots.Rotations[0].RotationDate == nil {
			t.Errorf("ListKeyRotations: %+v", rots.Rotations)
		}
		if p := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: old.CiphertextBlob}))(t).Plaintext; string(p) != "before rotation" {
			t.Errorf("old ciphertext after rotation: %q", p)
		}
		must(c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: &keyID}))(t)
		if st := must(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &keyID}))(t); st.KeyRotationEnabled {
			t.Error("rotation still enabled after DisableKeyRotation")
		}
		_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &keyID, RotationPeriodInDays: aws.Int32(10)})
		wantCode(t, err, "ValidationException")
	})
	t.Run("TagsAndPolicy", func(t *testing.T) {
		must(c.TagResource(ctx, &kms.TagResourceInput{KeyId: &keyID, Tags: []types.Tag{
			{TagKey: aws.String("env"), TagValue: aws.String("prod")}, {TagKey: aws.String("team"), TagValue: aws.String("platform")},
		}}))(t)
		must(c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: &keyID, TagKeys: []string{"env"}}))(t)
		tags := must(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &keyID}))(t)
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "team" || aws.ToString(tags.Tags[0].TagValue) != "platform" {
			t.Errorf("ListResourceTags: %+v", tags.Tags)
		}
		_, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: &keyID, Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("y")}}})
		wantCode(t, err, "TagException")
		p := must(c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &keyID}))(t)
		if !strings.Contains(aws.ToString(p.Policy), `"kms:*"`) || aws.ToString(p.PolicyName) != "default" {
			t.Errorf("GetKeyPolicy: %+v", p)
		}
		names := must(c.ListKeyPolicies(ctx, &kms.ListKeyPoliciesInput{KeyId: &keyID}))(t)
		if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
			t.Errorf("ListKeyPolicies: %v", names.PolicyNames)
		}
		_, err = c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &keyID, PolicyName: aws.String("other")})
		wantCode(t, err, "NotFoundException")
	})
	t.Run("DisableEnable", func(t *testing.T) {
		must(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &keyID}))(t)
		_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
		wantCode(t, err, "DisabledException")
		if d := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &keyID}))(t); d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.Enabled {
			t.Errorf("after DisableKey: %s", d.KeyMetadata.KeyState)
		}
		must(c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &keyID}))(t)
		must(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")}))(t)
	})
	t.Run("ScheduleCancelDeletion", func(t *testing.T) {
		enc := must(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &other, Plaintext: []byte("x")}))(t)
		del := must(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &other, PendingWindowInDays: aws.Int32(7)}))(t)
		if del.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(del.PendingWindowInDays) != 7 ||
			del.DeletionDate == nil || time.Until(*del.DeletionDate) < 6*24*time.Hour {
			t.Errorf("ScheduleKeyDeletion: %+v", del)
		}
		d := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &other}))(t)
		if d.KeyMetadata.KeyState != types.KeyStatePendingDeletion || d.KeyMetadata.DeletionDate == nil {
			t.Errorf("DescribeKey of a key pending deletion: %+v", d.KeyMetadata)
		}
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
		wantCode(t, err, "KMSInvalidStateException")
		_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &other, KeySpec: types.DataKeySpecAes256})
		wantCode(t, err, "KMSInvalidStateException")
		_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &other})
		wantCode(t, err, "KMSInvalidStateException")
		must(c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: &other}))(t)
		must(c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &other}))(t)
		must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))(t)
		_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &other, PendingWindowInDays: aws.Int32(3)})
		wantCode(t, err, "ValidationException")
	})
	t.Run("NotFound", func(t *testing.T) {
		for _, ref := range []string{"11111111-2222-4333-8444-555555555555", "alias/missing"} {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
			wantCode(t, err, "NotFoundException")
		}
		_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/missing"), Plaintext: []byte("x")})
		wantCode(t, err, "NotFoundException")
	})
	t.Run("Unsupported", func(t *testing.T) {
		_, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
		wantCode(t, err, "UnsupportedOperationException")
	})
}

// TestSDKAuthentication checks the exceptions AWS KMS answers
// authentication failures with.
func TestSDKAuthentication(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		client *kms.Client
		want   string
	}{
		{"wrong secret key", ts.client("not-the-secret-key-at-all-0123456789"), "InvalidSignatureException"},
		{"unknown access key", kms.New(kms.Options{Region: testRegion, BaseEndpoint: aws.String(ts.URL), Retryer: aws.NopRetryer{},
			Credentials: credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000000", testSecretKey, "")}), "UnrecognizedClientException"},
		{"other region", ts.client(testSecretKey, func(o *kms.Options) { o.Region = "us-west-2" }), "InvalidSignatureException"},
		{"clock skew", ts.client(testSecretKey, func(o *kms.Options) {
			o.HTTPClient = skewedClient{offset: -time.Hour}
		}), "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.ListKeys(ctx, &kms.ListKeysInput{})
			wantCode(t, err, tt.want)
		})
	}
}

// skewedClient re-dates signed requests by offset, breaking their
// signature time window (the signature itself no longer matters).
type skewedClient struct{ offset time.Duration }

func (c skewedClient) Do(r *http.Request) (*http.Response, error) {
	if d, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date")); err == nil {
		r.Header.Set("X-Amz-Date", d.Add(c.offset).Format("20060102T150405Z"))
	}
	return http.DefaultClient.Do(r)
}

// TestProtocolErrors sends raw requests the SDK would never send.
func TestProtocolErrors(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		target string
		body   string
		want   string
	}{
		{"unknown operation", "TrentService.Frobnicate", `{}`, "UnknownOperationException"},
		{"other service", "DynamoDB_20120810.ListTables", `{}`, "UnknownOperationException"},
		{"malformed JSON", "TrentService.ListKeys", `{"Limit":`, "SerializationException"},
		{"wrong type", "TrentService.ListKeys", `{"Limit":"ten"}`, "SerializationException"},
		{"unknown field", "TrentService.DescribeKey", `{"KeyId":"x","Bogus":1}`, "SerializationException"},
		{"trailing data", "TrentService.ListKeys", `{} {}`, "SerializationException"},
		{"bad base64", "TrentService.Decrypt", `{"CiphertextBlob":"!!"}`, "SerializationException"},
		{"missing key id", "TrentService.DescribeKey", `{}`, "ValidationException"},
		{"recipient", "TrentService.GenerateRandom", `{"NumberOfBytes":8,"Recipient":{}}`, "UnsupportedOperationException"},
		{"dry run", "TrentService.Encrypt", `{"KeyId":"k","Plaintext":"eA==","DryRun":true}`, "UnsupportedOperationException"},
		{"body too large", "TrentService.ListKeys", `{"Marker":"` + strings.Repeat("a", kmsapi.MaxRequestBody) + `"}`, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := rawCall(t, ctx, ts.URL, tt.target, tt.body)
			if status != http.StatusBadRequest || typ != tt.want {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.want)
			}
		})
	}
	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Post(ts.URL+"/", "application/x-amz-json-1.1", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"MissingAuthenticationTokenException"`) {
			t.Errorf("unsigned request: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("health and metrics", func(t *testing.T) {
		for _, path := range []string{"/health/live", "/health/ready", "/metrics"} {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", path, resp.StatusCode)
			}
			if path == "/metrics" && !bytes.Contains(b, []byte(`coffer_kms_calls_total{operation="ListKeys",result="SerializationException"}`)) {
				t.Errorf("/metrics lacks the calls counter:\n%.2000s", b)
			}
		}
	})
}

// rawCall signs and sends one KMS call with an arbitrary target and body
// and returns the status and the error __type ("" on success).
func rawCall(t *testing.T, ctx context.Context, url, target, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "kms", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Type string `json:"__type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return resp.StatusCode, e.Type
}
