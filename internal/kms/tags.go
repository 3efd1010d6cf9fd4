package kms

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tag limits as AWS KMS documents them.
const (
	MaxTagKeyLen         = 128
	MaxTagValueLen       = 256
	defaultListTagsLimit = 50
	maxListTagsLimit     = 50
	reservedTagPrefix    = "aws:"
	tagLengthRule        = "tag keys have 1–128 and values 0–256 characters"
)

func checkTagKey(key string) error {
	n := utf8.RuneCountInString(key)
	switch {
	case n < 1 || n > MaxTagKeyLen || !utf8.ValidString(key):
		return fmt.Errorf("kms: tag key %q: %s: %w", key, tagLengthRule, ErrTag)
	case strings.HasPrefix(key, reservedTagPrefix):
		return fmt.Errorf("kms: tag keys beginning with aws: are reserved: %w", ErrTag)
	}
	return nil
}

func checkTag(t Tag) error {
	if err := checkTagKey(t.TagKey); err != nil {
		return err
	}
	if utf8.RuneCountInString(t.TagValue) > MaxTagValueLen || !utf8.ValidString(t.TagValue) {
		return fmt.Errorf("kms: tag value of %q: %s: %w", t.TagKey, tagLengthRule, ErrTag)
	}
	return nil
}

func decodeTags(k *keyRow) ([]Tag, error) {
	var tags []Tag
	if err := json.Unmarshal([]byte(k.tags), &tags); err != nil {
		return nil, fmt.Errorf("kms: corrupt tags of %s: %w", k.id, err)
	}
	return tags, nil
}

// TagResource adds tags to the key named by id or ARN, replacing the value
// of a tag key it already has. The key may then have at most MaxTags tags.
// Errors: ErrNotFound, ErrValidation, ErrTag (invalid, reserved, duplicate
// or too many tags), ErrInvalidState (pending deletion), ErrAccessDenied
// (an AWS managed key).
func (s *Store) TagResource(ctx context.Context, ref string, tags []Tag) error {
	if len(tags) == 0 {
		return fmt.Errorf("kms: Tags is required: %w", ErrValidation)
	}
	_, err := s.mutateKey(ctx, "kms:TagResource", ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		have, err := decodeTags(k)
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(tags))
		for _, t := range tags {
			if err := checkTag(t); err != nil {
				return err
			}
			if seen[t.TagKey] {
				return fmt.Errorf("kms: duplicate tag key %q: %w", t.TagKey, ErrTag)
			}
			seen[t.TagKey] = true
			if i := slices.IndexFunc(have, func(h Tag) bool { return h.TagKey == t.TagKey }); i >= 0 {
				have[i].TagValue = t.TagValue
			} else {
				have = append(have, t)
			}
		}
		k.tags, err = encodeTags(have)
		return err
	})
	return err
}

// UntagResource removes the named tag keys from the key (keys it does not
// have are ignored). Errors: ErrNotFound, ErrValidation, ErrTag,
// ErrInvalidState (pending deletion), ErrAccessDenied (an AWS managed
// key).
func (s *Store) UntagResource(ctx context.Context, ref string, tagKeys []string) error {
	if len(tagKeys) == 0 {
		return fmt.Errorf("kms: TagKeys is required: %w", ErrValidation)
	}
	for _, key := range tagKeys {
		if n := utf8.RuneCountInString(key); n < 1 || n > MaxTagKeyLen {
			return fmt.Errorf("kms: tag key %q: %s: %w", key, tagLengthRule, ErrValidation)
		}
	}
	_, err := s.mutateKey(ctx, "kms:UntagResource", ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		have, err := decodeTags(k)
		if err != nil {
			return err
		}
		have = slices.DeleteFunc(have, func(t Tag) bool { return slices.Contains(tagKeys, t.TagKey) })
		k.tags, err = encodeTags(have)
		return err
	})
	return err
}

// ListResourceTagsOutput is a page of tags, sorted by tag key; NextMarker
// is set when Truncated.
type ListResourceTagsOutput struct {
	Tags       []Tag
	NextMarker string
	Truncated  bool
}

// ListResourceTags lists the key's tags, limit 1–50 (0: 50) per page.
// Errors: ErrNotFound, ErrValidation, ErrInvalidMarker.
func (s *Store) ListResourceTags(ctx context.Context, ref string, limit int, marker string) (ListResourceTagsOutput, error) {
	var out ListResourceTagsOutput
	n, after, err := startPage(limit, defaultListTagsLimit, maxListTagsLimit, marker)
	if err != nil {
		return out, err
	}
	tags, err := s.KeyTags(ctx, ref)
	if err != nil {
		return out, err
	}
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.TagKey, b.TagKey) })
	if after != "" {
		i, _ := slices.BinarySearchFunc(tags, after, func(t Tag, key string) int { return strings.Compare(t.TagKey, key) })
		for i < len(tags) && tags[i].TagKey <= after {
			i++
		}
		tags = tags[i:]
	}
	if tags == nil {
		tags = []Tag{}
	}
	out.Tags, out.NextMarker = endPage(tags, n, func(t Tag) string { return t.TagKey })
	out.Truncated = out.NextMarker != ""
	return out, nil
}
