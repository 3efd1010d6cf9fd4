package iamapi

import (
	"strconv"

	"github.com/coffer-project/coffer/internal/iam"
)

// stsActions are the STS actions (SigV4 service "sts").
var stsActions = map[string]action{
	"GetCallerIdentity": {serve: (*Handler).getCallerIdentity, public: true},
	"GetSessionToken":   {serve: (*Handler).getSessionToken, public: true},
	"AssumeRole":        {serve: (*Handler).assumeRole, public: true},
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func credsXML(c iam.TempCredentials) credentialsXML {
	return credentialsXML{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, isoTime(c.Expiration)}
}

func (h *Handler) getCallerIdentity(q *request) error {
	userID := q.caller.UserID
	if userID == "" {
		userID = q.account // the root user
	}
	return h.write(q, struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	}{q.caller.ARN, userID, q.account})
}

// durationSeconds reads DurationSeconds (0 when absent).
func (q *request) durationSeconds() (int, error) {
	v := q.get("DurationSeconds")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &iam.Error{Code: iam.CodeValidation, Message: "DurationSeconds must be a number of seconds."}
	}
	return n, nil
}

func (h *Handler) getSessionToken(q *request) error {
	d, err := q.durationSeconds()
	if err != nil {
		return err
	}
	c, err := h.IAM.GetSessionToken(q.r.Context(), q.caller, d, q.get("SerialNumber"), q.get("TokenCode"))
	if err != nil {
		return err
	}
	return h.write(q, struct{ Credentials credentialsXML }{credsXML(c)})
}

func (h *Handler) assumeRole(q *request) error {
	p, err := q.required("RoleArn", "RoleSessionName")
	if err != nil {
		return err
	}
	d, err := q.durationSeconds()
	if err != nil {
		return err
	}
	out, err := h.IAM.AssumeRole(q.r.Context(), q.caller, iam.AssumeRoleInput{
		RoleARN: p[0], SessionName: p[1], Duration: d, ExternalID: q.get("ExternalId"), Policy: q.get("Policy"),
		SerialNumber: q.get("SerialNumber"), TokenCode: q.get("TokenCode"), SourceIdentity: q.get("SourceIdentity"),
		Context: q.keys,
	})
	if err != nil {
		return err
	}
	type assumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
	return h.write(q, struct {
		Credentials      credentialsXML
		AssumedRoleUser  assumedRoleUser
		PackedPolicySize int
		SourceIdentity   string `xml:",omitempty"`
	}{credsXML(out.Credentials), assumedRoleUser{out.ID, out.ARN}, len(q.get("Policy")) * 100 / 2048, out.SourceIdentity})
}
