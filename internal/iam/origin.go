package iam

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coffer-project/coffer/internal/auth"
)

// Origin access credentials let a CDN edge (`coffer edge`) read a bucket
// that answers no one else, as CloudFront's origin access identities and
// origin access controls do on AWS. Each is an access key held in the IAM
// state of the account that created it, sealed like other secrets, and
// signs requests as a principal of its own, never as its account:
//
//   - An origin access identity (OAI) is the principal
//     arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <ID>,
//     also named by its S3 canonical user ID ({"CanonicalUser": …} in a
//     policy, an ACL grant by ID).
//   - An origin access control (OAC) is the service principal
//     cloudfront.amazonaws.com acting for one distribution: requests carry
//     aws:SourceArn (the distribution's ARN, fixed when the credential is
//     made) and aws:SourceAccount (the owning account).
//
// Neither has identity policies: only a bucket policy (or ACL, or KMS key
// policy) that names it grants it anything, and it cannot call IAM or STS.
const (
	OriginKindOAI = "oai"
	OriginKindOAC = "oac"

	// CloudFrontService is the service principal an OAC signs as.
	CloudFrontService = "cloudfront.amazonaws.com"

	// MaxOriginAccess bounds the OAIs, and separately the OACs, of an
	// account (CloudFront's quota for each is 100).
	MaxOriginAccess = 100
	// maxOAIComment is CloudFront's limit on an OAI's comment, and
	// maxOACName on an OAC's name.
	maxOAIComment = 128
	maxOACName    = 64
)

// OriginAccess is an origin access identity or control. The secret of Key
// is sealed.
type OriginAccess struct {
	Kind string `json:"kind"` // OriginKindOAI or OriginKindOAC
	ID   string `json:"id"`   // E…, 14 characters
	// CanonicalUser is an OAI's S3 canonical user ID: 96 hex digits, so it
	// is never an account's (64).
	CanonicalUser string `json:"canonical_user,omitempty"`
	// Comment is an OAI's comment or an OAC's name.
	Comment string `json:"comment,omitempty"`
	// SourceARN is an OAC's distribution ARN
	// (arn:aws:cloudfront::ACCOUNT:distribution/ID).
	SourceARN string     `json:"source_arn,omitempty"`
	Created   time.Time  `json:"created"`
	Key       *AccessKey `json:"key"`
}

// AccessKeyID is the ID of the access key the credential signs with.
func (o OriginAccess) AccessKeyID() string { return o.Key.ID }

// NewOriginAccess is a created origin access credential with its secret,
// shown only once.
type NewOriginAccess struct {
	OriginAccess
	SecretAccessKey string
}

// LogValue keeps the secret out of logs.
func (o NewOriginAccess) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", o.Kind), slog.String("id", o.ID), slog.String("access_key_id", o.Key.ID))
}

// OriginIdentityARN is the principal ARN of the origin access identity id.
func (s *Service) OriginIdentityARN(id string) string {
	return "arn:" + s.partition() + ":iam::cloudfront:user/CloudFront Origin Access Identity " + id
}

// distributionARNRE is a CloudFront distribution ARN: the global service
// has no region; distribution IDs are upper-case letters and digits.
var distributionARNRE = regexp.MustCompile(`^arn:([a-z-]+):cloudfront::(\d{12}):distribution/([A-Z0-9]{1,64})$`)

// CreateOriginAccessIdentity creates an origin access identity owned by
// account, with an access key. Errors: LimitExceeded past
// MaxOriginAccess, InvalidInput for a comment over 128 characters.
func (s *Service) CreateOriginAccessIdentity(ctx context.Context, account, comment string) (NewOriginAccess, error) {
	if utf8.RuneCountInString(comment) > maxOAIComment {
		return NewOriginAccess{}, errorf(CodeInvalidInput, "The comment must be at most %d characters.", maxOAIComment)
	}
	var b [48]byte
	if _, err := io.ReadFull(s.rand(), b[:]); err != nil {
		return NewOriginAccess{}, err
	}
	return s.createOrigin(ctx, account, OriginAccess{Kind: OriginKindOAI, CanonicalUser: hex.EncodeToString(b[:]), Comment: comment})
}

// CreateOriginAccessControl creates an origin access control owned by
// account for the distribution distributionARN, with an access key; name
// defaults to the distribution's ID. The distribution must be account's
// (its ARN names account): the ARN becomes the aws:SourceArn of every
// request the key signs, which must not claim another account's
// distribution. Errors: InvalidInput for a malformed ARN, one of another
// account or partition, or a name over 64 characters; EntityAlreadyExists
// when account has an OAC of that name (names are unique per account, as
// on CloudFront: a second OAC of one distribution needs its own name);
// LimitExceeded past MaxOriginAccess.
func (s *Service) CreateOriginAccessControl(ctx context.Context, account, name, distributionARN string) (NewOriginAccess, error) {
	m := distributionARNRE.FindStringSubmatch(distributionARN)
	switch {
	case m == nil:
		return NewOriginAccess{}, errorf(CodeInvalidInput, "The distribution ARN %q is not of the form arn:aws:cloudfront::ACCOUNT:distribution/ID.", distributionARN)
	case m[1] != s.partition() || m[2] != account:
		return NewOriginAccess{}, errorf(CodeInvalidInput, "The distribution %s is not one of account %s.", distributionARN, account)
	}
	if name == "" {
		name = m[3]
	}
	if utf8.RuneCountInString(name) > maxOACName {
		return NewOriginAccess{}, errorf(CodeInvalidInput, "The name must be at most %d characters.", maxOACName)
	}
	return s.createOrigin(ctx, account, OriginAccess{Kind: OriginKindOAC, Comment: name, SourceARN: distributionARN})
}

// createOrigin completes o with an ID and an access key and stores it.
func (s *Service) createOrigin(ctx context.Context, account string, o OriginAccess) (NewOriginAccess, error) {
	id, err := s.uniqueID("E", 13)
	if err != nil {
		return NewOriginAccess{}, err
	}
	key, secret, err := s.newAccessKey(ctx, account)
	if err != nil {
		return NewOriginAccess{}, err
	}
	o.ID, o.Key, o.Created = id, key, s.now()
	err = s.update(ctx, account, func(st *state) error {
		n := 0
		for _, e := range st.Origins {
			if e.Kind != o.Kind {
				continue
			}
			n++
			if o.Kind == OriginKindOAC && e.Comment == o.Comment {
				return errorf(CodeEntityExists, "An origin access control named %s already exists: %s.", o.Comment, e.ID)
			}
		}
		if n >= MaxOriginAccess {
			return errorf(CodeLimitExceeded, "Cannot exceed quota for origin access %ss: %d", strings.ToUpper(o.Kind), MaxOriginAccess)
		}
		stored := o
		st.Origins = append(st.Origins, &stored)
		slices.SortFunc(st.Origins, func(a, b *OriginAccess) int { return strings.Compare(a.ID, b.ID) })
		return nil
	})
	if err != nil {
		return NewOriginAccess{}, err
	}
	return NewOriginAccess{OriginAccess: o, SecretAccessKey: secret}, nil
}

// ListOriginAccess returns account's origin access credentials of kind
// (OriginKindOAI or OriginKindOAC), in ID order.
func (s *Service) ListOriginAccess(ctx context.Context, account, kind string) ([]OriginAccess, error) {
	var out []OriginAccess
	err := s.read(ctx, account, func(st *state) error {
		for _, o := range st.Origins {
			if o.Kind == kind {
				out = append(out, *o)
			}
		}
		return nil
	})
	return out, err
}

// DeleteOriginAccess deletes account's origin access credential of kind
// named id, and with it its access key: requests it signs are refused
// from then on (InvalidAccessKeyId). Returns NoSuchEntity if account has
// no such credential.
func (s *Service) DeleteOriginAccess(ctx context.Context, account, kind, id string) error {
	return s.update(ctx, account, func(st *state) error {
		i := slices.IndexFunc(st.Origins, func(o *OriginAccess) bool { return o.Kind == kind && o.ID == id })
		if i < 0 {
			return errorf(CodeNoSuchEntity, "The specified origin access %s does not exist: %s.", strings.ToUpper(kind), id)
		}
		st.Origins = slices.Delete(st.Origins, i, i+1)
		return nil
	})
}

// originByKey returns the origin access credential signing with access
// key id, or nil.
func (st *state) originByKey(id string) *OriginAccess {
	for _, o := range st.Origins {
		if o.Key != nil && o.Key.ID == id {
			return o
		}
	}
	return nil
}

// originPrincipal is who a request signed with o's key is: CloudFront's
// principal, owned by account, never account's root.
func (s *Service) originPrincipal(account string, o *OriginAccess) auth.Principal {
	p := auth.Principal{AccountID: account, AccessKeyID: o.Key.ID, Origin: &auth.OriginAccess{ID: o.ID}}
	switch o.Kind {
	case OriginKindOAI:
		p.ARN = s.OriginIdentityARN(o.ID)
		p.Origin.CanonicalUser = o.CanonicalUser
	default:
		p.ARN = "arn:" + s.partition() + ":cloudfront::" + account + ":origin-access-control/" + o.ID
		p.Origin.SourceARN = o.SourceARN
	}
	return p
}
