package iamapi

import (
	"github.com/coffer-project/coffer/internal/iam"
)

// Origin access for `coffer edge` (`coffer admin oai|oac`): CloudFront's
// origin access identity and origin access control actions, named as in
// CloudFront's API but sent in IAM's query protocol, and answered with the
// access key the edge signs origin requests with. A credential belongs to
// the caller's account. Who may call them is decided as for every action
// here, with CloudFront's action names: an account's root user may; an
// IAM user or role needs cloudfront:<Action> allowed on the credential's
// ARN (arn:aws:cloudfront::ACCOUNT:origin-access-identity/ID or
// …:origin-access-control/ID), on "*" to create or list.
var originActions = map[string]action{
	"CreateCloudFrontOriginAccessIdentity": {serve: (*Handler).createOAI, service: "cloudfront"},
	"ListCloudFrontOriginAccessIdentities": {serve: listOrigins(iam.OriginKindOAI), service: "cloudfront"},
	"DeleteCloudFrontOriginAccessIdentity": {serve: deleteOrigin(iam.OriginKindOAI), resource: originResource("origin-access-identity"), service: "cloudfront"},
	"CreateOriginAccessControl":            {serve: (*Handler).createOAC, service: "cloudfront"},
	"ListOriginAccessControls":             {serve: listOrigins(iam.OriginKindOAC), service: "cloudfront"},
	"DeleteOriginAccessControl":            {serve: deleteOrigin(iam.OriginKindOAC), resource: originResource("origin-access-control"), service: "cloudfront"},
}

// originXML is an origin access identity or control as the actions
// answer it; the secret only once, from Create.
type originXML struct {
	ID                string `xml:"Id"`
	S3CanonicalUserID string `xml:"S3CanonicalUserId,omitempty"`
	Comment           string `xml:",omitempty"`
	Name              string `xml:",omitempty"`
	DistributionArn   string `xml:",omitempty"`
	AccessKeyID       string `xml:"AccessKeyId"`
	SecretAccessKey   string `xml:",omitempty"`
	CreateDate        string
}

func toOriginXML(o iam.OriginAccess) originXML {
	x := originXML{ID: o.ID, S3CanonicalUserID: o.CanonicalUser, DistributionArn: o.SourceARN,
		AccessKeyID: o.AccessKeyID(), CreateDate: isoTime(o.Created)}
	if o.Kind == iam.OriginKindOAC {
		x.Name = o.Comment
	} else {
		x.Comment = o.Comment
	}
	return x
}

func (h *Handler) createOAI(q *request) error {
	o, err := h.IAM.CreateOriginAccessIdentity(q.r.Context(), q.account, q.get("Comment"))
	if err != nil {
		return err
	}
	return h.writeNewOrigin(q, o)
}

func (h *Handler) createOAC(q *request) error {
	p, err := q.required("DistributionArn")
	if err != nil {
		return err
	}
	o, err := h.IAM.CreateOriginAccessControl(q.r.Context(), q.account, q.get("Name"), p[0])
	if err != nil {
		return err
	}
	return h.writeNewOrigin(q, o)
}

func (h *Handler) writeNewOrigin(q *request, o iam.NewOriginAccess) error {
	x := toOriginXML(o.OriginAccess)
	x.SecretAccessKey = o.SecretAccessKey
	if o.Kind == iam.OriginKindOAC {
		return h.write(q, struct {
			OAC originXML `xml:"OriginAccessControl"`
		}{x})
	}
	return h.write(q, struct {
		OAI originXML `xml:"CloudFrontOriginAccessIdentity"`
	}{x})
}

func listOrigins(kind string) func(*Handler, *request) error {
	return func(h *Handler, q *request) error {
		os, err := h.IAM.ListOriginAccess(q.r.Context(), q.account, kind)
		if err != nil {
			return err
		}
		out := struct {
			Items []originXML `xml:"Items>member"`
		}{Items: []originXML{}}
		for _, o := range os {
			out.Items = append(out.Items, toOriginXML(o))
		}
		return h.write(q, out)
	}
}

func deleteOrigin(kind string) func(*Handler, *request) error {
	return noResult(func(h *Handler, q *request, p []string) error {
		return h.IAM.DeleteOriginAccess(q.r.Context(), q.account, kind, p[0])
	}, "Id")
}

// originResource is the ARN a Delete is authorized against.
func originResource(kind string) func(*Handler, *request) string {
	return func(_ *Handler, q *request) string {
		return "arn:aws:cloudfront::" + q.account + ":" + kind + "/" + q.get("Id")
	}
}
