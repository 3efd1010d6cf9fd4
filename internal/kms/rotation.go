package kms

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Rotation periods, in days, as AWS allows them.
const (
	MinRotationPeriodDays     = 90
	MaxRotationPeriodDays     = 2560
	DefaultRotationPeriodDays = 365
)

const day = 24 * time.Hour

// EnableKeyRotation turns on automatic rotation every periodDays (90–2560;
// 0 means 365), the first one periodDays from now; RotateDue performs it.
// Errors: ErrNotFound, ErrValidation, ErrDisabled, ErrInvalidState,
// ErrAccessDenied (an AWS managed key): those rotate every year, always.
func (s *Store) EnableKeyRotation(ctx context.Context, ref string, periodDays int) error {
	if periodDays == 0 {
		periodDays = DefaultRotationPeriodDays
	}
	if periodDays < MinRotationPeriodDays || periodDays > MaxRotationPeriodDays {
		return fmt.Errorf("kms: RotationPeriodInDays must be %d–%d: %w", MinRotationPeriodDays, MaxRotationPeriodDays, ErrValidation)
	}
	now := s.now()
	_, err := s.mutateKey(ctx, "kms:EnableKeyRotation", ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.usable(); err != nil {
			return err
		}
		k.rotationEnabled = true
		k.rotationPeriod = periodDays
		k.nextRotation = now.Add(time.Duration(periodDays) * day).UnixNano()
		return nil
	})
	return err
}

// DisableKeyRotation turns off automatic rotation. Existing material
// versions stay. Errors: as EnableKeyRotation.
func (s *Store) DisableKeyRotation(ctx context.Context, ref string) error {
	_, err := s.mutateKey(ctx, "kms:DisableKeyRotation", ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.usable(); err != nil {
			return err
		}
		k.rotationEnabled = false
		k.nextRotation = 0
		return nil
	})
	return err
}

// RotationStatus is the result of GetKeyRotationStatus.
type RotationStatus struct {
	KeyID                string // ARN
	KeyRotationEnabled   bool
	RotationPeriodInDays int       // zero unless enabled
	NextRotationDate     time.Time // zero unless enabled
}

// GetKeyRotationStatus reports automatic rotation. As on AWS a key pending
// deletion reports false (and the setting returns if deletion is
// cancelled). Errors: ErrNotFound, ErrValidation.
func (s *Store) GetKeyRotationStatus(ctx context.Context, ref string) (RotationStatus, error) {
	var k keyRow
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = s.resolveKey(ctx, tx, ref)
		return err
	})
	if err != nil {
		return RotationStatus{}, err
	}
	st := RotationStatus{KeyID: k.arn}
	if k.rotationEnabled && k.state != KeyStatePendingDeletion {
		st.KeyRotationEnabled = true
		st.RotationPeriodInDays = k.rotationPeriod
		st.NextRotationDate = time.Unix(0, k.nextRotation).UTC()
	}
	return st, nil
}

// RotateKeyOnDemand adds a new material version and makes it current at
// once; older versions keep decrypting. The automatic schedule is
// unchanged. Returns the key ARN. Errors: ErrNotFound, ErrValidation,
// ErrDisabled, ErrInvalidState, ErrLimitExceeded (25 on-demand rotations),
// ErrAccessDenied (an AWS managed key).
func (s *Store) RotateKeyOnDemand(ctx context.Context, ref string) (string, error) {
	now := s.now().UnixNano()
	k, err := s.mutateKey(ctx, "kms:RotateKeyOnDemand", ref, func(tx *sql.Tx, k *keyRow) error {
		if err := k.usable(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM key_material WHERE key_id = ? AND rotation_type = ?`,
			k.id.String(), RotationOnDemand).Scan(&n); err != nil {
			return fmt.Errorf("kms: rotate: %w", err)
		}
		if n >= maxOnDemandRotations {
			return fmt.Errorf("kms: %s has had %d on-demand rotations: %w", k.arn, n, ErrLimitExceeded)
		}
		return s.rotate(ctx, tx, k, RotationOnDemand, now)
	})
	return k.arn, err
}

func (s *Store) rotate(ctx context.Context, tx *sql.Tx, k *keyRow, rotationType string, now int64) error {
	v := k.currentVersion + 1
	if err := s.addMaterial(ctx, tx, k.id, v, rotationType, now); err != nil {
		return err
	}
	k.currentVersion = v
	return nil
}

// RotateDue rotates every enabled key whose automatic rotation is due at
// now, schedules its next rotation one period later, and returns how many
// it rotated. Disabled keys wait until they are enabled again. For the
// background job.
func (s *Store) RotateDue(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys
			WHERE state = ? AND rotation_enabled = 1 AND next_rotation <= ? ORDER BY id`,
			string(KeyStateEnabled), now.UnixNano())
		if err != nil {
			return fmt.Errorf("kms: due rotations: %w", err)
		}
		var due []keyRow
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("kms: due rotations: %w", err)
			}
			due = append(due, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("kms: due rotations: %w", err)
		}
		for i := range due {
			k := &due[i]
			if err := s.rotate(ctx, tx, k, RotationAutomatic, now.UnixNano()); err != nil {
				return err
			}
			k.nextRotation = now.Add(time.Duration(k.rotationPeriod) * day).UnixNano()
			if err := saveKey(ctx, tx, k); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	return n, err
}

// Rotation is one entry of ListKeyRotations.
type Rotation struct {
	KeyID        string // ARN
	RotationDate time.Time
	RotationType string // RotationAutomatic or RotationOnDemand
}

// ListKeyRotationsOutput is a page of rotations, oldest first.
type ListKeyRotationsOutput struct {
	Rotations  []Rotation
	NextMarker string
	Truncated  bool
}

// ListKeyRotations lists the completed rotations of a key (not its
// original material), limit 1–1000 (0: 100) per page. Errors:
// ErrNotFound, ErrValidation, ErrInvalidMarker.
func (s *Store) ListKeyRotations(ctx context.Context, ref string, limit int, marker string) (ListKeyRotationsOutput, error) {
	var out ListKeyRotationsOutput
	n, err := pageLimit(limit, defaultRotationListLimit, maxListKeysLimit)
	if err != nil {
		return out, err
	}
	after := int64(1) // version 1 is the original material
	if marker != "" {
		m, err := decodeMarker(marker)
		if err == nil {
			after, err = strconv.ParseInt(m, 10, 64)
		}
		if err != nil || after < 1 {
			return out, fmt.Errorf("kms: invalid marker: %w", ErrInvalidMarker)
		}
	}
	var versions []int64
	err = s.view(ctx, func(tx *sql.Tx) error {
		k, err := s.resolveKey(ctx, tx, ref)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT version, created, rotation_type FROM key_material
			WHERE key_id = ? AND version > ? ORDER BY version LIMIT ?`, k.id.String(), after, n+1)
		if err != nil {
			return fmt.Errorf("kms: list rotations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v, created int64
				r          = Rotation{KeyID: k.arn}
			)
			if err := rows.Scan(&v, &created, &r.RotationType); err != nil {
				return fmt.Errorf("kms: list rotations: %w", err)
			}
			r.RotationDate = time.Unix(0, created).UTC()
			out.Rotations = append(out.Rotations, r)
			versions = append(versions, v)
		}
		return rows.Err()
	})
	if err != nil {
		return ListKeyRotationsOutput{}, err
	}
	if len(out.Rotations) > n {
		out.Rotations = out.Rotations[:n]
		out.Truncated = true
		out.NextMarker = encodeMarker(strconv.FormatInt(versions[n-1], 10))
	}
	return out, nil
}
