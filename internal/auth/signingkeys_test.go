package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSigningKeyKnownAnswer checks the derivation against AWS's documented
// example (IAM, us-east-1, 2012-02-15).
func TestSigningKeyKnownAnswer(t *testing.T) {
	scope := credentialScope{date: "20120215", region: "us-east-1", service: "iam"}
	k := signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope)
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got := hex.EncodeToString(k[:]); got != want {
		t.Fatalf("signing key %s, want %s", got, want)
	}
}

func TestSigningKeysDistinctScopesDoNotCollide(t *testing.T) {
	base := credentialScope{date: "20260314", region: "us-east-1", service: "kms"}
	scopes := map[string]credentialScope{
		"base":        base,
		"next day":    {date: "20260315", region: base.region, service: base.service},
		"region":      {date: base.date, region: "eu-west-1", service: base.service},
		"service":     {date: base.date, region: base.region, service: "s3"},
		"shifted":     {date: base.date, region: "us-east-1k", service: "ms"}, // same concatenation as base
		"other order": {date: base.date, region: "kms", service: "us-east-1"},
	}
	secrets := []string{testSecret, testSecret + "2"}
	c := newSigningKeys(maxSigningKeys)
	for _, secret := range secrets {
		for _, scope := range scopes {
			c.put(newSigningKeyID(secret, scope), signingKey(secret, scope))
		}
	}
	for _, secret := range secrets {
		for name, scope := range scopes {
			t.Run(fmt.Sprintf("%s/%.8s", name, secret), func(t *testing.T) {
				got, ok := c.get(newSigningKeyID(secret, scope))
				if !ok {
					t.Fatal("not cached")
				}
				if want := signingKey(secret, scope); got != want {
					t.Fatalf("cached key %x, fresh derivation %x", got, want)
				}
			})
		}
	}
	if n := c.len(); n != len(secrets)*len(scopes) {
		t.Fatalf("%d entries, want %d", n, len(secrets)*len(scopes))
	}
}

func TestSigningKeysBounded(t *testing.T) {
	const limit = 64
	c := newSigningKeys(limit)
	hot := newSigningKeyID(testSecret, credentialScope{date: "20260314", region: "us-east-1", service: "kms"})
	c.put(hot, [sha256.Size]byte{1})
	for i := range 10 * limit {
		c.put(newSigningKeyID(fmt.Sprint("secret", i), credentialScope{date: "20260314", region: "r", service: "s"}), [sha256.Size]byte{2})
		if n := c.len(); n > limit {
			t.Fatalf("%d entries after %d puts, limit %d", n, i+1, limit)
		}
		// A key in use survives the churn: every lookup moves it into the
		// current generation.
		if _, ok := c.get(hot); !ok {
			t.Fatalf("key in use evicted after %d puts", i+1)
		}
	}
	if _, ok := c.get(newSigningKeyID("secret0", credentialScope{date: "20260314", region: "r", service: "s"})); ok {
		t.Fatal("oldest unused key still cached")
	}
}

func TestSigningKeysConcurrent(t *testing.T) {
	c := newSigningKeys(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				scope := credentialScope{date: "20260314", region: fmt.Sprint("r", (g+i)%24), service: "kms"}
				id := newSigningKeyID(testSecret, scope)
				if k, ok := c.get(id); ok {
					if k != signingKey(testSecret, scope) {
						t.Error("wrong key cached")
						return
					}
					continue
				}
				c.put(id, signingKey(testSecret, scope))
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > 16 {
		t.Fatalf("%d entries, limit 16", n)
	}
}

func TestSigningKeysNotPrinted(t *testing.T) {
	c := newSigningKeys(4)
	scope := credentialScope{date: "20260314", region: "us-east-1", service: "kms"}
	k := signingKey(testSecret, scope)
	c.put(newSigningKeyID(testSecret, scope), k)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), c.LogValue().String()} {
		if strings.Contains(s, hex.EncodeToString(k[:])) || strings.Contains(s, fmt.Sprint(k[0], " ", k[1])) || strings.Contains(s, testSecret) {
			t.Fatalf("key material in %q", s)
		}
	}
}

// TestVerifierCachesOnlyVerifiedKeys: a request with a known access key
// but a wrong secret is refused without caching anything; the right secret
// caches one key, which verifies later requests; a rotated secret does not
// find its predecessor's key.
func TestVerifierCachesOnlyVerifiedKeys(t *testing.T) {
	secret := testSecret
	v := &Verifier{
		Creds: credsFunc(func(_ context.Context, id string) (Credential, error) {
			return Credential{AccessKeyID: id, SecretKey: secret}, nil
		}),
		Now: func() time.Time { return testTime },
	}
	send := func(signWith string) error {
		body := []byte(`{"KeyId":"alias/x"}`)
		r := httptest.NewRequest(http.MethodPost, "http://kms.example/", bytes.NewReader(body))
		sign(t, r, signWith, sha256Hex2(body), "kms", testTime)
		_, err := v.Verify(r)
		return err
	}
	if err := send("wrong"); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("wrong secret: %v", err)
	}
	if n := v.signingKeys().len(); n != 0 {
		t.Fatalf("%d keys cached after a failed signature", n)
	}
	for i := range 3 {
		if err := send(testSecret); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := v.signingKeys().len(); n != 1 {
		t.Fatalf("%d keys cached, want 1", n)
	}
	secret = "rotated"
	if err := send(testSecret); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("old secret after rotation: %v", err)
	}
	if err := send("rotated"); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}
