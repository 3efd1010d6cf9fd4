package kms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

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
	// bound to the encryption context ec. The caller clears plaintext after
	// use. Errors wrap the Exception the service answered
	// (ErrNotFound, ErrDisabled, ErrInvalidState, …) or are transport
	// faults.
	GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (plaintext, ciphertext []byte, err error)
	// Decrypt returns the plaintext of a ciphertext blob from
	// GenerateDataKey; ec must equal the context it was made with, else
	// the error wraps ErrInvalidCiphertext. Other errors as GenerateDataKey.
	Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error)
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
func (c *Client) GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (plaintext, ciphertext []byte, err error) {
	out, err := c.api.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec,
	})
	if err != nil {
		return nil, nil, remoteError("GenerateDataKey", err)
	}
	if len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0 {
		clear(out.Plaintext)
		return nil, nil, fmt.Errorf("kms: GenerateDataKey: service returned a %d-byte data key", len(out.Plaintext))
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Decrypt implements Provider.
func (c *Client) Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error) {
	out, err := c.api.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: ciphertext, EncryptionContext: ec})
	if err != nil {
		return nil, remoteError("Decrypt", err)
	}
	return out.Plaintext, nil
}

// remoteError wraps the Exception named by the service's error code, so
// callers test errors.Is(err, ErrNotFound) whichever side failed.
func remoteError(op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := Exception(ae.ErrorCode())
		return fmt.Errorf("kms: %s: %s: %w", op, ae.ErrorMessage(), code)
	}
	return fmt.Errorf("kms: %s: %w", op, err)
}
