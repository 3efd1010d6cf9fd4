package lifecycle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// tieringConfig is an enabled configuration for all keys with the given
// archive tiers.
func tieringConfig(id string, tierings ...Tiering) TieringConfiguration {
	return TieringConfiguration{ID: id, Status: StatusEnabled, Tierings: tierings}
}

func TestTieringValidate(t *testing.T) {
	archive := func(d int) Tiering { return Tiering{AccessTier: AccessTierArchive, Days: d} }
	deep := func(d int) Tiering { return Tiering{AccessTier: AccessTierDeepArchive, Days: d} }
	with := func(c TieringConfiguration, edit func(*TieringConfiguration)) TieringConfiguration {
		edit(&c)
		return c
	}
	base := tieringConfig("cfg-1", archive(90))
	tests := []struct {
		name    string
		cfg     TieringConfiguration
		wantErr error // nil: valid
		wantMsg string
	}{
		{name: "archive at the minimum", cfg: base},
		{name: "deep archive at the minimum", cfg: tieringConfig("a", deep(180))},
		{name: "both, at the maximum", cfg: tieringConfig("a", archive(365), deep(730))},
		{name: "disabled", cfg: with(base, func(c *TieringConfiguration) { c.Status = StatusDisabled })},
		{name: "prefix filter", cfg: with(base, func(c *TieringConfiguration) { c.Filter = &TieringFilter{Prefix: ptr("logs/")} })},
		{name: "tag filter", cfg: with(base, func(c *TieringConfiguration) { c.Filter = &TieringFilter{Tag: &Tag{Key: "k", Value: "v"}} })},
		{name: "and filter", cfg: with(base, func(c *TieringConfiguration) {
			c.Filter = &TieringFilter{And: &TieringAnd{Prefix: "p/", Tags: []Tag{{Key: "a"}, {Key: "b", Value: "2"}}}}
		})},
		{name: "empty filter", cfg: with(base, func(c *TieringConfiguration) { c.Filter = &TieringFilter{} })},
		{name: "ID of every allowed character", cfg: with(base, func(c *TieringConfiguration) { c.ID = "Az09.-_" })},
		{name: "ID of 64 characters", cfg: with(base, func(c *TieringConfiguration) { c.ID = strings.Repeat("x", 64) })},

		{name: "no ID", cfg: with(base, func(c *TieringConfiguration) { c.ID = "" }), wantErr: ErrMalformed},
		{name: "ID too long", cfg: with(base, func(c *TieringConfiguration) { c.ID = strings.Repeat("x", 65) }), wantErr: ErrInvalidArgument},
		{name: "ID with a space", cfg: with(base, func(c *TieringConfiguration) { c.ID = "a b" }), wantErr: ErrInvalidArgument,
			wantMsg: "the configuration id may contain only letters, numbers, periods, dashes and underscores"},
		{name: "bad status", cfg: with(base, func(c *TieringConfiguration) { c.Status = "enabled" }), wantErr: ErrMalformed},
		{name: "no tierings", cfg: tieringConfig("a"), wantErr: ErrMalformed},
		{name: "unknown access tier", cfg: tieringConfig("a", Tiering{AccessTier: "ARCHIVE_INSTANT_ACCESS", Days: 90}), wantErr: ErrMalformed},
		{name: "archive too soon", cfg: tieringConfig("a", archive(89)), wantErr: ErrInvalidArgument,
			wantMsg: "Days for AccessTier ARCHIVE_ACCESS must be between 90 and 730"},
		{name: "archive too late", cfg: tieringConfig("a", archive(731)), wantErr: ErrInvalidArgument},
		{name: "deep archive too soon", cfg: tieringConfig("a", deep(179)), wantErr: ErrInvalidArgument,
			wantMsg: "Days for AccessTier DEEP_ARCHIVE_ACCESS must be between 180 and 730"},
		{name: "deep archive too late", cfg: tieringConfig("a", deep(731)), wantErr: ErrInvalidArgument},
		{name: "a tier twice", cfg: tieringConfig("a", archive(90), archive(100)), wantErr: ErrInvalidArgument},
		{name: "deep archive before archive", cfg: tieringConfig("a", archive(200), deep(180)), wantErr: ErrInvalidArgument},
		{name: "deep archive with archive", cfg: tieringConfig("a", archive(180), deep(180)), wantErr: ErrInvalidArgument},
		{name: "two filter predicates", cfg: with(base, func(c *TieringConfiguration) {
			c.Filter = &TieringFilter{Prefix: ptr("p"), Tag: &Tag{Key: "k"}}
		}), wantErr: ErrMalformed},
		{name: "tag without key", cfg: with(base, func(c *TieringConfiguration) { c.Filter = &TieringFilter{Tag: &Tag{Value: "v"}} }), wantErr: ErrMalformed},
		{name: "duplicate tag keys", cfg: with(base, func(c *TieringConfiguration) {
			c.Filter = &TieringFilter{And: &TieringAnd{Tags: []Tag{{Key: "a"}, {Key: "a", Value: "2"}}}}
		}), wantErr: ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Validate = %v, want valid", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			case tt.wantMsg != "" && !strings.HasSuffix(err.Error(), ": "+tt.wantMsg):
				t.Fatalf("Validate = %q, want the message %q", err, tt.wantMsg)
			}
		})
	}
}

func TestValidTieringID(t *testing.T) {
	for _, id := range []string{"", "a/b", strings.Repeat("i", 65), "é"} {
		if err := ValidTieringID(id); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ValidTieringID(%q) = %v, want ErrInvalidArgument", id, err)
		}
	}
	if err := ValidTieringID("Archive-1"); err != nil {
		t.Errorf("ValidTieringID(Archive-1) = %v", err)
	}
}

func TestTieringMatches(t *testing.T) {
	tags := map[string]string{"team": "data", "env": "prod"}
	tests := []struct {
		name   string
		filter *TieringFilter
		key    string
		want   bool
	}{
		{"no filter", nil, "any", true},
		{"prefix", &TieringFilter{Prefix: ptr("logs/")}, "logs/a", true},
		{"other prefix", &TieringFilter{Prefix: ptr("logs/")}, "img/a", false},
		{"tag", &TieringFilter{Tag: &Tag{Key: "team", Value: "data"}}, "k", true},
		{"tag of another value", &TieringFilter{Tag: &Tag{Key: "team", Value: "web"}}, "k", false},
		{"and", &TieringFilter{And: &TieringAnd{Prefix: "logs/", Tags: []Tag{{Key: "team", Value: "data"}, {Key: "env", Value: "prod"}}}}, "logs/x", true},
		{"and missing a tag", &TieringFilter{And: &TieringAnd{Tags: []Tag{{Key: "team", Value: "data"}, {Key: "owner", Value: "x"}}}}, "logs/x", false},
		{"and with another prefix", &TieringFilter{And: &TieringAnd{Prefix: "img/", Tags: []Tag{{Key: "team", Value: "data"}}}}, "logs/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := TieringConfiguration{Filter: tt.filter}
			if got := c.Matches(tt.key, tags); got != tt.want {
				t.Errorf("Matches(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestAccessTier(t *testing.T) {
	accessed := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	big := int64(MinMonitoredSize)
	archive90 := tieringConfig("archive", Tiering{AccessTier: AccessTierArchive, Days: 90})
	both := tieringConfig("both", Tiering{AccessTier: AccessTierArchive, Days: 120}, Tiering{AccessTier: AccessTierDeepArchive, Days: 200})
	deepOnly := tieringConfig("deep", Tiering{AccessTier: AccessTierDeepArchive, Days: 180})
	disabled := archive90
	disabled.Status = StatusDisabled
	logsOnly := archive90
	logsOnly.Filter = &TieringFilter{Prefix: ptr("logs/")}
	tagged := archive90
	tagged.Filter = &TieringFilter{Tag: &Tag{Key: "archive", Value: "yes"}}
	tests := []struct {
		name    string
		configs []TieringConfiguration
		key     string
		tags    map[string]string
		size    int64
		idle    time.Duration
		want    string
	}{
		{name: "just accessed", size: big, want: AccessTierFrequent},
		{name: "29 days and 23 hours", size: big, idle: 30*day - time.Hour, want: AccessTierFrequent},
		{name: "30 days", size: big, idle: 30 * day, want: AccessTierInfrequent},
		{name: "89 days", size: big, idle: 89 * day, want: AccessTierInfrequent},
		{name: "90 days", size: big, idle: 90 * day, want: AccessTierArchiveInstant},
		{name: "years", size: big, idle: 1000 * day, want: AccessTierArchiveInstant},
		{name: "small object never moves", size: big - 1, idle: 1000 * day, configs: []TieringConfiguration{archive90}, want: AccessTierFrequent},
		{name: "empty object never moves", idle: 1000 * day, want: AccessTierFrequent},
		{name: "archive opted in at 90", configs: []TieringConfiguration{archive90}, size: big, idle: 90 * day, want: AccessTierArchive},
		{name: "archive opted in, 89 days", configs: []TieringConfiguration{archive90}, size: big, idle: 89 * day, want: AccessTierInfrequent},
		{name: "archive at 120: instant before", configs: []TieringConfiguration{both}, size: big, idle: 119 * day, want: AccessTierArchiveInstant},
		{name: "archive at 120", configs: []TieringConfiguration{both}, size: big, idle: 120 * day, want: AccessTierArchive},
		{name: "deep archive at 200", configs: []TieringConfiguration{both}, size: big, idle: 200 * day, want: AccessTierDeepArchive},
		{name: "deep only: instant before", configs: []TieringConfiguration{deepOnly}, size: big, idle: 179 * day, want: AccessTierArchiveInstant},
		{name: "deep only", configs: []TieringConfiguration{deepOnly}, size: big, idle: 180 * day, want: AccessTierDeepArchive},
		{name: "disabled configuration", configs: []TieringConfiguration{disabled}, size: big, idle: 100 * day, want: AccessTierArchiveInstant},
		{name: "prefix matches", configs: []TieringConfiguration{logsOnly}, key: "logs/a", size: big, idle: 100 * day, want: AccessTierArchive},
		{name: "prefix does not match", configs: []TieringConfiguration{logsOnly}, key: "img/a", size: big, idle: 100 * day, want: AccessTierArchiveInstant},
		{name: "tag matches", configs: []TieringConfiguration{tagged}, tags: map[string]string{"archive": "yes"}, size: big, idle: 100 * day, want: AccessTierArchive},
		{name: "tag does not match", configs: []TieringConfiguration{tagged}, tags: map[string]string{"archive": "no"}, size: big, idle: 100 * day, want: AccessTierArchiveInstant},
		{name: "fewest days of matching configurations", configs: []TieringConfiguration{both, archive90, deepOnly}, size: big, idle: 95 * day, want: AccessTierArchive},
		{name: "deep archive from another configuration", configs: []TieringConfiguration{both, deepOnly}, size: big, idle: 185 * day, want: AccessTierDeepArchive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = "k"
			}
			o := TieringObject{Key: key, Tags: tt.tags, Size: tt.size, LastAccess: accessed}
			if got := AccessTier(tt.configs, o, accessed.Add(tt.idle)); got != tt.want {
				t.Errorf("AccessTier = %s, want %s", got, tt.want)
			}
		})
	}
}
