package kms

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSignerMatchesTheSDK signs the same request with the client's signer
// and with aws-sdk-go-v2's, which signs every field the request has: the
// Authorization fields must be equal, across endpoints with and without
// default ports and on both sides of midnight (the signing key is cached
// per day).
func TestSignerMatchesTheSDK(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	times := []time.Time{
		time.Date(2026, 12, 2, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 12, 3, 0, 0, 1, 0, time.UTC),
		time.Date(2026, 12, 3, 1, 0, 0, 0, time.FixedZone("CET", 3600)), // the same instant as 00:00 UTC
	}
	for _, endpoint := range []string{"http://127.0.0.1:9100", "https://kms.eu-west-1.amazonaws.com", "https://kms.internal:443/",
		"http://kms.internal:80", "http://[::1]:9100/", "https://[2001:db8::1]/kms/v1"} {
		u, err := url.Parse(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newSigner(u, "eu-west-1", creds.AccessKeyID, creds.SecretAccessKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, now := range times {
			for _, target := range []string{"TrentService.GenerateDataKey", "TrentService.Decrypt"} {
				hash := strings.Repeat("0123456789abcdef", 4)
				date, got := s.sign(now, target, hash)

				req, err := http.NewRequest(http.MethodPost, endpoint, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Host = s.host
				req.Header.Set("Content-Type", jsonContentType)
				req.Header.Set("X-Amz-Target", target)
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "kms", "eu-west-1", now); err != nil {
					t.Fatal(err)
				}
				if want := req.Header.Get("Authorization"); got != want {
					t.Errorf("%s at %v: Authorization\n%s\nthe SDK's:\n%s", endpoint, now, got, want)
				}
				if want := req.Header.Get("X-Amz-Date"); date != want {
					t.Errorf("%s at %v: X-Amz-Date %s, the SDK's %s", endpoint, now, date, want)
				}
			}
		}
	}
}

func TestSignerRefusesPathsNeedingEscapes(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:9100/a%20b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSigner(u, "us-east-1", "AK", "SK"); err == nil {
		t.Fatal("a path with a space was accepted")
	}
}
