package s3xml

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzAccessControlPolicy: a PutBucketAcl/PutObjectAcl body either fails
// with one of Decode's documented errors or decodes into grants of known
// grantee types and permissions; and what decodes survives the Get…Acl
// response coffer builds from it: decoded again, the same owner and
// grants.
func FuzzAccessControlPolicy(f *testing.F) {
	for _, seed := range []string{
		// As the AWS SDKs send it.
		`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>WRITE</Permission></Grant>` +
			`</AccessControlList><Owner><ID>79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be</ID></Owner></AccessControlPolicy>`,
		// No namespace, another prefix for xsi, a display name and an email.
		`<AccessControlPolicy><Owner><ID>o</ID><DisplayName>me</DisplayName></Owner><AccessControlList>` +
			`<Grant><Grantee xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID> spaced &amp; escaped </ID><DisplayName>d</DisplayName></Grantee><Permission>READ_ACP</Permission></Grant>` +
			`</AccessControlList></AccessControlPolicy>`,
		// Two lists, no owner.
		`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>u</URI></Grantee><Permission>WRITE_ACP</Permission></Grant></AccessControlList>` +
			`<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>v</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<AccessControlPolicy/>`,
		`<AccessControlPolicy><AccessControlList/></AccessControlPolicy>`,
		// Refused: an unknown permission, an unknown type, no type, an unknown element, another root.
		`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>u</URI></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Role"><ID>i</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<AccessControlPolicy><AccessControlList><Grant><Grantee type="CanonicalUser"><ID>i</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<AccessControlPolicy><Owner><ID>o</ID></Owner><Extra/></AccessControlPolicy>`,
		`<Policy/>`,
		` `,
		`<AccessControlPolicy><Owner><ID><![CDATA[<o>]]></ID></Owner></AccessControlPolicy> <!-- after -->`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fuzzDecode[AccessControlPolicy](t, body)
		var p AccessControlPolicy
		if Decode(strings.NewReader(body), &p, DefaultMaxBytes) != nil {
			return
		}
		for _, g := range p.Grants {
			switch g.Grantee.Type {
			case GranteeCanonicalUser, GranteeGroup, GranteeEmail:
			default:
				t.Fatalf("decoded a grantee of type %q", g.Grantee.Type)
			}
			switch g.Permission {
			case "FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP":
			default:
				t.Fatalf("decoded a grant of permission %q", g.Permission)
			}
		}
		var owner Owner
		if p.Owner != nil {
			owner = *p.Owner
		}
		b, err := Marshal(NewAccessControlPolicyResult(owner, p.Grants))
		if err != nil {
			t.Fatalf("encoding the Get…Acl response: %v", err)
		}
		var again AccessControlPolicy
		if err := Decode(bytes.NewReader(b), &again, DefaultMaxBytes); err != nil {
			t.Fatalf("the Get…Acl response %s does not decode: %v", b, err)
		}
		if again.Owner == nil || *again.Owner != owner {
			t.Fatalf("owner %+v came back as %+v from %s", owner, again.Owner, b)
		}
		if !slices.Equal(p.Grants, again.Grants) {
			t.Fatalf("grants %+v came back as %+v from %s", p.Grants, again.Grants, b)
		}
	})
}
