package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

const uploadCols = `upload_id, bucket, obj_key, initiated, owner, storage_class, headers, user_meta, tags, checksum_algo, checksum_type, sse, acl`

func scanUpload(sc interface{ Scan(...any) error }) (Upload, error) {
	var (
		u                            Upload
		initiated                    int64
		headers, userMeta, tags, sse sql.NullString
		acl                          sql.NullString
	)
	err := sc.Scan(&u.UploadID, &u.Bucket, &u.Key, &initiated, &u.Owner, &u.StorageClass,
		&headers, &userMeta, &tags, &u.ChecksumAlgo, &u.ChecksumType, &sse, &acl)
	if err != nil {
		return Upload{}, err
	}
	u.Initiated = fromNanos(initiated)
	if u.Headers, err = decodeHeaders(headers); err != nil {
		return Upload{}, err
	}
	if u.UserMeta, err = decodeUserMeta(userMeta); err != nil {
		return Upload{}, err
	}
	if u.Tags, err = decodeTags(tags); err != nil {
		return Upload{}, err
	}
	if u.Encryption, err = decodeEncryption(sse); err != nil {
		return Upload{}, err
	}
	if u.ACL, err = decodeGrants(acl); err != nil {
		return Upload{}, err
	}
	return u, nil
}

func queryUploads(t *txn, q string, args ...any) ([]Upload, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// getUpload returns ErrNoSuchUpload unless the upload exists (in bucket
// under key, when those are not "").
func getUpload(t *txn, bucket, key, uploadID string) (Upload, error) {
	us, err := queryUploads(t, `SELECT `+uploadCols+` FROM uploads WHERE upload_id = ?`, uploadID)
	if err != nil {
		return Upload{}, err
	}
	if len(us) == 0 || bucket != "" && us[0].Bucket != bucket || key != "" && us[0].Key != key {
		return Upload{}, ErrNoSuchUpload
	}
	return us[0], nil
}

// uploadPartRef is what CompleteUpload needs to know of an upload part.
type uploadPartRef struct {
	blobID string
	size   int64
}

// uploadPartRefs returns the upload's parts by number, without inline data.
func uploadPartRefs(t *txn, uploadID string) (map[int]uploadPartRef, error) {
	rows, err := t.query(`SELECT number, blob_id, size FROM upload_parts WHERE upload_id = ?`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := make(map[int]uploadPartRef)
	for rows.Next() {
		var (
			n   int
			ref uploadPartRef
		)
		if err := rows.Scan(&n, &ref.blobID, &ref.size); err != nil {
			return nil, err
		}
		refs[n] = ref
	}
	return refs, rows.Err()
}

// uploadPartBlobs returns the blob IDs of an upload's parts ("" for inline
// parts).
func uploadPartBlobs(t *txn, uploadID string) ([]string, error) {
	rows, err := t.query(`SELECT blob_id FROM upload_parts WHERE upload_id = ? ORDER BY number`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CreateUpload implements Store.
func (s *SQL) CreateUpload(ctx context.Context, u Upload) error {
	headers, err := encodeHeaders(u.Headers)
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	userMeta, err := encodeUserMeta(u.UserMeta)
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	sse, err := encodeEncryption(u.Encryption)
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	acl, err := encodeGrants(u.ACL)
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	err = s.write(ctx, func(t *txn) error {
		if err := needBucket(t, u.Bucket); err != nil {
			return err
		}
		_, err := t.exec(`INSERT INTO uploads (`+uploadCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.UploadID, u.Bucket, u.Key, toNanos(u.Initiated), u.Owner, u.StorageClass,
			headers, userMeta, tags, u.ChecksumAlgo, u.ChecksumType, sse, acl)
		return err
	})
	if err != nil {
		return fmt.Errorf("meta: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	return nil
}

// GetUpload implements Store.
func (s *SQL) GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error) {
	var u Upload
	err := s.read(ctx, func(t *txn) (err error) {
		u, err = getUpload(t, bucket, key, uploadID)
		return err
	})
	if err != nil {
		return Upload{}, fmt.Errorf("meta: get upload %s: %w", uploadID, err)
	}
	return u, nil
}

// PutPart implements Store.
func (s *SQL) PutPart(ctx context.Context, uploadID string, p Part) error {
	if p.Number < 1 {
		return fmt.Errorf("meta: put part %d of upload %s: part numbers start at 1", p.Number, uploadID)
	}
	if err := checkPart(p); err != nil {
		return fmt.Errorf("meta: put part %d of upload %s: %w", p.Number, uploadID, err)
	}
	err := s.write(ctx, func(t *txn) error {
		if _, err := getUpload(t, "", "", uploadID); err != nil {
			return err
		}
		var old string
		err := t.scanOne(`SELECT blob_id FROM upload_parts WHERE upload_id = ? AND number = ?`, []any{uploadID, p.Number}, &old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			old = ""
		case err != nil:
			return err
		default:
			if _, err := t.exec(`DELETE FROM upload_parts WHERE upload_id = ? AND number = ?`, uploadID, p.Number); err != nil {
				return err
			}
		}
		_, err = t.exec(`INSERT INTO upload_parts (upload_id, `+partCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{uploadID}, partArgs(p)...)...)
		if err != nil {
			return err
		}
		if old != "" && old != p.BlobID {
			return enqueueUnreferenced(t, []string{old})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("meta: put part %d of upload %s: %w", p.Number, uploadID, err)
	}
	return nil
}

// ListParts implements Store. A limit ≤ 0 means no limit.
func (s *SQL) ListParts(ctx context.Context, uploadID string, after, limit int) ([]Part, error) {
	bd := pageBounds(ListPage{Limit: limit})
	var out []Part
	err := s.read(ctx, func(t *txn) (err error) {
		if _, err := getUpload(t, "", "", uploadID); err != nil {
			return err
		}
		out, err = queryParts(t, `SELECT `+partColsNoData+` FROM upload_parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?`,
			uploadID, after, bd.limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list parts of upload %s: %w", uploadID, err)
	}
	return out, nil
}

// ListUploads implements Store. An uploadAfter that names no upload of
// page.After returns ErrNoSuchUpload.
func (s *SQL) ListUploads(ctx context.Context, bucket string, page ListPage, uploadAfter string) ([]Upload, error) {
	bd := pageBounds(page)
	var out []Upload
	err := s.read(ctx, func(t *txn) error {
		if err := needBucket(t, bucket); err != nil {
			return err
		}
		if uploadAfter != "" {
			var initiated int64
			err := t.scanOne(`SELECT initiated FROM uploads WHERE bucket = ? AND obj_key = ? AND upload_id = ?`,
				[]any{bucket, page.After, uploadAfter}, &initiated)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNoSuchUpload
			}
			if err != nil {
				return err
			}
			if strings.HasPrefix(page.After, page.Prefix) && page.After >= page.From {
				us, err := queryUploads(t, `SELECT `+uploadCols+` FROM uploads WHERE bucket = ? AND obj_key = ?
					AND (initiated > ? OR initiated = ? AND upload_id > ?) ORDER BY initiated, upload_id LIMIT ?`,
					bucket, page.After, initiated, initiated, uploadAfter, bd.limit)
				if err != nil {
					return err
				}
				out = us
			}
		}
		if bd.empty() || int64(len(out)) >= bd.limit {
			return nil
		}
		q, args := uploadsQuery(bucket, bd, bd.limit-int64(len(out)))
		us, err := queryUploads(t, q, args...)
		if err != nil {
			return err
		}
		for _, u := range us {
			if bd.match(u.Key) {
				out = append(out, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list uploads %s: %w", bucket, err)
	}
	return out, nil
}

// uploadsQuery lists up to n uploads within bd in listing order: one range
// scan of the uploads_key index.
func uploadsQuery(bucket string, bd bounds, n int64) (string, []any) {
	q, args := bd.where(`SELECT `+uploadCols+` FROM uploads WHERE bucket = ?`, []any{bucket}, "obj_key")
	return q + ` ORDER BY obj_key, initiated, upload_id LIMIT ?`, append(args, n)
}

// CompleteUpload implements Store. A part of v that is not a part of the
// upload (same Number, BlobID and Size) fails with ErrNoSuchPart. The
// upload must belong to v.Bucket and v.Key, else ErrNoSuchUpload.
//
// Inline data is read here, inside the transaction, for the listed parts
// only, so the caller need not carry it and a stale copy cannot be
// committed.
func (s *SQL) CompleteUpload(ctx context.Context, uploadID string, v Version, cond Precondition) (Version, error) {
	if err := checkVersion(v); err != nil {
		return Version{}, fmt.Errorf("meta: complete upload %s: %w", uploadID, err)
	}
	var out Version
	err := s.write(ctx, func(t *txn) error {
		if _, err := getUpload(t, v.Bucket, v.Key, uploadID); err != nil {
			return err
		}
		refs, err := uploadPartRefs(t, uploadID)
		if err != nil {
			return err
		}
		v := v
		v.Parts = append([]Part(nil), v.Parts...)
		used := make(map[int]bool, len(v.Parts))
		for i := range v.Parts {
			p := &v.Parts[i]
			ref, ok := refs[p.Number]
			if !ok || ref.blobID != p.BlobID || ref.size != p.Size {
				return fmt.Errorf("part %d (blob %q): %w", p.Number, p.BlobID, ErrNoSuchPart)
			}
			p.Inline = nil
			if p.BlobID == "" {
				err := t.scanOne(`SELECT inline_data FROM upload_parts WHERE upload_id = ? AND number = ?`,
					[]any{uploadID, p.Number}, &p.Inline)
				if err != nil {
					return err
				}
			}
			if err := checkPart(*p); err != nil {
				return err
			}
			used[p.Number] = true
		}
		out, err = commitVersion(t, v, cond)
		if err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM uploads WHERE upload_id = ?`, uploadID); err != nil {
			return err
		}
		var unused []string
		for _, n := range slices.Sorted(maps.Keys(refs)) {
			if !used[n] {
				unused = append(unused, refs[n].blobID)
			}
		}
		return enqueueUnreferenced(t, unused)
	})
	if err != nil {
		return Version{}, unwrapCond(err, "meta: complete upload %s", uploadID)
	}
	return out, nil
}

// AbortUpload implements Store.
func (s *SQL) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	err := s.write(ctx, func(t *txn) error {
		if _, err := getUpload(t, bucket, key, uploadID); err != nil {
			return err
		}
		blobs, err := uploadPartBlobs(t, uploadID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM uploads WHERE upload_id = ?`, uploadID); err != nil {
			return err
		}
		return enqueueUnreferenced(t, blobs)
	})
	if err != nil {
		return fmt.Errorf("meta: abort upload %s: %w", uploadID, err)
	}
	return nil
}
