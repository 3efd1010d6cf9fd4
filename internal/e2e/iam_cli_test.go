package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// iamKey is an access key as `aws iam create-access-key` and `coffer admin
// account create` print it.
type iamKey struct{ AccessKeyId, SecretAccessKey string }

// cofferAccount is the JSON `coffer admin account create` prints (list
// prints the same without the key).
type cofferAccount struct {
	AccountId, AccountName, CanonicalUserId string
	iamKey
}

// accountID is a 12-digit AWS account ID.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// signedAs returns cli signing its requests with key instead of the
// credentials it had.
func signedAs(cli runner, key iamKey) runner {
	cli.env = append(append([]string{}, cli.env...),
		"AWS_ACCESS_KEY_ID="+key.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+key.SecretAccessKey)
	return cli
}

// newIAMUser has the account's root (root) create the IAM user name with
// an access key, and returns the AWS CLI acting as that user.
func newIAMUser(t *testing.T, root runner, name string) runner {
	t.Helper()
	root.Run(t, "iam", "create-user", "--user-name", name)
	var out struct{ AccessKey iamKey }
	decodeJSON(t, root.Run(t, "iam", "create-access-key", "--user-name", name), &out)
	return signedAs(root, out.AccessKey)
}

// operator is the operator's key: the first account's root user's.
var operator = iamKey{rootAccessKey, rootSecretKey}

// adminCLI runs `coffer admin …` signed with key in a clean environment.
func adminCLI(t *testing.T, srv *server, key iamKey) runner {
	t.Helper()
	home := t.TempDir()
	env := append(cleanEnv(home), "AWS_ACCESS_KEY_ID="+key.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+key.SecretAccessKey)
	return runner{path: srv.bin, env: env, dir: home}
}

// createAccount runs `coffer admin account create` against srv.
func createAccount(t *testing.T, srv *server, name string) cofferAccount {
	t.Helper()
	var acct cofferAccount
	decodeJSON(t, adminCLI(t, srv, operator).Run(t, "admin", "account", "create", "--name", name, "--endpoint", srv.Endpoint), &acct)
	if !accountID.MatchString(acct.AccountId) || acct.AccountName != name || len(acct.CanonicalUserId) != 64 ||
		!strings.HasPrefix(acct.AccessKeyId, "AKIA") || len(acct.SecretAccessKey) != 40 {
		t.Fatalf("coffer admin account create --name %s printed %+v", name, acct)
	}
	return acct
}

// listAccounts runs `coffer admin account list` against srv.
func listAccounts(t *testing.T, srv *server) map[string]cofferAccount {
	t.Helper()
	var accts []cofferAccount
	decodeJSON(t, adminCLI(t, srv, operator).Run(t, "admin", "account", "list", "--endpoint", srv.Endpoint), &accts)
	byName := map[string]cofferAccount{}
	for _, a := range accts {
		if a.AccessKeyId != "" || a.SecretAccessKey != "" {
			t.Errorf("coffer admin account list shows the keys of account %s", a.AccountName)
		}
		byName[a.AccountName] = a
	}
	return byName
}

// iamPolicy is a policy document made of statements (JSON objects).
func iamPolicy(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// anonymous is curl without credentials, run in its own directory.
func anonymous(t *testing.T) runner {
	t.Helper()
	work := t.TempDir()
	return runner{path: need(t, "curl"), env: cleanEnv(work), dir: work}
}

// curlStatus runs curl (anonymous) with args and returns the HTTP status
// code; the body is left in the file "body" of its directory.
func curlStatus(t *testing.T, curl runner, args ...string) string {
	t.Helper()
	base := []string{"--silent", "--output", filepath.Join(curl.dir, "body"), "--write-out", "%{http_code}"}
	return curl.Run(t, append(base, args...)...)
}

// wantDenied runs an AWS CLI command that must fail with AccessDenied.
func wantDenied(t *testing.T, cli runner, args ...string) {
	t.Helper()
	wantCLIError(t, cli, "AccessDenied", args...)
}

// wantObject reads s3://bucket/key with `aws s3api get-object` and checks
// its content.
func wantObject(t *testing.T, cli runner, bucket, key, want string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "object")
	cli.Run(t, "s3api", "get-object", "--bucket", bucket, "--key", key, out)
	if got := string(readFile(t, out)); got != want {
		t.Errorf("s3://%s/%s reads %q, want %q", bucket, key, got, want)
	}
}

// putText uploads text as s3://bucket/key with `aws s3api put-object`,
// with extra flags such as --tagging.
func putText(t *testing.T, cli runner, bucket, key, text string, extra ...string) {
	t.Helper()
	body := filepath.Join(t.TempDir(), "body")
	writeFile(t, body, []byte(text))
	cli.Run(t, append([]string{"s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body}, extra...)...)
}

// TestIAMAWSCLI runs the IAM commands of the AWS CLI as the account's
// root user against a coffer server and checks their JSON: users, access
// keys, inline, group and managed policies, and a simulation reaching
// each of IAM's three decisions.
func TestIAMAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	root := awsCLI(t, srv)

	var user struct {
		User struct{ UserName, UserId, Arn, Path string }
	}
	decodeJSON(t, root.Run(t, "iam", "create-user", "--user-name", "alice"), &user)
	account, ok := strings.CutSuffix(strings.TrimPrefix(user.User.Arn, "arn:aws:iam::"), ":user/alice")
	if user.User.UserName != "alice" || !ok || !accountID.MatchString(account) ||
		!strings.HasPrefix(user.User.UserId, "AIDA") || user.User.Path != "/" {
		t.Fatalf("create-user alice returned %+v, want UserName alice, Arn arn:aws:iam::<account>:user/alice, UserId AIDA…", user.User)
	}
	arn := func(kind, name string) string { return "arn:aws:iam::" + account + ":" + kind + "/" + name }
	if got := listAccounts(t, srv)["default"].AccountId; got != account {
		t.Errorf("coffer admin account list: the default account is %q, want %s (of the root's users)", got, account)
	}

	var key struct {
		AccessKey struct{ UserName, AccessKeyId, SecretAccessKey, Status string }
	}
	decodeJSON(t, root.Run(t, "iam", "create-access-key", "--user-name", "alice"), &key)
	if k := key.AccessKey; k.UserName != "alice" || !strings.HasPrefix(k.AccessKeyId, "AKIA") || len(k.AccessKeyId) != 20 ||
		len(k.SecretAccessKey) != 40 || k.Status != "Active" {
		t.Fatalf("create-access-key returned %+v", k)
	}
	alice := signedAs(root, iamKey{key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey})

	readReports := iamPolicy(`{"Sid":"ReadReports","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}`)
	root.Run(t, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "read-reports", "--policy-document", readReports)
	var inline struct {
		UserName, PolicyName string
		PolicyDocument       struct{ Statement []struct{ Sid string } }
	}
	decodeJSON(t, root.Run(t, "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "read-reports"), &inline)
	if inline.UserName != "alice" || inline.PolicyName != "read-reports" ||
		len(inline.PolicyDocument.Statement) != 1 || inline.PolicyDocument.Statement[0].Sid != "ReadReports" {
		t.Errorf("get-user-policy returned %+v, want the policy as put", inline)
	}

	var group struct {
		Group struct{ GroupName, GroupId, Arn string }
	}
	decodeJSON(t, root.Run(t, "iam", "create-group", "--group-name", "team"), &group)
	if g := group.Group; g.GroupName != "team" || g.Arn != arn("group", "team") || !strings.HasPrefix(g.GroupId, "AGPA") {
		t.Errorf("create-group team returned %+v, want Arn %s", g, arn("group", "team"))
	}
	root.Run(t, "iam", "add-user-to-group", "--user-name", "alice", "--group-name", "team")
	var groups struct {
		Groups []struct{ GroupName, Arn string }
	}
	decodeJSON(t, root.Run(t, "iam", "list-groups-for-user", "--user-name", "alice"), &groups)
	if len(groups.Groups) != 1 || groups.Groups[0].GroupName != "team" || groups.Groups[0].Arn != arn("group", "team") {
		t.Errorf("list-groups-for-user alice returned %+v, want only team", groups.Groups)
	}
	noDeletes := iamPolicy(`{"Sid":"NoBucketDeletes","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}`)
	root.Run(t, "iam", "put-group-policy", "--group-name", "team", "--policy-name", "no-bucket-deletes", "--policy-document", noDeletes)

	listAll := iamPolicy(`{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:DeleteBucket"],"Resource":"*"}`)
	var managed struct {
		Policy struct {
			PolicyName, Arn, DefaultVersionId string
			AttachmentCount                   int
		}
	}
	decodeJSON(t, root.Run(t, "iam", "create-policy", "--policy-name", "list-all", "--policy-document", listAll), &managed)
	if p := managed.Policy; p.PolicyName != "list-all" || p.Arn != arn("policy", "list-all") || p.DefaultVersionId != "v1" {
		t.Errorf("create-policy list-all returned %+v, want Arn %s, DefaultVersionId v1", p, arn("policy", "list-all"))
	}
	root.Run(t, "iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", arn("policy", "list-all"))

	var sim struct {
		EvaluationResults []struct {
			EvalActionName, EvalResourceName, EvalDecision string
			MatchedStatements                              []struct{ SourcePolicyId, SourcePolicyType string }
		}
	}
	decodeJSON(t, root.Run(t, "iam", "simulate-principal-policy", "--policy-source-arn", arn("user", "alice"),
		"--action-names", "s3:GetObject", "s3:PutObject", "s3:ListAllMyBuckets", "s3:DeleteBucket",
		"--resource-arns", "arn:aws:s3:::reports/2026/q1.csv"), &sim)
	want := map[string]struct{ decision, source string }{
		"s3:GetObject":        {"allowed", "read-reports"},           // the inline user policy
		"s3:PutObject":        {"implicitDeny", ""},                  // nothing allows it
		"s3:ListAllMyBuckets": {"allowed", "list-all"},               // the managed policy
		"s3:DeleteBucket":     {"explicitDeny", "no-bucket-deletes"}, // the group's Deny beats the managed Allow
	}
	if len(sim.EvaluationResults) != len(want) {
		t.Errorf("simulate-principal-policy returned %d results, want %d: %+v", len(sim.EvaluationResults), len(want), sim.EvaluationResults)
	}
	for _, r := range sim.EvaluationResults {
		w, ok := want[r.EvalActionName]
		if !ok || r.EvalDecision != w.decision || r.EvalResourceName != "arn:aws:s3:::reports/2026/q1.csv" {
			t.Errorf("simulate-principal-policy %s on %s: %s, want %s", r.EvalActionName, r.EvalResourceName, r.EvalDecision, w.decision)
			continue
		}
		if w.source != "" && (len(r.MatchedStatements) == 0 || r.MatchedStatements[0].SourcePolicyId != w.source) {
			t.Errorf("simulate-principal-policy %s: matched statements %+v, want one of policy %s", r.EvalActionName, r.MatchedStatements, w.source)
		}
	}

	// What the simulation says is what alice's own keys can do.
	root.Run(t, "s3", "mb", "s3://reports")
	putText(t, root, "reports", "2026/q1.csv", "q1")
	wantObject(t, alice, "reports", "2026/q1.csv", "q1")
	if out := alice.Run(t, "s3", "ls"); !strings.Contains(out, " reports\n") {
		t.Errorf("alice's aws s3 ls under list-all does not list bucket reports:\n%s", out)
	}
	wantDenied(t, alice, "s3api", "put-object", "--bucket", "reports", "--key", "2026/q2.csv")
	wantDenied(t, alice, "s3api", "delete-bucket", "--bucket", "reports")
	wantDenied(t, alice, "iam", "create-user", "--user-name", "mallory")

	t.Run("root's get-user", func(t *testing.T) {
		var me struct{ User map[string]any }
		decodeJSON(t, root.Run(t, "iam", "get-user"), &me)
		if me.User["Arn"] != "arn:aws:iam::"+account+":root" || me.User["UserId"] != account {
			t.Fatalf("the root's get-user returned %v, want Arn arn:aws:iam::%s:root and UserId %[2]s", me.User, account)
		}
		// IAM dates the root user with the account's creation.
		if date, _ := me.User["CreateDate"].(string); !strings.HasPrefix(date, "20") {
			t.Errorf("the root's get-user returns CreateDate %q; IAM gives the account's creation date", date)
		}
	})

	t.Run("simulation with condition keys", func(t *testing.T) {
		root.Run(t, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "from-office", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":"s3:GetBucketTagging","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`))
		simulate := func(context ...string) (decision string, missing []string) {
			t.Helper()
			var sim struct {
				EvaluationResults []struct {
					EvalDecision         string
					MissingContextValues []string
				}
			}
			args := []string{"iam", "simulate-principal-policy", "--policy-source-arn", arn("user", "alice"),
				"--action-names", "s3:GetBucketTagging", "--resource-arns", "arn:aws:s3:::reports"}
			if len(context) > 0 {
				args = append(append(args, "--context-entries"), context...)
			}
			decodeJSON(t, root.Run(t, args...), &sim)
			if len(sim.EvaluationResults) != 1 {
				t.Fatalf("simulate-principal-policy of one action on one resource: %+v", sim.EvaluationResults)
			}
			return sim.EvaluationResults[0].EvalDecision, sim.EvaluationResults[0].MissingContextValues
		}
		for _, tt := range []struct{ ip, want string }{{"10.1.2.3", "allowed"}, {"127.0.0.1", "implicitDeny"}} {
			if got, _ := simulate("ContextKeyName=aws:SourceIp,ContextKeyValues=" + tt.ip + ",ContextKeyType=ip"); got != tt.want {
				t.Errorf("simulate s3:GetBucketTagging allowed from 10.0.0.0/8 with aws:SourceIp %s: %s, want %s", tt.ip, got, tt.want)
			}
		}
		// alice's own request comes from 127.0.0.1.
		wantDenied(t, alice, "s3api", "get-bucket-tagging", "--bucket", "reports")

		got, missing := simulate()
		if got != "implicitDeny" {
			t.Errorf("simulate s3:GetBucketTagging allowed from 10.0.0.0/8 without aws:SourceIp: %s, want implicitDeny", got)
		}
		if len(missing) != 1 || !strings.EqualFold(missing[0], "aws:SourceIp") {
			t.Errorf("simulate without aws:SourceIp: MissingContextValues %q, want [aws:SourceIp]", missing)
		}
	})
}

// TestIAMPoliciesAWSCLI: IAM users, other accounts' root users and
// anonymous clients act with their own credentials through the AWS CLI
// and curl under identity and bucket policies, on one server. Each
// subtest is a scenario of its own buckets and users.
func TestIAMPoliciesAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	need(t, "aws")
	need(t, "curl")

	t.Run("user limited to one bucket", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://iam-solo-own")
		root.Run(t, "s3", "mb", "s3://iam-solo-other")
		putText(t, root, "iam-solo-other", "secret.txt", "not for solo")
		solo := newIAMUser(t, root, "solo")
		root.Run(t, "iam", "put-user-policy", "--user-name", "solo", "--policy-name", "own-bucket", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::iam-solo-own"}`,
			`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::iam-solo-own/*"}`))

		work := t.TempDir()
		local := filepath.Join(work, "data.bin")
		writeRandomFile(t, local, 11, 64<<10)
		solo.Run(t, "s3", "cp", "--no-progress", local, "s3://iam-solo-own/dir/data.bin")
		if got := parseS3Ls(t, solo.Run(t, "s3", "ls", "--recursive", "s3://iam-solo-own")); got["dir/data.bin"] != 64<<10 || len(got) != 1 {
			t.Errorf("solo's aws s3 ls --recursive of its bucket: %v, want dir/data.bin of 65536 bytes", got)
		}
		down := filepath.Join(work, "data.down")
		solo.Run(t, "s3", "cp", "--no-progress", "s3://iam-solo-own/dir/data.bin", down)
		assertSameFile(t, local, down)

		wantDenied(t, solo, "s3", "cp", "--no-progress", local, "s3://iam-solo-other/data.bin")
		wantDenied(t, solo, "s3", "ls", "s3://iam-solo-other")
		wantDenied(t, solo, "s3api", "get-object", "--bucket", "iam-solo-other", "--key", "secret.txt", filepath.Join(work, "secret"))
		wantDenied(t, solo, "s3", "ls")

		var p struct{ Policy struct{ Arn string } }
		decodeJSON(t, root.Run(t, "iam", "create-policy", "--policy-name", "solo-list-buckets", "--policy-document",
			iamPolicy(`{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}`)), &p)
		root.Run(t, "iam", "attach-user-policy", "--user-name", "solo", "--policy-arn", p.Policy.Arn)
		out := solo.Run(t, "s3", "ls")
		if !strings.Contains(out, " iam-solo-own\n") || !strings.Contains(out, " iam-solo-other\n") {
			t.Errorf("solo's aws s3 ls with s3:ListAllMyBuckets does not list the account's buckets:\n%s", out)
		}
		wantDenied(t, solo, "s3", "ls", "s3://iam-solo-other")
		solo.Run(t, "s3", "rm", "s3://iam-solo-own/dir/data.bin")

		// Allowed s3:ListBucket, solo may learn that a key is missing; a
		// reader allowed s3:GetObject only may not.
		wantCLIError(t, solo, "NoSuchKey", "s3api", "get-object", "--bucket", "iam-solo-own", "--key", "dir/data.bin", filepath.Join(work, "x"))
		t.Run("missing key without s3:ListBucket", func(t *testing.T) {
			reader := newIAMUser(t, root, "solo-reader")
			root.Run(t, "iam", "put-user-policy", "--user-name", "solo-reader", "--policy-name", "get", "--policy-document", iamPolicy(
				`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-solo-own/*"}`))
			args := []string{"s3api", "get-object", "--bucket", "iam-solo-own", "--key", "dir/data.bin", filepath.Join(work, "x")}
			_, stderr, err := reader.Try(t, args...)
			switch {
			case err == nil || !strings.Contains(stderr, "(AccessDenied)"):
				t.Errorf("%s: %v, want AccessDenied:\n%s", reader.cmdline(args), err, lastLines(stderr, 10))
			}
		})
	})

	t.Run("group shared folder", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://iam-group-shared")
		putText(t, root, "iam-group-shared", "private/payroll.csv", "payroll")
		root.Run(t, "iam", "create-group", "--group-name", "team")
		root.Run(t, "iam", "put-group-policy", "--group-name", "team", "--policy-name", "team-folder", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::iam-group-shared",`+
				`"Condition":{"StringLike":{"s3:prefix":["team/","team/*"]}}}`,
			`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::iam-group-shared/team/*"}`))
		ann := newIAMUser(t, root, "ann")
		ben := newIAMUser(t, root, "ben")
		cid := newIAMUser(t, root, "cid")
		root.Run(t, "iam", "add-user-to-group", "--user-name", "ann", "--group-name", "team")
		root.Run(t, "iam", "add-user-to-group", "--user-name", "ben", "--group-name", "team")

		putText(t, ann, "iam-group-shared", "team/plan.txt", "ann's plan")
		wantObject(t, ben, "iam-group-shared", "team/plan.txt", "ann's plan")
		putText(t, ben, "iam-group-shared", "team/notes.txt", "ben's notes")
		if got := parseS3Ls(t, ann.Run(t, "s3", "ls", "--recursive", "s3://iam-group-shared/team/")); len(got) != 2 ||
			got["team/plan.txt"] != 10 || got["team/notes.txt"] != 11 {
			t.Errorf("ann's aws s3 ls --recursive of team/: %v, want plan.txt and notes.txt", got)
		}
		wantDenied(t, ann, "s3api", "get-object", "--bucket", "iam-group-shared", "--key", "private/payroll.csv", filepath.Join(t.TempDir(), "x"))
		wantDenied(t, ann, "s3", "ls", "s3://iam-group-shared/private/")

		wantDenied(t, cid, "s3api", "get-object", "--bucket", "iam-group-shared", "--key", "team/plan.txt", filepath.Join(t.TempDir(), "x"))
		wantDenied(t, cid, "s3api", "put-object", "--bucket", "iam-group-shared", "--key", "team/cid.txt")
		wantDenied(t, cid, "s3", "ls", "s3://iam-group-shared/team/")

		root.Run(t, "iam", "remove-user-from-group", "--user-name", "ben", "--group-name", "team")
		wantDenied(t, ben, "s3api", "get-object", "--bucket", "iam-group-shared", "--key", "team/plan.txt", filepath.Join(t.TempDir(), "x"))
	})

	t.Run("another account under a condition", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		partner := createAccount(t, srv, "partner")
		if accts := listAccounts(t, srv); accts["partner"].AccountId != partner.AccountId || accts["default"].AccountId == partner.AccountId {
			t.Errorf("coffer admin account list: %+v, want partner with ID %s beside the default account", accts, partner.AccountId)
		}
		b := signedAs(root, partner.iamKey)

		root.Run(t, "s3", "mb", "s3://iam-cond-exchange")
		putText(t, root, "iam-cond-exchange", "shared.csv", "for partners", "--tagging", "share=yes")
		putText(t, root, "iam-cond-exchange", "internal.csv", "in house", "--tagging", "share=no")
		wantDenied(t, b, "s3api", "get-object", "--bucket", "iam-cond-exchange", "--key", "shared.csv", filepath.Join(t.TempDir(), "x"))

		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-cond-exchange", "--policy", iamPolicy(
			`{"Sid":"PartnerReadsSharedFromLoopback","Effect":"Allow",`+
				`"Principal":{"AWS":"arn:aws:iam::`+partner.AccountId+`:root"},`+
				`"Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-cond-exchange/*",`+
				`"Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"yes"},"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}`))
		wantObject(t, b, "iam-cond-exchange", "shared.csv", "for partners")
		wantDenied(t, b, "s3api", "get-object", "--bucket", "iam-cond-exchange", "--key", "internal.csv", filepath.Join(t.TempDir(), "x"))
		wantDenied(t, b, "s3", "ls", "s3://iam-cond-exchange")
		wantDenied(t, b, "s3api", "put-object", "--bucket", "iam-cond-exchange", "--key", "from-partner.csv")
		// The partner's root administers its own account, not this one.
		var user struct{ User struct{ Arn string } }
		decodeJSON(t, b.Run(t, "iam", "create-user", "--user-name", "partner-user"), &user)
		if want := "arn:aws:iam::" + partner.AccountId + ":user/partner-user"; user.User.Arn != want {
			t.Errorf("partner's create-user: Arn %s, want %s", user.User.Arn, want)
		}
		wantCLIError(t, root, "NoSuchEntity", "iam", "get-user", "--user-name", "partner-user")
		// Only the operator manages accounts.
		_, stderr, err := adminCLI(t, srv, partner.iamKey).Try(t, "admin", "account", "create", "--name", "rogue", "--endpoint", srv.Endpoint)
		if err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("coffer admin account create signed by the partner's root: %v, %s; want AccessDenied", err, stderr)
		}
	})

	t.Run("anonymous read-only", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		anon := anonymous(t)
		// The site's publisher is an IAM user who may create the bucket,
		// upload and set its policy, nothing else.
		publisher := newIAMUser(t, root, "publisher")
		root.Run(t, "iam", "put-user-policy", "--user-name", "publisher", "--policy-name", "publish", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":["s3:CreateBucket","s3:PutBucketPolicy","s3:GetBucketPolicy","s3:PutBucketPublicAccessBlock"],"Resource":"arn:aws:s3:::iam-anon-site"}`,
			`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::iam-anon-site/*"}`))
		publisher.Run(t, "s3", "mb", "s3://iam-anon-site")
		local := filepath.Join(t.TempDir(), "index.html")
		writeRandomFile(t, local, 66, 20<<10)
		publisher.Run(t, "s3", "cp", "--no-progress", local, "s3://iam-anon-site/index.html")
		obj := srv.Endpoint + "/iam-anon-site/index.html"
		if code := curlStatus(t, anon, obj); code != "403" {
			t.Fatalf("anonymous GET before the bucket policy: HTTP %s, want 403", code)
		}

		// New buckets block public policies, as on S3.
		wantDenied(t, publisher, "s3api", "put-bucket-policy", "--bucket", "iam-anon-site", "--policy", iamPolicy(
			`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-anon-site/*"}`))
		publisher.Run(t, "s3api", "delete-public-access-block", "--bucket", "iam-anon-site")
		publisher.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-anon-site", "--policy", iamPolicy(
			`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-anon-site/*"}`))
		if code := curlStatus(t, anon, obj); code != "200" {
			t.Fatalf("anonymous GET under a public-read policy: HTTP %s, want 200", code)
		}
		assertSameFile(t, local, filepath.Join(anon.dir, "body"))
		if code := curlStatus(t, anon, "--upload-file", local, srv.Endpoint+"/iam-anon-site/defaced.html"); code != "403" {
			t.Errorf("anonymous PUT under a public-read policy: HTTP %s, want 403", code)
		}
		if code := curlStatus(t, anon, srv.Endpoint+"/iam-anon-site?list-type=2"); code != "403" {
			t.Errorf("anonymous ListObjectsV2 under a public-read policy: HTTP %s, want 403", code)
		}
		if code := curlStatus(t, anon, "-X", "DELETE", obj); code != "403" {
			t.Errorf("anonymous DELETE under a public-read policy: HTTP %s, want 403", code)
		}
		t.Run("missing key without s3:ListBucket", func(t *testing.T) {
			code := curlStatus(t, anon, srv.Endpoint+"/iam-anon-site/missing.html")
			if code != "403" {
				t.Errorf("anonymous GET of a missing key under a GetObject-only policy: HTTP %s, want 403", code)
			}
		})
		// In its own account, an Allow on either side suffices: the
		// publisher reads through the bucket policy.
		wantObject(t, publisher, "iam-anon-site", "index.html", string(readFile(t, local)))
	})

	t.Run("source IP ranges", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		anon := anonymous(t)
		root.Run(t, "s3", "mb", "s3://iam-ip-range")
		putText(t, root, "iam-ip-range", "data.txt", "internal data")
		worker := newIAMUser(t, root, "worker")
		root.Run(t, "iam", "put-user-policy", "--user-name", "worker", "--policy-name", "rw", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::iam-ip-range/*"}`))
		denyOutside := func(cidr string) string {
			return iamPolicy(
				`{"Sid":"OnlyFrom","Effect":"Deny","Principal":"*","Action":"s3:*",`+
					`"Resource":["arn:aws:s3:::iam-ip-range","arn:aws:s3:::iam-ip-range/*"],`+
					`"Condition":{"NotIpAddress":{"aws:SourceIp":"`+cidr+`"}}}`,
				`{"Sid":"AnyoneReadsFrom","Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+
					`"Resource":"arn:aws:s3:::iam-ip-range/*","Condition":{"IpAddress":{"aws:SourceIp":"`+cidr+`"}}}`)
		}
		obj := srv.Endpoint + "/iam-ip-range/data.txt"

		// The test's clients connect from 127.0.0.1.
		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-ip-range", "--policy", denyOutside("127.0.0.0/8"))
		wantObject(t, worker, "iam-ip-range", "data.txt", "internal data")
		putText(t, worker, "iam-ip-range", "result.txt", "worker's result")
		if code := curlStatus(t, anon, obj); code != "200" {
			t.Errorf("anonymous GET from 127.0.0.1 allowed from 127.0.0.0/8: HTTP %s, want 200", code)
		}

		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-ip-range", "--policy", denyOutside("10.0.0.0/8"))
		wantDenied(t, worker, "s3api", "get-object", "--bucket", "iam-ip-range", "--key", "data.txt", filepath.Join(t.TempDir(), "x"))
		wantDenied(t, worker, "s3api", "put-object", "--bucket", "iam-ip-range", "--key", "result.txt")
		wantDenied(t, root, "s3api", "get-object", "--bucket", "iam-ip-range", "--key", "data.txt", filepath.Join(t.TempDir(), "x"))
		if code := curlStatus(t, anon, obj); code != "403" {
			t.Errorf("anonymous GET from 127.0.0.1 allowed only from 10.0.0.0/8: HTTP %s, want 403", code)
		}
		// Without trusted proxies, X-Forwarded-For is the client's word.
		if code := curlStatus(t, anon, "-H", "X-Forwarded-For: 10.1.2.3", obj); code != "403" {
			t.Errorf("anonymous GET from 127.0.0.1 claiming X-Forwarded-For 10.1.2.3: HTTP %s, want 403", code)
		}
		// The owner's root may still replace the policy that locks it out.
		root.Run(t, "s3api", "delete-bucket-policy", "--bucket", "iam-ip-range")
		wantObject(t, worker, "iam-ip-range", "result.txt", "worker's result")
	})

	t.Run("referer", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		anon := anonymous(t)
		root.Run(t, "s3", "mb", "s3://iam-referer")
		root.Run(t, "s3api", "delete-public-access-block", "--bucket", "iam-referer")
		putText(t, root, "iam-referer", "logo.png", "logo")
		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-referer", "--policy", iamPolicy(
			`{"Sid":"OnlyFromOurSite","Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+
				`"Resource":"arn:aws:s3:::iam-referer/*","Condition":{"StringLike":{"aws:Referer":"https://www.example.com/*"}}}`))
		obj := srv.Endpoint + "/iam-referer/logo.png"
		for _, tt := range []struct{ referer, want string }{
			{"https://www.example.com/index.html", "200"},
			{"https://www.example.com/", "200"},
			{"", "403"},
			{"https://evil.example.net/", "403"},
			{"https://www.example.com.evil.net/", "403"},
			{"http://www.example.com/index.html", "403"},
		} {
			args := []string{obj}
			if tt.referer != "" {
				args = append(args, "-e", tt.referer)
			}
			if code := curlStatus(t, anon, args...); code != tt.want {
				t.Errorf("anonymous GET with Referer %q: HTTP %s, want %s", tt.referer, code, tt.want)
			}
		}
		if body := string(readFile(t, filepath.Join(anon.dir, "body"))); !strings.Contains(body, "<Code>AccessDenied</Code>") {
			t.Errorf("anonymous GET with the wrong Referer: body %q, want an AccessDenied error", body)
		}
	})

	t.Run("deny binds the owner's root", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://iam-deny-root")
		putText(t, root, "iam-deny-root", "keep.txt", "kept")
		admin := newIAMUser(t, root, "bucket-admin")
		root.Run(t, "iam", "put-user-policy", "--user-name", "bucket-admin", "--policy-name", "all", "--policy-document", iamPolicy(
			`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::iam-deny-root","arn:aws:s3:::iam-deny-root/*"]}`))
		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "iam-deny-root", "--policy", iamPolicy(
			`{"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:DeleteBucketPolicy"],`+
				`"Resource":["arn:aws:s3:::iam-deny-root","arn:aws:s3:::iam-deny-root/*"]}`))

		wantDenied(t, root, "s3api", "delete-object", "--bucket", "iam-deny-root", "--key", "keep.txt")
		wantDenied(t, admin, "s3api", "delete-object", "--bucket", "iam-deny-root", "--key", "keep.txt")
		wantDenied(t, admin, "s3api", "delete-bucket-policy", "--bucket", "iam-deny-root")
		wantObject(t, admin, "iam-deny-root", "keep.txt", "kept")
		// The bucket owner's root can always read and remove the bucket
		// policy, even one that denies it: a bucket cannot be locked for good.
		root.Run(t, "s3api", "get-bucket-policy", "--bucket", "iam-deny-root")
		root.Run(t, "s3api", "delete-bucket-policy", "--bucket", "iam-deny-root")
		root.Run(t, "s3api", "delete-object", "--bucket", "iam-deny-root", "--key", "keep.txt")
		wantCLIError(t, root, "NoSuchKey", "s3api", "get-object", "--bucket", "iam-deny-root", "--key", "keep.txt", filepath.Join(t.TempDir(), "x"))
	})

	t.Run("malformed policies refused", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		root.Run(t, "s3", "mb", "s3://iam-malformed")
		root.Run(t, "iam", "create-user", "--user-name", "malformed-target")
		withPrincipal := iamPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)
		wantCLIError(t, root, "MalformedPolicyDocument", "iam", "put-user-policy", "--user-name", "malformed-target",
			"--policy-name", "p", "--policy-document", withPrincipal)
		wantCLIError(t, root, "NoSuchEntity", "iam", "get-user-policy", "--user-name", "malformed-target", "--policy-name", "p")
		wantCLIError(t, root, "MalformedPolicyDocument", "iam", "create-policy", "--policy-name", "p", "--policy-document", withPrincipal)
		wantCLIError(t, root, "MalformedPolicyDocument", "iam", "put-user-policy", "--user-name", "malformed-target",
			"--policy-name", "p", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)

		wantCLIError(t, root, "MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "iam-malformed", "--policy", iamPolicy(
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::iam-malformed/*"}`))
		wantCLIError(t, root, "MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "iam-malformed", "--policy", iamPolicy(
			`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-malformed/*"}`))
		wantCLIError(t, root, "NoSuchBucketPolicy", "s3api", "get-bucket-policy", "--bucket", "iam-malformed")
	})
}
