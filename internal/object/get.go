package object

import (
	"context"
	"fmt"

	"github.com/coffer-project/coffer/internal/meta"
)

// GetObject resolves the version, applies conditions, range and partNumber,
// and opens the body. The caller closes Body.
//
// Errors: ErrNoSuchKey, ErrNoSuchVersion, a DeleteMarkerError,
// ErrPreconditionFailed or ErrNotModified (both with a non-nil ObjectReader
// carrying the Version, so a 304 can send ETag and Last-Modified),
// ErrInvalidRequest for Range with partNumber, ErrInvalidRange for an
// unsatisfiable range or a part number the object does not have;
// for encrypted objects ErrSSECRequired, ErrSSECKeyMismatch,
// ErrSSECNotApplicable, a *KMSError, or an error wrapping ErrIntegrity;
// ErrInvalidObjectState for an archived object not restored (GLACIER,
// DEEP_ARCHIVE, or INTELLIGENT_TIERING in an archive tier). A GET counts
// as an access of an INTELLIGENT_TIERING object (recordAccess).
func (s *Service) GetObject(ctx context.Context, in GetInput) (*ObjectReader, error) {
	r, err := s.HeadObject(ctx, in)
	if err != nil {
		return r, err
	}
	if !Readable(&r.Version, s.now()) {
		return nil, fmt.Errorf("%w: the object is archived (%s) and not restored", ErrInvalidObjectState, r.Version.StorageClass)
	}
	if err := s.tieredReadable(ctx, &r.Version); err != nil {
		return nil, err
	}
	key, err := s.openKey(ctx, in.Bucket, in.Key, &r.Version.Encryption, in.Customer)
	if err != nil {
		return nil, err
	}
	body := newPartsReader(ctx, s.Blobs, key, r.Version.Parts, r.Offset, r.Length)
	if err := body.prime(); err != nil {
		body.Close()
		return nil, err
	}
	r.Body = body
	s.recordAccess(ctx, &r.Version)
	return r, nil
}

// HeadObject is GetObject without a body.
func (s *Service) HeadObject(ctx context.Context, in GetInput) (*ObjectReader, error) {
	if in.PartNumber != 0 && in.Range != nil {
		return nil, fmt.Errorf("%w: cannot specify both Range header and partNumber query parameter", ErrInvalidRequest)
	}
	if in.PartNumber < 0 || in.PartNumber > MaxPartNumber {
		return nil, fmt.Errorf("%w: part number must be an integer between 1 and %d, inclusive", ErrInvalidArgument, MaxPartNumber)
	}
	v, err := s.readVersion(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return nil, err
	}
	r := &ObjectReader{Version: v, Length: v.Size}
	if isMultipart(&v) {
		r.PartsCount = len(v.Parts)
	}
	if err := CheckCustomerKey(&v.Encryption, in.Customer); err != nil {
		return nil, err
	}
	if err := checkRead(in.Cond, &v, s.now()); err != nil {
		return r, err
	}
	switch {
	case in.PartNumber > 0:
		off, n, err := partExtent(&v, in.PartNumber)
		if err != nil {
			return nil, err
		}
		r.Offset, r.Length, r.Partial = off, n, v.Size > 0
	case in.Range != nil:
		off, n, err := in.Range.Resolve(v.Size)
		if err != nil {
			return nil, &mappedError{sentinel: ErrInvalidRange, cause: err}
		}
		r.Offset, r.Length, r.Partial = off, n, true
	}
	return r, nil
}

// partExtent locates part pn of v: the pn-th part in order, which is part
// number pn unless the upload was completed with gaps in its numbering
// (clients read parts 1…PartsCount). A single-part object has exactly one
// part: the whole object.
func partExtent(v *meta.Version, pn int) (offset, length int64, err error) {
	switch {
	case !isMultipart(v):
		if pn == 1 {
			return 0, v.Size, nil
		}
	case pn <= len(v.Parts):
		for _, p := range v.Parts[:pn-1] {
			offset += p.Size
		}
		return offset, v.Parts[pn-1].Size, nil
	}
	return 0, 0, fmt.Errorf("%w: the requested part number %d is not satisfiable", ErrInvalidRange, pn)
}

// GetVersion returns a version with its parts (for GetObjectAttributes and
// tagging), or ErrNoSuchKey/ErrNoSuchVersion/DeleteMarkerError.
func (s *Service) GetVersion(ctx context.Context, bucket, key, versionID string) (meta.Version, error) {
	return s.readVersion(ctx, bucket, key, versionID)
}
