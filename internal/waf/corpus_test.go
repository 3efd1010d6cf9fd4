package waf

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

func readLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func loadDefaultRules(t testing.TB) *WebACL {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "default-sqli-xss.json"))
	if err != nil {
		t.Fatal(err)
	}
	return mustLoad(t, string(doc), Sets{}, Options{})
}

// TestDetectionCorpus measures the default SQLi/XSS rules
// (testdata/default-sqli-xss.json) against the corpus: each line is sent as
// the value of a query argument.
func TestDetectionCorpus(t *testing.T) {
	acl := loadDefaultRules(t)
	attacks := readLines(t, "attacks.txt")
	benign := readLines(t, "benign.txt")
	if len(attacks) < 500 || len(benign) < 500 {
		t.Fatalf("corpus too small: %d attacks, %d benign", len(attacks), len(benign))
	}
	blocked := func(v string) bool { return acl.Evaluate(get("/search", "q="+v)).Action == Block }
	var detected, falsePos int
	for _, a := range attacks {
		if blocked(a) {
			detected++
		} else if testing.Verbose() {
			t.Logf("missed: %s", a)
		}
	}
	for _, b := range benign {
		if blocked(b) {
			falsePos++
			t.Logf("false positive: %s", b)
		}
	}
	detection := 100 * float64(detected) / float64(len(attacks))
	fp := 100 * float64(falsePos) / float64(len(benign))
	t.Logf("detection %d/%d = %.2f%%, false positives %d/%d = %.2f%%", detected, len(attacks), detection, falsePos, len(benign), fp)
	if detection < 97 {
		t.Errorf("detection %.2f%% < 97%%", detection)
	}
	if fp > 3 {
		t.Errorf("false positives %.2f%% > 3%%", fp)
	}
}
