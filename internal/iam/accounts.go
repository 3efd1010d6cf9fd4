package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"regexp"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

// Account is an account as the admin API shows it.
type Account struct {
	ID          string
	Name        string
	CanonicalID string
	Created     time.Time
}

// NewAccount is a created account with its root user's access key.
type NewAccount struct {
	Account
	AccessKeyID     string
	SecretAccessKey string
}

func accountOf(a meta.Account) Account {
	return Account{ID: a.ID, Name: a.Name, CanonicalID: a.CanonicalID, Created: a.Created}
}

var accountNameRE = regexp.MustCompile(`^[\w+=,.@ -]{1,50}$`)

// EnsureAccount creates the account id (the first account, whose root
// credential the server is configured with) unless it exists, and returns
// it.
func (s *Service) EnsureAccount(ctx context.Context, id, name string) (Account, error) {
	a, err := s.Store.GetAccount(ctx, id)
	if err == nil {
		return accountOf(a), nil
	}
	if !errors.Is(err, meta.ErrNoSuchAccount) {
		return Account{}, err
	}
	canonical, err := s.canonicalID()
	if err != nil {
		return Account{}, err
	}
	st, _ := (&state{}).encode()
	a = meta.Account{ID: id, Name: name, CanonicalID: canonical, Created: s.now(), IAM: st}
	if err := s.Store.CreateAccount(ctx, a); err != nil {
		if errors.Is(err, meta.ErrAccountExists) {
			if a, err2 := s.Store.GetAccount(ctx, id); err2 == nil {
				return accountOf(a), nil
			}
		}
		return Account{}, err
	}
	return accountOf(a), nil
}

// CreateAccount creates an account named name with a root access key.
func (s *Service) CreateAccount(ctx context.Context, name string) (NewAccount, error) {
	if !accountNameRE.MatchString(name) {
		return NewAccount{}, errorf(CodeValidation, "The account name must be 1-50 characters of letters, digits, spaces and +=,.@_-")
	}
	existing, err := s.ListAccounts(ctx)
	if err != nil {
		return NewAccount{}, err
	}
	for _, a := range existing {
		if a.Name == name {
			return NewAccount{}, errorf(CodeEntityExists, "An account named %s already exists.", name)
		}
	}
	for attempt := 0; ; attempt++ {
		id, err := s.accountID()
		if err != nil {
			return NewAccount{}, err
		}
		canonical, err := s.canonicalID()
		if err != nil {
			return NewAccount{}, err
		}
		key, secret, err := s.newAccessKey(ctx, id)
		if err != nil {
			return NewAccount{}, err
		}
		st := &state{RootKeys: []*AccessKey{key}}
		doc, err := st.encode()
		if err != nil {
			return NewAccount{}, err
		}
		a := meta.Account{ID: id, Name: name, CanonicalID: canonical, Created: s.now(), IAM: doc, AccessKeys: st.accessKeyIDs()}
		err = s.Store.CreateAccount(ctx, a)
		if errors.Is(err, meta.ErrAccountExists) && attempt < 3 {
			continue // an ID collision; a taken name was refused above
		}
		if err != nil {
			return NewAccount{}, err
		}
		return NewAccount{Account: accountOf(a), AccessKeyID: key.ID, SecretAccessKey: secret}, nil
	}
}

// ListAccounts returns every account in ID order.
func (s *Service) ListAccounts(ctx context.Context) ([]Account, error) {
	as, err := s.Store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(as))
	for i, a := range as {
		out[i] = accountOf(a)
	}
	return out, nil
}

// GetAccount returns one account.
func (s *Service) GetAccount(ctx context.Context, id string) (Account, error) {
	snap, err := s.account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return accountOf(snap.account), nil
}

// CanonicalID returns the canonical user ID of an account, or "" when the
// account is unknown.
func (s *Service) CanonicalID(ctx context.Context, accountID string) string {
	snap, err := s.account(ctx, accountID)
	if err != nil {
		return ""
	}
	return snap.account.CanonicalID
}

func (s *Service) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

// accountID is a random 12-digit account ID without a leading zero.
func (s *Service) accountID() (string, error) {
	n, err := rand.Int(s.rand(), big.NewInt(9e11))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%012d", n.Int64()+1e11), nil
}

// canonicalID is 64 hex digits, as S3 canonical user IDs are.
func (s *Service) canonicalID() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rand(), b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// uniqueID is prefix followed by n random characters of A–Z and 2–7, the
// form of AWS's unique IDs (AIDA…, AGPA…, ANPA…) and access key IDs.
func (s *Service) uniqueID(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = idAlphabet[b[i]&31]
	}
	return prefix + string(b), nil
}

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// newAccessKey makes an access key for account with its secret sealed.
func (s *Service) newAccessKey(ctx context.Context, account string) (*AccessKey, string, error) {
	id, err := s.uniqueID("AKIA", 16)
	if err != nil {
		return nil, "", err
	}
	b := make([]byte, 40)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return nil, "", err
	}
	for i := range b {
		b[i] = secretAlphabet[b[i]&63]
	}
	secret := string(b)
	sealed, err := s.Sealer.Seal(ctx, b, secretAAD(account, id))
	clear(b)
	if err != nil {
		return nil, "", err
	}
	return &AccessKey{ID: id, Sealed: sealed, Status: StatusActive, Created: s.now()}, secret, nil
}

// AccountPublicAccessBlock returns the account's Block Public Access
// (S3 Control), or nil when none is set.
func (s *Service) AccountPublicAccessBlock(ctx context.Context, account string) (*meta.PublicAccessBlock, error) {
	snap, err := s.account(ctx, account)
	if err != nil {
		return nil, err
	}
	return snap.st.PublicAccessBlock, nil
}

// PutAccountPublicAccessBlock sets (pab) or removes (nil) the account's
// Block Public Access.
func (s *Service) PutAccountPublicAccessBlock(ctx context.Context, account string, pab *meta.PublicAccessBlock) error {
	return s.update(ctx, account, func(st *state) error {
		st.PublicAccessBlock = pab
		return nil
	})
}

// LogValue keeps the root user's secret out of logs.
func (a NewAccount) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account_id", a.ID), slog.String("name", a.Name), slog.String("access_key_id", a.AccessKeyID))
}

// LogValue keeps the seed out of logs.
func (d NewMFADevice) LogValue() slog.Value {
	return slog.GroupValue(slog.String("serial", d.Serial))
}
