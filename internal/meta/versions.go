package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const versionCols = `seq, bucket, obj_key, version_id, is_latest, delete_marker, owner, last_modified, size, etag, storage_class, headers, user_meta, tags, checksum_algo, checksum_type, checksum_value, sse, acl, restore, last_access`

const partCols = `number, blob_id, size, etag, checksum_algo, checksum_type, checksum_value, last_modified, inline_data`

// partColsNoData is partCols without the inline bytes, for listings that
// only describe parts.
const partColsNoData = `number, blob_id, size, etag, checksum_algo, checksum_type, checksum_value, last_modified, NULL`

func scanVersion(sc interface{ Scan(...any) error }) (Version, error) {
	var (
		v                            Version
		latest, marker               int
		lastModified, lastAccess     int64
		headers, userMeta, tags, sse sql.NullString
		acl, restore                 sql.NullString
	)
	err := sc.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &latest, &marker, &v.Owner, &lastModified,
		&v.Size, &v.ETag, &v.StorageClass, &headers, &userMeta, &tags,
		&v.Checksum.Algorithm, &v.Checksum.Type, &v.Checksum.Value, &sse, &acl, &restore, &lastAccess)
	if err != nil {
		return Version{}, err
	}
	v.IsLatest = latest != 0
	v.DeleteMarker = marker != 0
	v.LastModified = fromNanos(lastModified)
	v.LastAccess = fromNanos(lastAccess)
	if v.Headers, err = decodeHeaders(headers); err != nil {
		return Version{}, err
	}
	if v.UserMeta, err = decodeUserMeta(userMeta); err != nil {
		return Version{}, err
	}
	if v.Tags, err = decodeTags(tags); err != nil {
		return Version{}, err
	}
	if v.Encryption, err = decodeEncryption(sse); err != nil {
		return Version{}, err
	}
	if v.ACL, err = decodeGrants(acl); err != nil {
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

func scanPart(sc interface{ Scan(...any) error }) (Part, error) {
	var (
		p  Part
		lm int64
	)
	err := sc.Scan(&p.Number, &p.BlobID, &p.Size, &p.ETag, &p.Checksum.Algorithm, &p.Checksum.Type, &p.Checksum.Value, &lm, &p.Inline)
	p.LastModified = fromNanos(lm)
	return p, err
}

// partArgs are the values of partCols for p.
func partArgs(p Part) []any {
	var inline []byte // NULL: the data is in a blob
	if p.BlobID == "" {
		inline = p.Inline
		if inline == nil {
			inline = []byte{} // an empty inline part, not a missing one
		}
	}
	return []any{p.Number, p.BlobID, p.Size, p.ETag, p.Checksum.Algorithm, p.Checksum.Type, p.Checksum.Value, toNanos(p.LastModified), inline}
}

// checkPart rejects a part that has both a blob and inline data, or
// neither a blob nor inline data although it is not empty. The length of
// inline data is otherwise not checked against Size: Size counts
// plaintext, Inline holds the stored form, which encryption makes longer
// (even for an empty part). Only an empty stored form for non-empty data
// is impossible whatever the encoding.
func checkPart(p Part) error {
	switch {
	case p.BlobID != "" && p.Inline != nil:
		return fmt.Errorf("part %d has both blob %s and inline data", p.Number, p.BlobID)
	case p.BlobID == "" && len(p.Inline) == 0 && p.Size != 0:
		return fmt.Errorf("part %d of size %d has neither a blob nor inline data", p.Number, p.Size)
	}
	return nil
}

func queryVersions(t *txn, q string, args ...any) ([]Version, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func queryParts(t *txn, q string, args ...any) ([]Part, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Part
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func loadParts(t *txn, seq int64) ([]Part, error) {
	return queryParts(t, `SELECT `+partCols+` FROM version_parts WHERE seq = ? ORDER BY ord`, seq)
}

// latestVersion returns the newest version or delete marker of a key, or
// nil if it has none. Parts are not loaded.
func latestVersion(t *txn, bucket, key string) (*Version, error) {
	vs, err := queryVersions(t, `SELECT `+versionCols+` FROM versions WHERE bucket = ? AND obj_key = ? ORDER BY seq DESC LIMIT 1`, bucket, key)
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return &vs[0], nil
}

// findVersion returns a version (the latest if versionID is "") with its
// parts, or the error the Store contract prescribes for a missing one.
func findVersion(t *txn, bucket, key, versionID string) (Version, error) {
	var vs []Version
	var err error
	if versionID == "" {
		var v *Version
		v, err = latestVersion(t, bucket, key)
		if v != nil {
			vs = []Version{*v}
		}
	} else {
		vs, err = queryVersions(t, `SELECT `+versionCols+` FROM versions WHERE bucket = ? AND obj_key = ? AND version_id = ?`, bucket, key, versionID)
	}
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, missingVersion(t, bucket, key)
	}
	v := vs[0]
	if v.Parts, err = loadParts(t, v.Seq); err != nil {
		return Version{}, err
	}
	return v, nil
}

// missingVersion tells apart the reasons a version lookup found nothing.
func missingVersion(t *txn, bucket, key string) error {
	if err := needBucket(t, bucket); err != nil {
		return err
	}
	any, err := t.exists(`SELECT 1 FROM versions WHERE bucket = ? AND obj_key = ? LIMIT 1`, bucket, key)
	if err != nil {
		return err
	}
	if !any {
		return ErrNoSuchKey
	}
	return ErrNoSuchVersion
}

// insertVersion stores v as the key's latest version and sets v.Seq. The
// caller has cleared is_latest on the previous latest version.
func insertVersion(t *txn, v *Version) error {
	headers, err := encodeHeaders(v.Headers)
	if err != nil {
		return err
	}
	userMeta, err := encodeUserMeta(v.UserMeta)
	if err != nil {
		return err
	}
	tags, err := encodeTags(v.Tags)
	if err != nil {
		return err
	}
	sse, err := encodeEncryption(v.Encryption)
	if err != nil {
		return err
	}
	acl, err := encodeGrants(v.ACL)
	if err != nil {
		return err
	}
	restore, err := encodeRestore(v.Restore)
	if err != nil {
		return err
	}
	err = t.scanOne(`INSERT INTO versions (bucket, obj_key, version_id, is_latest, delete_marker, owner, last_modified, size, etag, storage_class, headers, user_meta, tags, checksum_algo, checksum_type, checksum_value, sse, acl, restore, last_access)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		[]any{v.Bucket, v.Key, v.VersionID, boolInt(v.DeleteMarker), v.Owner, toNanos(v.LastModified), v.Size, v.ETag,
			v.StorageClass, headers, userMeta, tags, v.Checksum.Algorithm, v.Checksum.Type, v.Checksum.Value, sse, acl, restore,
			toNanos(v.LastAccess)},
		&v.Seq)
	if err != nil {
		return err
	}
	for i, p := range v.Parts {
		_, err := t.exec(`INSERT INTO version_parts (seq, ord, `+partCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{v.Seq, i}, partArgs(p)...)...)
		if err != nil {
			return err
		}
	}
	v.IsLatest = true
	return nil
}

// removeVersion deletes a version with its parts, hands the latest flag to
// the next newest version if it had it, and enqueues blobs that nothing
// refers to any more.
func removeVersion(t *txn, v Version, parts []Part) error {
	if _, err := t.exec(`DELETE FROM versions WHERE seq = ?`, v.Seq); err != nil {
		return err
	}
	if v.IsLatest {
		next, err := latestVersion(t, v.Bucket, v.Key)
		if err != nil {
			return err
		}
		if next != nil {
			if _, err := t.exec(`UPDATE versions SET is_latest = 1 WHERE seq = ?`, next.Seq); err != nil {
				return err
			}
		}
	}
	blobs := make([]string, len(parts))
	for i, p := range parts {
		blobs[i] = p.BlobID
	}
	return enqueueUnreferenced(t, blobs)
}

// partRefQuery finds the version and upload parts that refer to a blob; its
// arguments are the blob ID twice. The repeated condition "blob_id is not
// empty" lets SQLite use the partial blob_id indexes.
const partRefQuery = `SELECT 1 FROM version_parts WHERE blob_id = ? AND blob_id <> ''
	UNION ALL SELECT 1 FROM upload_parts WHERE blob_id = ? AND blob_id <> ''`

// enqueueUnreferenced queues for deletion each blob that no version or
// upload part refers to (a blob may be shared, for example by a copy that
// only re-sealed the object key). Empty IDs, of inline parts, are skipped.
func enqueueUnreferenced(t *txn, blobs []string) error {
	seen := make(map[string]bool, len(blobs))
	for _, id := range blobs {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		used, err := t.exists(partRefQuery+` LIMIT 1`, id, id)
		if err != nil {
			return err
		}
		if !used {
			if err := enqueue(t, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func enqueue(t *txn, blobID string) error {
	_, err := t.exec(`INSERT INTO tasks (blob_id, enqueued) VALUES (?, ?)`, blobID, toNanos(t.now))
	return err
}

// condError marks a Precondition's error so the public method can return
// it unchanged.
type condError struct{ err error }

func (e *condError) Error() string { return e.err.Error() }
func (e *condError) Unwrap() error { return e.err }

// unwrapCond returns a Precondition's error unchanged, or wraps any other
// error with context.
func unwrapCond(err error, format string, args ...any) error {
	var ce *condError
	if errors.As(err, &ce) {
		return ce.err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func checkVersion(v Version) error {
	switch {
	case v.Bucket == "" || v.Key == "":
		return errors.New("empty bucket or key")
	case v.VersionID == "":
		return errors.New("empty version ID")
	case v.DeleteMarker && len(v.Parts) > 0:
		return errors.New("delete marker with parts")
	}
	return nil
}

func checkParts(parts []Part) error {
	for _, p := range parts {
		if err := checkPart(p); err != nil {
			return err
		}
	}
	return nil
}

// commitVersion is CommitVersion inside a transaction.
func commitVersion(t *txn, v Version, cond Precondition) (Version, error) {
	if err := needBucket(t, v.Bucket); err != nil {
		return Version{}, err
	}
	cur, err := latestVersion(t, v.Bucket, v.Key)
	if err != nil {
		return Version{}, err
	}
	if cond != nil {
		var arg *Version
		if cur != nil {
			c := *cur
			arg = &c
		}
		if err := cond(arg); err != nil {
			return Version{}, &condError{err}
		}
	}
	old, err := queryVersions(t, `SELECT `+versionCols+` FROM versions WHERE bucket = ? AND obj_key = ? AND version_id = ?`, v.Bucket, v.Key, v.VersionID)
	if err != nil {
		return Version{}, err
	}
	if len(old) > 0 {
		parts, err := loadParts(t, old[0].Seq)
		if err != nil {
			return Version{}, err
		}
		// Removing it without handing on the latest flag: v takes it.
		replaced := old[0]
		replaced.IsLatest = false
		if err := removeVersion(t, replaced, parts); err != nil {
			return Version{}, err
		}
	}
	if cur != nil && (len(old) == 0 || old[0].Seq != cur.Seq) {
		if _, err := t.exec(`UPDATE versions SET is_latest = 0 WHERE seq = ?`, cur.Seq); err != nil {
			return Version{}, err
		}
	}
	v.LastModified = normTime(v.LastModified)
	v.LastAccess = normTime(v.LastAccess)
	if v.Parts != nil {
		v.Parts = append([]Part(nil), v.Parts...)
		for i := range v.Parts {
			v.Parts[i].LastModified = normTime(v.Parts[i].LastModified)
		}
	}
	if err := insertVersion(t, &v); err != nil {
		return Version{}, err
	}
	return v, nil
}

// CommitVersion implements Store. cond sees the current latest version
// without its parts.
func (s *SQL) CommitVersion(ctx context.Context, v Version, cond Precondition) (Version, error) {
	err := checkVersion(v)
	if err == nil {
		err = checkParts(v.Parts)
	}
	if err != nil {
		return Version{}, fmt.Errorf("meta: commit %s/%s: %w", v.Bucket, v.Key, err)
	}
	var out Version
	err = s.write(ctx, func(t *txn) (err error) {
		out, err = commitVersion(t, v, cond)
		return err
	})
	if err != nil {
		return Version{}, unwrapCond(err, "meta: commit %s/%s", v.Bucket, v.Key)
	}
	return out, nil
}

// GetVersion implements Store.
func (s *SQL) GetVersion(ctx context.Context, bucket, key, versionID string) (Version, error) {
	var v Version
	err := s.read(ctx, func(t *txn) (err error) {
		v, err = findVersion(t, bucket, key, versionID)
		return err
	})
	if err != nil {
		return Version{}, fmt.Errorf("meta: get %s/%s version %q: %w", bucket, key, versionID, err)
	}
	return v, nil
}

// DeleteVersion implements Store.
func (s *SQL) DeleteVersion(ctx context.Context, bucket, key, versionID string, cond Precondition) (Version, error) {
	var out Version
	err := s.write(ctx, func(t *txn) error {
		v, err := findVersion(t, bucket, key, versionID)
		if err != nil {
			return err
		}
		if cond != nil {
			c := v
			if err := cond(&c); err != nil {
				return &condError{err}
			}
		}
		if err := removeVersion(t, v, v.Parts); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return Version{}, unwrapCond(err, "meta: delete %s/%s version %q", bucket, key, versionID)
	}
	return out, nil
}

// UpdateVersion implements Store.
func (s *SQL) UpdateVersion(ctx context.Context, bucket, key, versionID string, fn func(*Version) error) (Version, error) {
	var out Version
	err := s.write(ctx, func(t *txn) error {
		v, err := findVersion(t, bucket, key, versionID)
		if err != nil {
			return err
		}
		changed := v
		if err := fn(&changed); err != nil {
			return &condError{err}
		}
		tags, err := encodeTags(changed.Tags)
		if err != nil {
			return err
		}
		acl, err := encodeGrants(changed.ACL)
		if err != nil {
			return err
		}
		restore, err := encodeRestore(changed.Restore)
		if err != nil {
			return err
		}
		changed.LastAccess = normTime(changed.LastAccess)
		if _, err := t.exec(`UPDATE versions SET tags = ?, acl = ?, restore = ?, last_access = ? WHERE seq = ?`,
			tags, acl, restore, toNanos(changed.LastAccess), v.Seq); err != nil {
			return err
		}
		v.Tags, v.ACL, v.Restore, v.LastAccess = changed.Tags, changed.ACL, changed.Restore, changed.LastAccess
		out = v
		return nil
	})
	if err != nil {
		return Version{}, unwrapCond(err, "meta: update %s/%s version %q", bucket, key, versionID)
	}
	return out, nil
}

// TouchVersion implements Store. The stored time only moves forward, so
// concurrent touches in any order leave the latest.
func (s *SQL) TouchVersion(ctx context.Context, bucket, key, versionID string, at time.Time) error {
	if versionID == "" {
		return fmt.Errorf("meta: touch %s/%s: empty version ID", bucket, key)
	}
	err := s.write(ctx, func(t *txn) error {
		ns := toNanos(at)
		res, err := t.exec(`UPDATE versions SET last_access = ? WHERE bucket = ? AND obj_key = ? AND version_id = ? AND last_access < ?`,
			ns, bucket, key, versionID, ns)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		found, err := t.exists(`SELECT 1 FROM versions WHERE bucket = ? AND obj_key = ? AND version_id = ?`, bucket, key, versionID)
		if err != nil || found {
			return err // found: it was touched later already
		}
		return missingVersion(t, bucket, key)
	})
	if err != nil {
		return fmt.Errorf("meta: touch %s/%s version %q: %w", bucket, key, versionID, err)
	}
	return nil
}

// ListLatest implements Store.
func (s *SQL) ListLatest(ctx context.Context, bucket string, page ListPage) ([]Version, error) {
	bd := pageBounds(page)
	var out []Version
	err := s.read(ctx, func(t *txn) error {
		if err := needBucket(t, bucket); err != nil {
			return err
		}
		if bd.empty() {
			return nil
		}
		q, args := latestQuery(bucket, bd)
		vs, err := queryVersions(t, q, args...)
		out = filterPrefix(vs, bd)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list %s: %w", bucket, err)
	}
	return out, nil
}

// latestQuery lists the latest versions within bd: one range scan of the
// versions_listing index.
func latestQuery(bucket string, bd bounds) (string, []any) {
	q, args := bd.where(`SELECT `+versionCols+` FROM versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0`, []any{bucket}, "obj_key")
	return q + ` ORDER BY obj_key LIMIT ?`, append(args, bd.limit)
}

// versionsQuery lists up to n versions within bd, by key then newest
// first: one range scan of the versions_key index.
func versionsQuery(bucket string, bd bounds, n int64) (string, []any) {
	q, args := bd.where(`SELECT `+versionCols+` FROM versions WHERE bucket = ?`, []any{bucket}, "obj_key")
	return q + ` ORDER BY obj_key, seq DESC LIMIT ?`, append(args, n)
}

func filterPrefix(vs []Version, bd bounds) []Version {
	out := vs[:0]
	for _, v := range vs {
		if bd.match(v.Key) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ListVersions implements Store. A versionAfter that names no version of
// page.After returns ErrNoSuchVersion.
func (s *SQL) ListVersions(ctx context.Context, bucket string, page ListPage, versionAfter string) ([]Version, error) {
	bd := pageBounds(page)
	var out []Version
	err := s.read(ctx, func(t *txn) error {
		if err := needBucket(t, bucket); err != nil {
			return err
		}
		if versionAfter != "" {
			var seq int64
			err := t.scanOne(`SELECT seq FROM versions WHERE bucket = ? AND obj_key = ? AND version_id = ?`,
				[]any{bucket, page.After, versionAfter}, &seq)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNoSuchVersion
			}
			if err != nil {
				return err
			}
			// The rest of page.After's versions, if the key is in range.
			inRange := strings.HasPrefix(page.After, page.Prefix) && page.After >= page.From
			if inRange {
				vs, err := queryVersions(t, `SELECT `+versionCols+` FROM versions WHERE bucket = ? AND obj_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
					bucket, page.After, seq, bd.limit)
				if err != nil {
					return err
				}
				out = vs
			}
		}
		if bd.empty() || int64(len(out)) >= bd.limit {
			return nil
		}
		q, args := versionsQuery(bucket, bd, bd.limit-int64(len(out)))
		vs, err := queryVersions(t, q, args...)
		out = append(out, filterPrefix(vs, bd)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list versions %s: %w", bucket, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
