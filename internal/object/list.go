package object

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coffer-project/coffer/internal/meta"
)

// listMax clamps a client's max-keys: negative or above the S3 limit means
// the limit.
func listMax(n int) int {
	if n < 0 || n > MaxListKeys {
		return MaxListKeys
	}
	return n
}

// ListObjects lists latest versions (skipping keys whose latest version is a
// delete marker) in key order, grouping keys that contain Delimiter after
// Prefix into CommonPrefixes. MaxKeys counts objects and prefixes; 0 gives
// an empty, untruncated page. NextAfter is the last key or common prefix
// returned; passing it back as After continues the listing.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	var res ListResult
	if in.MaxKeys == 0 {
		_, err := s.bucket(ctx, in.Bucket)
		return res, err
	}
	st, err := listGrouped(in.Prefix, in.Delimiter, in.After, "", listMax(in.MaxKeys),
		func(page meta.ListPage, _ string) ([]meta.Version, error) {
			return s.Meta.ListLatest(ctx, in.Bucket, page)
		},
		func(v meta.Version) (string, string) { return v.Key, "" },
		func(v meta.Version) { res.Objects = append(res.Objects, v) },
		func(p string) { res.CommonPrefixes = append(res.CommonPrefixes, p) })
	if err != nil {
		return ListResult{}, fromMeta(err)
	}
	res.IsTruncated = st.truncated
	if st.truncated {
		res.NextAfter = st.nextKey
	}
	return res, nil
}

// ListObjectVersions lists all versions and delete markers, by key and then
// newest first, with the same grouping and counting as ListObjects. When
// truncated, NextKeyMarker/NextVersionIDMarker name the last version
// returned, or NextKeyMarker the last common prefix (version marker "").
// A VersionIDMarker without KeyMarker, or naming no version of KeyMarker,
// is ErrInvalidArgument.
func (s *Service) ListObjectVersions(ctx context.Context, in VersionListInput) (VersionListResult, error) {
	var res VersionListResult
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return res, fmt.Errorf("%w: a version-id marker cannot be specified without a key marker", ErrInvalidArgument)
	}
	if in.MaxKeys == 0 {
		_, err := s.bucket(ctx, in.Bucket)
		return res, err
	}
	st, err := listGrouped(in.Prefix, in.Delimiter, in.KeyMarker, in.VersionIDMarker, listMax(in.MaxKeys),
		func(page meta.ListPage, versionAfter string) ([]meta.Version, error) {
			return s.Meta.ListVersions(ctx, in.Bucket, page, versionAfter)
		},
		func(v meta.Version) (string, string) { return v.Key, v.VersionID },
		func(v meta.Version) { res.Versions = append(res.Versions, v) },
		func(p string) { res.CommonPrefixes = append(res.CommonPrefixes, p) })
	if errors.Is(err, meta.ErrNoSuchVersion) {
		return VersionListResult{}, fmt.Errorf("%w: invalid version id marker %q: %w", ErrInvalidArgument, in.VersionIDMarker, err)
	}
	if err != nil {
		return VersionListResult{}, fromMeta(err)
	}
	res.IsTruncated = st.truncated
	if st.truncated {
		res.NextKeyMarker, res.NextVersionIDMarker = st.nextKey, st.nextSub
	}
	return res, nil
}

// ListMultipartUploads lists in-progress uploads by key, then initiation
// time, with the same grouping and counting as ListObjects.
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (ListUploadsResult, error) {
	var res ListUploadsResult
	if in.MaxUploads == 0 {
		_, err := s.bucket(ctx, in.Bucket)
		return res, err
	}
	st, err := listGrouped(in.Prefix, in.Delimiter, in.KeyMarker, in.UploadIDMarker, listMax(in.MaxUploads),
		func(page meta.ListPage, uploadAfter string) ([]meta.Upload, error) {
			return s.Meta.ListUploads(ctx, in.Bucket, page, uploadAfter)
		},
		func(u meta.Upload) (string, string) { return u.Key, u.UploadID },
		func(u meta.Upload) { res.Uploads = append(res.Uploads, u) },
		func(p string) { res.CommonPrefixes = append(res.CommonPrefixes, p) })
	if err != nil {
		return ListUploadsResult{}, fromMeta(err)
	}
	res.IsTruncated = st.truncated
	if st.truncated {
		res.NextKeyMarker, res.NextUploadIDMarker = st.nextKey, st.nextSub
	}
	return res, nil
}

// listState is where a grouped listing stopped.
type listState struct {
	truncated        bool
	nextKey, nextSub string // last item returned: key (or common prefix) and version/upload ID
}

// listGrouped pages through a store listing that starts after (marker,
// markerSub), emitting up to max items and common prefixes. A key that
// contains delim after prefix is reported once as its common prefix, and
// the store listing then jumps past every key sharing it. A common prefix
// not after marker was returned by an earlier page and is skipped.
func listGrouped[T any](prefix, delim, marker, markerSub string, max int,
	fetch func(page meta.ListPage, sub string) ([]T, error),
	ident func(T) (key, sub string),
	addItem func(T), addPrefix func(string),
) (listState, error) {
	var st listState
	count := 0
	after, sub, from := marker, markerSub, ""
	for {
		limit := max - count + 1 // one more than fits tells whether more follow
		items, err := fetch(meta.ListPage{Prefix: prefix, After: after, From: from, Limit: limit}, sub)
		if err != nil {
			return st, err
		}
		jumped := false
		for _, it := range items {
			key, itemSub := ident(it)
			if cp, ok := commonPrefix(prefix, delim, key); ok {
				if cp > marker {
					if count == max {
						st.truncated = true
						return st, nil
					}
					addPrefix(cp)
					count++
					st.nextKey, st.nextSub = cp, ""
				}
				next, ok := prefixSuccessor(cp)
				if !ok {
					return st, nil // nothing sorts after this prefix
				}
				after, sub, from = "", "", next
				jumped = true
				break
			}
			if count == max {
				st.truncated = true
				return st, nil
			}
			addItem(it)
			count++
			st.nextKey, st.nextSub = key, itemSub
			after, sub = key, itemSub
		}
		if !jumped && len(items) < limit {
			return st, nil
		}
	}
}

// commonPrefix returns the part of key up to and including the first delim
// after prefix, if there is one.
func commonPrefix(prefix, delim, key string) (string, bool) {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delim)], true
}

// prefixSuccessor returns the smallest string greater than every string
// starting with p: p with its last byte below 0xFF incremented and the rest
// cut. Keys are UTF-8, which never contains 0xFF, so in practice this is
// p's last byte plus one.
func prefixSuccessor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
