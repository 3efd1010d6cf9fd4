package s3api

import (
	"net/http"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/s3xml"
)

// tieringID reads the id parameter that Put, Get and Delete
// BucketIntelligentTieringConfiguration require.
func tieringID(q *request) (string, error) {
	id := q.op.Query.Get("id")
	if id == "" {
		return "", invalidArg("Missing required parameter: id", "id", "")
	}
	return id, nil
}

func (h *handler) getBucketIntelligentTiering(q *request) error {
	id, err := tieringID(q)
	if err != nil {
		return err
	}
	cfg, err := h.obj.GetBucketIntelligentTiering(q.r.Context(), q.op.Bucket, id)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, tieringToXML(cfg))
}

func (h *handler) putBucketIntelligentTiering(q *request) error {
	id, err := tieringID(q)
	if err != nil {
		return err
	}
	// S3 answers NoSuchBucket before it reads the document.
	if _, err := h.bucketOf(q); err != nil {
		return err
	}
	var doc s3xml.IntelligentTieringConfiguration
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	if err := h.obj.PutBucketIntelligentTiering(q.r.Context(), q.op.Bucket, id, tieringFromXML(doc)); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteBucketIntelligentTiering(q *request) error {
	id, err := tieringID(q)
	if err != nil {
		return err
	}
	if err := h.obj.DeleteBucketIntelligentTiering(q.r.Context(), q.op.Bucket, id); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listBucketIntelligentTiering(q *request) error {
	token := q.op.Query.Get("continuation-token")
	page, err := h.obj.ListBucketIntelligentTiering(q.r.Context(), q.op.Bucket, token)
	if err != nil {
		return err
	}
	out := s3xml.ListBucketIntelligentTieringConfigurationsOutput{
		IsTruncated:           page.NextToken != "",
		ContinuationToken:     token,
		NextContinuationToken: page.NextToken,
	}
	for _, c := range page.Configurations {
		out.Configurations = append(out.Configurations, tieringToXML(c))
	}
	return writeXML(q.w, http.StatusOK, out)
}

// tieringFromXML turns the request document into the engine's model; the
// engine validates it.
func tieringFromXML(doc s3xml.IntelligentTieringConfiguration) lifecycle.TieringConfiguration {
	cfg := lifecycle.TieringConfiguration{ID: doc.ID, Status: doc.Status}
	if f := doc.Filter; f != nil {
		cfg.Filter = &lifecycle.TieringFilter{Prefix: f.Prefix}
		if f.Tag != nil {
			cfg.Filter.Tag = &lifecycle.Tag{Key: f.Tag.Key, Value: f.Tag.Value}
		}
		if a := f.And; a != nil {
			cfg.Filter.And = &lifecycle.TieringAnd{}
			if a.Prefix != nil {
				cfg.Filter.And.Prefix = *a.Prefix
			}
			for _, t := range a.Tags {
				cfg.Filter.And.Tags = append(cfg.Filter.And.Tags, lifecycle.Tag{Key: t.Key, Value: t.Value})
			}
		}
	}
	for _, t := range doc.Tierings {
		// Decode made sure Days is there.
		cfg.Tierings = append(cfg.Tierings, lifecycle.Tiering{AccessTier: t.AccessTier, Days: *t.Days})
	}
	return cfg
}

// tieringToXML is the GetBucketIntelligentTieringConfiguration document
// of cfg.
func tieringToXML(cfg lifecycle.TieringConfiguration) s3xml.IntelligentTieringConfiguration {
	doc := s3xml.IntelligentTieringConfiguration{ID: cfg.ID, Status: cfg.Status}
	if f := cfg.Filter; f != nil {
		doc.Filter = &s3xml.IntelligentTieringFilter{Prefix: f.Prefix}
		if f.Tag != nil {
			doc.Filter.Tag = &s3xml.Tag{Key: f.Tag.Key, Value: f.Tag.Value}
		}
		if a := f.And; a != nil {
			doc.Filter.And = &s3xml.IntelligentTieringAndOperator{}
			if a.Prefix != "" {
				doc.Filter.And.Prefix = &a.Prefix
			}
			for _, t := range a.Tags {
				doc.Filter.And.Tags = append(doc.Filter.And.Tags, s3xml.Tag{Key: t.Key, Value: t.Value})
			}
		}
	}
	for _, t := range cfg.Tierings {
		doc.Tierings = append(doc.Tierings, s3xml.Tiering{AccessTier: t.AccessTier, Days: &t.Days})
	}
	return doc
}
