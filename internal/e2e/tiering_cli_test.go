package e2e

import (
	"path/filepath"
	"testing"
)

// itConfigurationJSON is the AWS CLI's JSON form of an Intelligent-Tiering
// configuration, as get-bucket-intelligent-tiering-configuration prints it
// and list-bucket-intelligent-tiering-configurations lists it.
type itConfigurationJSON struct {
	ID     string `json:"Id"`
	Status string
	Filter struct {
		Prefix string
		And    struct {
			Prefix string
			Tags   []struct{ Key, Value string }
		}
	}
	Tierings []struct {
		AccessTier string
		Days       int
	}
}

// TestIntelligentTieringAWSCLI: put-bucket-intelligent-tiering-configuration
// stores configurations that get- returns and list- lists; Days outside
// the tier's range is InvalidArgument; delete- removes one
// (NoSuchConfiguration after). An INTELLIGENT_TIERING object just written
// shows no archive status and reads back.
func TestIntelligentTieringAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	cli := awsCLI(t, srv)

	cli.Run(t, "s3", "mb", "s3://tiering-cli")
	archive := `{"Id":"archive-logs","Status":"Enabled","Filter":{"And":{"Prefix":"logs/","Tags":[{"Key":"class","Value":"log"}]}},` +
		`"Tierings":[{"AccessTier":"ARCHIVE_ACCESS","Days":90},{"AccessTier":"DEEP_ARCHIVE_ACCESS","Days":180}]}`
	cli.Run(t, "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "archive-logs",
		"--intelligent-tiering-configuration", archive)
	deep := `{"Id":"deep-all","Status":"Disabled","Tierings":[{"AccessTier":"DEEP_ARCHIVE_ACCESS","Days":365}]}`
	cli.Run(t, "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "deep-all",
		"--intelligent-tiering-configuration", deep)

	var got struct{ IntelligentTieringConfiguration itConfigurationJSON }
	decodeJSON(t, cli.Run(t, "s3api", "get-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "archive-logs"), &got)
	g := got.IntelligentTieringConfiguration
	if g.ID != "archive-logs" || g.Status != "Enabled" || g.Filter.And.Prefix != "logs/" || len(g.Filter.And.Tags) != 1 ||
		len(g.Tierings) != 2 || g.Tierings[0].AccessTier != "ARCHIVE_ACCESS" || g.Tierings[1].Days != 180 {
		t.Errorf("get-bucket-intelligent-tiering-configuration = %+v", g)
	}

	var list struct {
		IsTruncated                         bool
		IntelligentTieringConfigurationList []itConfigurationJSON
	}
	decodeJSON(t, cli.Run(t, "s3api", "list-bucket-intelligent-tiering-configurations", "--bucket", "tiering-cli"), &list)
	if list.IsTruncated || len(list.IntelligentTieringConfigurationList) != 2 ||
		list.IntelligentTieringConfigurationList[0].ID != "archive-logs" || list.IntelligentTieringConfigurationList[1].Status != "Disabled" {
		t.Errorf("list-bucket-intelligent-tiering-configurations = %+v", list)
	}

	tooSoon := `{"Id":"soon","Status":"Enabled","Tierings":[{"AccessTier":"ARCHIVE_ACCESS","Days":30}]}`
	wantCLIError(t, cli, "InvalidArgument", "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "soon",
		"--intelligent-tiering-configuration", tooSoon)

	cli.Run(t, "s3api", "delete-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "archive-logs")
	wantCLIError(t, cli, "NoSuchConfiguration", "s3api", "get-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "archive-logs")
	wantCLIError(t, cli, "NoSuchConfiguration", "s3api", "delete-bucket-intelligent-tiering-configuration", "--bucket", "tiering-cli", "--id", "archive-logs")
	decodeJSON(t, cli.Run(t, "s3api", "list-bucket-intelligent-tiering-configurations", "--bucket", "tiering-cli"), &list)
	if len(list.IntelligentTieringConfigurationList) != 1 || list.IntelligentTieringConfigurationList[0].ID != "deep-all" {
		t.Errorf("list after delete = %+v", list)
	}

	// An object in the class, just written: Frequent Access.
	work := t.TempDir()
	local := filepath.Join(work, "big.bin")
	writeRandomFile(t, local, 7, 200<<10)
	cli.Run(t, "s3", "cp", "--no-progress", "--storage-class", "INTELLIGENT_TIERING", local, "s3://tiering-cli/logs/big.bin")
	var head struct{ StorageClass, ArchiveStatus, Restore string }
	decodeJSON(t, cli.Run(t, "s3api", "head-object", "--bucket", "tiering-cli", "--key", "logs/big.bin"), &head)
	if head.StorageClass != "INTELLIGENT_TIERING" || head.ArchiveStatus != "" || head.Restore != "" {
		t.Errorf("head-object = %+v, want INTELLIGENT_TIERING without archive status", head)
	}
	down := filepath.Join(work, "down.bin")
	cli.Run(t, "s3api", "get-object", "--bucket", "tiering-cli", "--key", "logs/big.bin", down)
	assertSameFile(t, local, down)
	wantCLIError(t, cli, "InvalidObjectState", "s3api", "restore-object", "--bucket", "tiering-cli", "--key", "logs/big.bin",
		"--restore-request", `{"GlacierJobParameters":{"Tier":"Standard"}}`)
}
