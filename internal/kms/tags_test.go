package kms

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestTagsRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.createKey(t)
	wantErr(t, f.s.TagResource(ctx, m.KeyID, []Tag{{"team", "storage"}, {"env", "dev"}}), nil)
	wantErr(t, f.s.TagResource(ctx, m.Arn, []Tag{{"env", "prod"}, {"cost", ""}}), nil)
	wantErr(t, f.s.UntagResource(ctx, m.KeyID, []string{"team", "absent"}), nil)
	f.reopen(t)
	out, err := f.s.ListResourceTags(ctx, m.KeyID, 0, "")
	wantErr(t, err, nil)
	want := []Tag{{"cost", ""}, {"env", "prod"}}
	if !reflect.DeepEqual(out.Tags, want) || out.Truncated {
		t.Fatalf("tags = %+v", out)
	}

	// Paging.
	page, err := f.s.ListResourceTags(ctx, m.KeyID, 1, "")
	wantErr(t, err, nil)
	if len(page.Tags) != 1 || !page.Truncated || page.Tags[0].TagKey != "cost" {
		t.Fatalf("page 1 = %+v", page)
	}
	page, err = f.s.ListResourceTags(ctx, m.KeyID, 1, page.NextMarker)
	wantErr(t, err, nil)
	if len(page.Tags) != 1 || page.Truncated || page.Tags[0].TagKey != "env" {
		t.Fatalf("page 2 = %+v", page)
	}
}

func TestTagLimits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.createKey(t)
	tests := []struct {
		name string
		tags []Tag
		want error
	}{
		{"longest key and value", []Tag{{strings.Repeat("k", 128), strings.Repeat("v", 256)}}, nil},
		{"empty value", []Tag{{"k", ""}}, nil},
		{"no tags", nil, ErrValidation},
		{"empty key", []Tag{{"", "v"}}, ErrTag},
		{"key too long", []Tag{{strings.Repeat("k", 129), "v"}}, ErrTag},
		{"value too long", []Tag{{"k", strings.Repeat("v", 257)}}, ErrTag},
		{"reserved prefix", []Tag{{"aws:createdBy", "v"}}, ErrTag},
		{"duplicate key", []Tag{{"a", "1"}, {"a", "2"}}, ErrTag},
		{"over 50 in all", manyTags(MaxTags), ErrTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, f.s.TagResource(ctx, m.KeyID, tt.tags), tt.want)
		})
	}
	wantErr(t, f.s.UntagResource(ctx, m.KeyID, nil), ErrValidation)
	wantErr(t, f.s.UntagResource(ctx, m.KeyID, []string{""}), ErrValidation)
	wantErr(t, f.s.TagResource(ctx, "alias/x", []Tag{{"a", "b"}}), ErrNotFound)
	_, err := f.s.ListResourceTags(ctx, m.KeyID, 51, "")
	wantErr(t, err, ErrValidation)
	_, err = f.s.ListResourceTags(ctx, m.KeyID, 0, "!")
	wantErr(t, err, ErrInvalidMarker)

	_, err = f.s.ScheduleKeyDeletion(ctx, m.KeyID, 7)
	wantErr(t, err, nil)
	wantErr(t, f.s.TagResource(ctx, m.KeyID, []Tag{{"a", "b"}}), ErrInvalidState)
}
