package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const bucketCols = `name, owner, region, created, versioning, tags, encryption, policy, access, lifecycle, intelligent_tiering`

func scanBucket(sc interface{ Scan(...any) error }) (Bucket, error) {
	var (
		b                Bucket
		created          int64
		tags, encryption sql.NullString
		policy, access   sql.NullString
		lifecycle, itc   sql.NullString
	)
	if err := sc.Scan(&b.Name, &b.Owner, &b.Region, &created, &b.Versioning, &tags, &encryption, &policy, &access, &lifecycle, &itc); err != nil {
		return Bucket{}, err
	}
	b.Created = fromNanos(created)
	b.Policy = policy.String
	b.Lifecycle = lifecycle.String
	b.IntelligentTiering = itc.String
	var err error
	if b.Tags, err = decodeTags(tags); err != nil {
		return Bucket{}, err
	}
	if b.Encryption, err = decodeBucketEncryption(encryption); err != nil {
		return Bucket{}, err
	}
	if err := decodeAccess(access, &b); err != nil {
		return Bucket{}, err
	}
	return b, nil
}

func getBucket(t *txn, name string) (Bucket, error) {
	st, err := t.prepare(`SELECT ` + bucketCols + ` FROM buckets WHERE name = ?`)
	if err != nil {
		return Bucket{}, err
	}
	b, err := scanBucket(st.QueryRowContext(t.ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Bucket{}, ErrNoSuchBucket
	}
	return b, err
}

func bucketExists(t *txn, name string) (bool, error) {
	return t.exists(`SELECT 1 FROM buckets WHERE name = ?`, name)
}

// needBucket returns ErrNoSuchBucket unless the bucket exists.
func needBucket(t *txn, name string) error {
	ok, err := bucketExists(t, name)
	if err == nil && !ok {
		err = ErrNoSuchBucket
	}
	return err
}

// CreateBucket implements Store.
func (s *SQL) CreateBucket(ctx context.Context, b Bucket) error {
	tags, err := encodeTags(b.Tags)
	if err != nil {
		return fmt.Errorf("meta: create bucket %s: %w", b.Name, err)
	}
	encryption, err := encodeBucketEncryption(b.Encryption)
	if err != nil {
		return fmt.Errorf("meta: create bucket %s: %w", b.Name, err)
	}
	err = s.write(ctx, func(t *txn) error {
		var owner string
		err := t.scanOne(`SELECT owner FROM buckets WHERE name = ?`, []any{b.Name}, &owner)
		if err == nil {
			return fmt.Errorf("owned by %s: %w", owner, ErrBucketExists)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		access, err := encodeAccess(b)
		if err != nil {
			return err
		}
		_, err = t.exec(`INSERT INTO buckets (`+bucketCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.Name, b.Owner, b.Region, toNanos(b.Created), b.Versioning, tags, encryption, nullString(b.Policy), access, nullString(b.Lifecycle),
			nullString(b.IntelligentTiering))
		return err
	})
	if err != nil {
		return fmt.Errorf("meta: create bucket %s: %w", b.Name, err)
	}
	return nil
}

// GetBucket implements Store.
func (s *SQL) GetBucket(ctx context.Context, name string) (Bucket, error) {
	var b Bucket
	err := s.read(ctx, func(t *txn) (err error) {
		b, err = getBucket(t, name)
		return err
	})
	if err != nil {
		return Bucket{}, fmt.Errorf("meta: get bucket %s: %w", name, err)
	}
	return b, nil
}

// UpdateBucket implements Store. fn runs on the committer goroutine (see
// SQL).
func (s *SQL) UpdateBucket(ctx context.Context, name string, fn func(*Bucket) error) error {
	var fnErr error
	err := s.write(ctx, func(t *txn) error {
		b, err := getBucket(t, name)
		if err != nil {
			return err
		}
		if err := fn(&b); err != nil {
			fnErr = err
			return err
		}
		if b.Name != name {
			return fmt.Errorf("bucket name changed to %q", b.Name)
		}
		// Owner is not written: a bucket keeps the owner it was created with.
		tags, err := encodeTags(b.Tags)
		if err != nil {
			return err
		}
		encryption, err := encodeBucketEncryption(b.Encryption)
		if err != nil {
			return err
		}
		access, err := encodeAccess(b)
		if err != nil {
			return err
		}
		_, err = t.exec(`UPDATE buckets SET region = ?, created = ?, versioning = ?, tags = ?, encryption = ?, policy = ?, access = ?, lifecycle = ?, intelligent_tiering = ? WHERE name = ?`,
			b.Region, toNanos(b.Created), b.Versioning, tags, encryption, nullString(b.Policy), access, nullString(b.Lifecycle),
			nullString(b.IntelligentTiering), name)
		return err
	})
	if fnErr != nil {
		return fnErr // unchanged, as the contract says
	}
	if err != nil {
		return fmt.Errorf("meta: update bucket %s: %w", name, err)
	}
	return nil
}

// DeleteBucket implements Store.
func (s *SQL) DeleteBucket(ctx context.Context, name string) error {
	err := s.write(ctx, func(t *txn) error {
		if err := needBucket(t, name); err != nil {
			return err
		}
		for _, q := range []string{
			`SELECT 1 FROM versions WHERE bucket = ? LIMIT 1`,
			`SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1`,
		} {
			busy, err := t.exists(q, name)
			if err != nil {
				return err
			}
			if busy {
				return ErrBucketNotEmpty
			}
		}
		_, err := t.exec(`DELETE FROM buckets WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("meta: delete bucket %s: %w", name, err)
	}
	return nil
}

// ListBuckets implements Store.
func (s *SQL) ListBuckets(ctx context.Context, owner string, page ListPage) ([]Bucket, error) {
	bd := pageBounds(page)
	if bd.empty() {
		return nil, nil
	}
	q := `SELECT ` + bucketCols + ` FROM buckets WHERE 1 = 1`
	var args []any
	if owner != "" {
		q += ` AND owner = ?`
		args = append(args, owner)
	}
	q, args = bd.where(q, args, "name")
	q += ` ORDER BY name LIMIT ?`
	args = append(args, bd.limit)
	var out []Bucket
	err := s.read(ctx, func(t *txn) error {
		rows, err := t.query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBucket(rows)
			if err != nil {
				return err
			}
			if bd.match(b.Name) {
				out = append(out, b)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list buckets: %w", err)
	}
	return out, nil
}
