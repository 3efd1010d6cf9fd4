package meta

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// ScanCursor is a position in a bucket's versions in ScanVersions order
// (key, then newest first): the zero value is the start; otherwise the
// last version returned.
type ScanCursor struct {
	Key string
	Seq int64
}

// scanCols are the columns the lifecycle scanner needs: no headers, user
// metadata, encryption or ACL, which a scan of millions of versions would
// only decode to throw away.
const scanCols = `seq, obj_key, version_id, is_latest, delete_marker, last_modified, size, storage_class, tags, restore`

func scanLean(sc interface{ Scan(...any) error }, bucket string) (Version, error) {
	var (
		v              Version
		latest, marker int
		lastModified   int64
		tags, restore  sql.NullString
	)
	err := sc.Scan(&v.Seq, &v.Key, &v.VersionID, &latest, &marker, &lastModified, &v.Size, &v.StorageClass, &tags, &restore)
	if err != nil {
		return Version{}, err
	}
	v.Bucket = bucket
	v.IsLatest = latest != 0
	v.DeleteMarker = marker != 0
	v.LastModified = fromNanos(lastModified)
	if v.Tags, err = decodeTags(tags); err != nil {
		return Version{}, err
	}
	if restore.Valid {
		v.Restore = &Restore{}
		if err := decodeJSON(restore, v.Restore); err != nil {
			return Version{}, err
		}
	}
	return v, nil
}

// ScanVersions returns up to limit versions and delete markers of bucket
// after cur, ordered by key and then newest first, as ListVersions does,
// but with only the fields a scan over every version needs: Seq, Key,
// VersionID, IsLatest, DeleteMarker, LastModified, Size, StorageClass,
// Tags and Restore (no headers, user metadata, encryption, ACL or parts).
// Each page is two range scans of the versions_key index, so a walk of
// the whole bucket costs the same per page wherever it is. Returns
// ErrNoSuchBucket.
func (s *SQL) ScanVersions(ctx context.Context, bucket string, cur ScanCursor, limit int) ([]Version, error) {
	if limit <= 0 {
		return nil, nil
	}
	out := make([]Version, 0, min(limit, 1024))
	err := s.read(ctx, func(t *txn) error {
		if err := needBucket(t, bucket); err != nil {
			return err
		}
		query := func(q string, args ...any) error {
			rows, err := t.query(q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				v, err := scanLean(rows, bucket)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			return rows.Err()
		}
		if cur.Seq != 0 {
			// The older versions of the cursor's key.
			err := query(`SELECT `+scanCols+` FROM versions WHERE bucket = ? AND obj_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
				bucket, cur.Key, cur.Seq, limit)
			if err != nil {
				return err
			}
		}
		if len(out) >= limit {
			return nil
		}
		q := `SELECT ` + scanCols + ` FROM versions WHERE bucket = ? AND obj_key > ? ORDER BY obj_key, seq DESC LIMIT ?`
		args := []any{bucket, cur.Key, limit - len(out)}
		if cur == (ScanCursor{}) {
			q = `SELECT ` + scanCols + ` FROM versions WHERE bucket = ? ORDER BY obj_key, seq DESC LIMIT ?`
			args = []any{bucket, limit}
		}
		return query(q, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("meta: scan %s: %w", bucket, err)
	}
	return out, nil
}

// ReplaceVersionData runs fn on a stored version (with its parts) and
// stores the changed StorageClass, Restore, LastAccess and parts' BlobIDs in one
// transaction, queueing for deletion every blob the version referred to
// before and no longer does. fn may change nothing else: not the number
// of parts, nor whether a part is inline. This is the swap of a tier
// transition: the caller has copied the data into new blobs, and fn
// checks that the version still is what was copied (Seq and old BlobIDs)
// before pointing it at the copies. Errors as UpdateVersion.
func (s *SQL) ReplaceVersionData(ctx context.Context, bucket, key, versionID string, fn func(*Version) error) (Version, error) {
	var out Version
	err := s.write(ctx, func(t *txn) error {
		v, err := findVersion(t, bucket, key, versionID)
		if err != nil {
			return err
		}
		changed := v
		changed.Parts = slices.Clone(v.Parts)
		if err := fn(&changed); err != nil {
			return &condError{err}
		}
		if len(changed.Parts) != len(v.Parts) {
			return fmt.Errorf("meta: replace data of %s/%s: the number of parts changed", bucket, key)
		}
		restore, err := encodeRestore(changed.Restore)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE versions SET storage_class = ?, restore = ?, last_access = ? WHERE seq = ?`,
			changed.StorageClass, restore, toNanos(changed.LastAccess), v.Seq); err != nil {
			return err
		}
		var dropped []string
		for i, p := range changed.Parts {
			old := v.Parts[i].BlobID
			if p.BlobID == old {
				continue
			}
			if p.BlobID == "" || old == "" {
				return fmt.Errorf("meta: replace data of %s/%s: part %d would change between inline and blob", bucket, key, p.Number)
			}
			if _, err := t.exec(`UPDATE version_parts SET blob_id = ? WHERE seq = ? AND ord = ?`, p.BlobID, v.Seq, i); err != nil {
				return err
			}
			dropped = append(dropped, old)
		}
		if err := enqueueUnreferenced(t, dropped); err != nil {
			return err
		}
		changed.Parts = slices.Clone(changed.Parts)
		out = changed
		return nil
	})
	if err != nil {
		return Version{}, unwrapCond(err, "meta: replace data of %s/%s version %q", bucket, key, versionID)
	}
	return out, nil
}
