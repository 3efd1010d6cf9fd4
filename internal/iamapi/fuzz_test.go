package iamapi

import (
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/iam"
)

// FuzzQueryParsing: the helpers that read an IAM query form (list
// parameters, tags, the simulation parameters, required parameters,
// paging) on any form a client can send. Beyond not panicking: a list is
// the run of name.member.1, .2, … up to the first gap; a required
// parameter is refused exactly when it is empty; and paging returns at
// most MaxItems items, with a marker that continues where the page
// stopped until the items run out.
func FuzzQueryParsing(f *testing.F) {
	for _, seed := range []struct {
		body  string
		items uint16
	}{
		{"Action=SimulateCustomPolicy&Version=2010-05-08&ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=s3%3APutObject" +
			"&PolicyInputList.member.1=%7B%7D&ResourceArns.member.1=arn%3Aaws%3As3%3A%3A%3Ab%2F*&ResourcePolicy=%7B%7D&ResourceOwner=123456789012" +
			"&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyType=ip" +
			"&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1&ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2" +
			"&ContextEntries.member.2.ContextKeyName=AWS%3ASOURCEIP&ContextEntries.member.2.ContextKeyValues.member.1=10.0.0.3", 0},
		{"ActionNames.member.1=a&ActionNames.member.3=c&ContextEntries.member.2.ContextKeyName=k", 0},
		{"Action=CreateUser&UserName=alice&Tags.member.1.Key=team&Tags.member.1.Value=blue&Tags.member.2.Key=empty&Tags.member.4.Key=gap", 0},
		{"Action=ListUsers&MaxItems=2", 5},
		{"MaxItems=3&Marker=" + encodeMarker(4), 10},
		{"MaxItems=1000&Marker=" + encodeMarker(99), 1500},
		{"MaxItems=0", 3},
		{"MaxItems=1001", 3},
		{"MaxItems=%2B7", 20},
		{"MaxItems=x", 3},
		{"Marker=%25%25", 3},
		{"Marker=" + base64.RawURLEncoding.EncodeToString([]byte("-1")), 3},
		{"Marker=" + encodeMarker(1<<40), 3},
		{"UserName=&GroupName=g&=empty-name&a=1&a=2", 0},
	} {
		f.Add(seed.body, seed.items)
	}
	f.Fuzz(func(t *testing.T, body string, items uint16) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // the handler refuses it as InvalidInput
		}
		q := &request{r: httptest.NewRequest("POST", "/", nil), form: form}

		names := []string{"PolicyInputList", "ActionNames", "ResourceArns"}
		for k := range form {
			if name, ok := strings.CutSuffix(k, ".member.1"); ok {
				names = append(names, name)
			}
		}
		for _, name := range names {
			checkList(t, form, name, q.list(name))
		}
		checkTags(t, form, q.tagsParam())
		checkSimulation(t, q)
		checkRequired(t, q)
		checkPages(t, q, int(items)%2500)
	})
}

// members is the run name.member.1, name.member.2, … of form up to the
// first missing index.
func members(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		vs := form[name+".member."+strconv.Itoa(i)]
		if len(vs) == 0 {
			return out
		}
		out = append(out, vs[0])
	}
}

func checkList(t *testing.T, form url.Values, name string, got []string) {
	t.Helper()
	if want := members(form, name); !slices.Equal(got, want) {
		t.Fatalf("list(%q) = %q, want %q", name, got, want)
	}
}

func checkTags(t *testing.T, form url.Values, tags []iam.Tag) {
	t.Helper()
	for i, tag := range tags {
		p := "Tags.member." + strconv.Itoa(i+1)
		if _, ok := form[p+".Key"]; !ok || tag.Key != form.Get(p+".Key") || tag.Value != form.Get(p+".Value") {
			t.Fatalf("tag %d = %+v, form has key %q value %q", i+1, tag, form.Get(p+".Key"), form.Get(p+".Value"))
		}
	}
	if _, ok := form["Tags.member."+strconv.Itoa(len(tags)+1)+".Key"]; ok {
		t.Fatalf("tagsParam stopped after %d tags, before Tags.member.%d.Key", len(tags), len(tags)+1)
	}
}

func checkSimulation(t *testing.T, q *request) {
	t.Helper()
	sim, err := q.simulation()
	actions := members(q.form, "ActionNames")
	if (err != nil) != (len(actions) == 0) {
		t.Fatalf("simulation() error %v with ActionNames %q", err, actions)
	}
	if err != nil && iam.ErrorCode(err) != iam.CodeValidation {
		t.Fatalf("simulation() error %v, want %s", err, iam.CodeValidation)
	}
	if !slices.Equal(sim.Actions, actions) || !slices.Equal(sim.Policies, members(q.form, "PolicyInputList")) ||
		!slices.Equal(sim.Resources, members(q.form, "ResourceArns")) ||
		sim.ResourcePolicy != q.get("ResourcePolicy") || sim.ResourceOwner != q.get("ResourceOwner") || sim.CallerARN != q.get("CallerArn") {
		t.Fatalf("simulation() = %+v from %v", sim, q.form)
	}
	// Each context entry's values land under its key, lower-cased;
	// entries naming the same key add up.
	want := map[string][]string{}
	for i := 1; ; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i)
		if len(q.form[p+".ContextKeyName"]) == 0 {
			break
		}
		k := strings.ToLower(q.form.Get(p + ".ContextKeyName"))
		want[k] = append(want[k], members(q.form, p+".ContextKeyValues")...)
	}
	if len(sim.Context) != len(want) {
		t.Fatalf("simulation() context %q, want %q", sim.Context, want)
	}
	for k, vs := range want {
		if got, ok := sim.Context[k]; !ok || !slices.Equal(got, vs) {
			t.Fatalf("simulation() context %q = %q, want %q", k, got, vs)
		}
	}
}

func checkRequired(t *testing.T, q *request) {
	t.Helper()
	names := []string{"UserName"}
	for k := range q.form {
		if len(names) < 4 {
			names = append(names, k)
		}
	}
	got, err := q.required(names...)
	missingAt := slices.IndexFunc(names, func(n string) bool { return q.get(n) == "" })
	if missingAt >= 0 {
		if err == nil || iam.ErrorCode(err) != iam.CodeValidation || !strings.Contains(err.Error(), "'"+lowerFirst(names[missingAt])+"'") {
			t.Fatalf("required(%q) = %q, %v; want the ValidationError for %q", names, got, err, names[missingAt])
		}
		return
	}
	if err != nil || len(got) != len(names) {
		t.Fatalf("required(%q) = %q, %v", names, got, err)
	}
	for i, n := range names {
		if got[i] != q.get(n) {
			t.Fatalf("required(%q)[%d] = %q, want %q", names, i, got[i], q.get(n))
		}
	}
}

// checkPages pages through n items (item i is i) from the form's Marker,
// MaxItems items at a time.
func checkPages(t *testing.T, q *request, n int) {
	t.Helper()
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	limit, limitOK := 100, true
	if v := q.get("MaxItems"); v != "" {
		var err error
		limit, err = strconv.Atoi(v)
		limitOK = err == nil && 1 <= limit && limit <= 1000
	}
	start, startOK := 0, true
	if m := q.get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err == nil {
			start, err = strconv.Atoi(string(b))
		}
		startOK = err == nil && start >= 0
		start = min(start, n)
	}
	got, more, marker, err := page(q, items)
	if !limitOK || !startOK {
		if err == nil || iam.ErrorCode(err) != iam.CodeValidation {
			t.Fatalf("page with MaxItems %q, Marker %q = %v, %v; want a ValidationError", q.get("MaxItems"), q.get("Marker"), got, err)
		}
		return
	}
	// The pages from the marker on, each from the previous page's marker.
	form := url.Values{"MaxItems": q.form["MaxItems"]}
	next := &request{r: q.r, form: form}
	for {
		if err != nil {
			t.Fatalf("page from %d of %d, MaxItems %d: %v", start, n, limit, err)
		}
		if len(got) > limit || len(got) == 0 && start < n {
			t.Fatalf("page from %d of %d, MaxItems %d: %d items", start, n, limit, len(got))
		}
		for i, v := range got {
			if v != start+i {
				t.Fatalf("page from %d: item %d is %d", start, i, v)
			}
		}
		start += len(got)
		if more != (start < n) || more != (marker != "") {
			t.Fatalf("page up to %d of %d: more %t, marker %q", start, n, more, marker)
		}
		if !more {
			return
		}
		form.Set("Marker", marker)
		got, more, marker, err = page(next, items)
	}
}
