package kms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// Provider is what encryption at rest needs of a key management service.
type Provider interface {
	// GenerateDataKey returns a fresh 256-bit data key in plaintext and
	// sealed under the KMS key keyID (id, ARN, alias name or alias ARN),
	// bound to the encryption context ec, with the ARN of that key. The
	// caller clears the plaintext after use. Errors wrap the Exception the
	// service answered (ErrNotFound, ErrDisabled, ErrInvalidState, …), or
	// ErrUnavailable when no answer came: the service could not be
	// reached, timed out, or failed (5xx) on every attempt.
	GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (DataKey, error)
	// Decrypt returns the plaintext of a ciphertext blob from
	// GenerateDataKey; ec must equal the context it was made with, else
	// the error wraps ErrInvalidCiphertext. Other errors as GenerateDataKey.
	Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error)
}

// DataKey is a data key from Provider.GenerateDataKey.
type DataKey struct {
	// Plaintext is the 32-byte key; the caller clears it after use.
	Plaintext []byte
	// Ciphertext is Plaintext sealed under the KMS key, for Decrypt.
	Ciphertext []byte
	// KeyARN is the ARN of the KMS key, also when an alias named it: what
	// S3 reports in x-amz-server-side-encryption-aws-kms-key-id.
	KeyARN string
}

// LogValue implements slog.LogValuer: the plaintext is never logged.
func (k DataKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_arn", k.KeyARN), slog.Attr{Key: "plaintext", Value: redacted()},
		slog.Int("ciphertext_len", len(k.Ciphertext)))
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Endpoint is the service URL, such as http://kms.internal:9100. Empty
	// means AWS KMS's own endpoint for Region.
	Endpoint string
	Region   string // required
	// AccessKeyID and SecretAccessKey sign requests (SigV4, service kms).
	AccessKeyID     string
	SecretAccessKey string
	// HTTPClient, if set, sends the requests (timeouts, TLS). Default: the
	// SDK's client.
	HTTPClient *http.Client
	// MaxAttempts per call, including the first (0: the SDK's default, 3).
	MaxAttempts int
}

// LogValue implements slog.LogValuer: the secret key is never logged.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", c.Endpoint), slog.String("region", c.Region),
		slog.String("access_key_id", c.AccessKeyID), slog.String("secret_access_key", "REDACTED"))
}

// Client is a Provider over the AWS KMS wire protocol, so it works against
// `coffer kms` and AWS KMS alike.
type Client struct {
	api *awskms.Client
}

var _ Provider = (*Client)(nil)

// NewClient returns a Client for the service at cfg.Endpoint.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Region == "" || cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("kms: client: region, access key and secret key are required")
	}
	opts := awskms.Options{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	if cfg.MaxAttempts > 0 {
		opts.RetryMaxAttempts = cfg.MaxAttempts
	}
	return &Client{api: awskms.New(opts)}, nil
}

// GenerateDataKey implements Provider.
func (c *Client) GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (DataKey, error) {
	out, err := c.api.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec,
	})
	if err != nil {
		return DataKey{}, remoteError("GenerateDataKey", err)
	}
	arn := aws.ToString(out.KeyId)
	if len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0 || !strings.HasPrefix(arn, "arn:") {
		clear(out.Plaintext)
		return DataKey{}, fmt.Errorf("kms: GenerateDataKey: service returned a %d-byte data key under key %q, not a 32-byte key under a key ARN",
			len(out.Plaintext), arn)
	}
	return DataKey{Plaintext: out.Plaintext, Ciphertext: out.CiphertextBlob, KeyARN: arn}, nil
}

// Decrypt implements Provider.
func (c *Client) Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error) {
	out, err := c.api.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: ciphertext, EncryptionContext: ec})
	if err != nil {
		return nil, remoteError("Decrypt", err)
	}
	return out.Plaintext, nil
}

// KeyPolicy returns the key policy (the policy named "default") of the
// key keyID. Errors as GenerateDataKey; ErrAccessDenied when the client's
// principal may not read it (kms:GetKeyPolicy).
func (c *Client) KeyPolicy(ctx context.Context, keyID string) (string, error) {
	out, err := c.api.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")})
	if err != nil {
		return "", remoteError("GetKeyPolicy", err)
	}
	return aws.ToString(out.Policy), nil
}

// remoteError wraps the Exception named by the service's error code, so
// callers test errors.Is(err, ErrNotFound) whichever side failed, and
// ErrUnavailable when the service gave no answer: a 5xx (with its
// Exception, after the SDK's retries), a connection or timeout failure, a
// response cut short. The caller's own cancellation is not unavailability.
func remoteError(op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := Exception(ae.ErrorCode())
		if status := httpStatus(err); status >= 500 {
			return fmt.Errorf("kms: %s: %w: HTTP %d: %s: %w", op, ErrUnavailable, status, ae.ErrorMessage(), code)
		}
		return fmt.Errorf("kms: %s: %s: %w", op, ae.ErrorMessage(), code)
	}
	if !errors.Is(err, context.Canceled) && transportFailure(err) {
		return fmt.Errorf("kms: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("kms: %s: %w", op, err)
}

// httpStatus is the status of the response err came with, 0 if none.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// transportFailure reports whether err means no answer came from the
// service: the SDK's connection errors (dial, refused, reset), network
// errors and timeouts, a response body cut short, or a 5xx response it
// could not decode.
func transportFailure(err error) bool {
	var (
		conn   interface{ ConnectionError() bool }
		netErr net.Error
	)
	return errors.As(err, &conn) && conn.ConnectionError() ||
		errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		httpStatus(err) >= 500
}
