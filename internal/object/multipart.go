package object

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// CreateMultipartUpload starts an upload. ChecksumAlgo (optional) fixes the
// algorithm every part is checked with; ChecksumType defaults to COMPOSITE,
// except for CRC64NVME, which supports only FULL_OBJECT. SHA1 and SHA256
// cannot be FULL_OBJECT (ErrInvalidRequest).
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (meta.Upload, error) {
	b, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return meta.Upload{}, err
	}
	if err := validateTags(in.Tags, MaxTagsObject); err != nil {
		return meta.Upload{}, err
	}
	algo, typ, err := uploadChecksumSpec(in.ChecksumAlgo, in.ChecksumType)
	if err != nil {
		return meta.Upload{}, err
	}
	id, err := s.randomID(uploadIDBytes)
	if err != nil {
		return meta.Upload{}, err
	}
	enc, key, err := s.newEncryption(ctx, &b, in.Key, in.SSE)
	if err != nil {
		return meta.Upload{}, err
	}
	clear(key) // each part unseals it again
	u := meta.Upload{
		UploadID:     id,
		Bucket:       in.Bucket,
		Key:          in.Key,
		Initiated:    s.now(),
		Owner:        in.Owner,
		StorageClass: storageClass(in.StorageClass),
		Headers:      in.Headers,
		UserMeta:     maps.Clone(in.UserMeta),
		Tags:         in.Tags,
		ChecksumAlgo: string(algo),
		ChecksumType: string(typ),
		Encryption:   enc,
		ACL:          in.ACL,
	}
	if err := s.Meta.CreateUpload(ctx, u); err != nil {
		return meta.Upload{}, fromMeta(err)
	}
	return u, nil
}

// uploadChecksumSpec validates the checksum algorithm and type of a new
// upload and fills in the default type.
func uploadChecksumSpec(algoName, typeName string) (checksum.Algorithm, checksum.Type, error) {
	algo, err := parseAlgo(algoName)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(typeName) == "" {
		if algo == "" {
			return "", "", nil
		}
		return algo, algo.DefaultType(), nil
	}
	typ, err := checksum.ParseType(strings.TrimSpace(typeName))
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if algo == "" {
		return "", "", fmt.Errorf("%w: the x-amz-checksum-type header requires x-amz-checksum-algorithm", ErrInvalidRequest)
	}
	if !algo.Supports(typ) {
		return "", "", fmt.Errorf("%w: the %s checksum algorithm does not support the %s checksum type", ErrInvalidRequest, algo, typ)
	}
	return algo, typ, nil
}

func checkPartNumber(n int) error {
	if n < 1 || n > MaxPartNumber {
		return fmt.Errorf("%w: part number must be an integer between 1 and %d, inclusive", ErrInvalidArgument, MaxPartNumber)
	}
	return nil
}

// partChecksumAlgo decides which checksum a part stores: the upload's
// algorithm (a part sending another one is ErrInvalidRequest), else the one
// the part sent, else CRC64NVME (which lets Complete give the object the
// default full-object CRC64NVME).
func partChecksumAlgo(u *meta.Upload, sentName string) (checksum.Algorithm, error) {
	sent, err := parseAlgo(sentName)
	if err != nil {
		return "", err
	}
	want := checksum.Algorithm(u.ChecksumAlgo)
	switch {
	case want != "" && sent != "" && sent != want:
		return "", fmt.Errorf("%w: checksum type mismatch occurred, expected checksum type: %s, actual checksum type: %s",
			ErrInvalidRequest, strings.ToLower(string(want)), strings.ToLower(string(sent)))
	case want != "":
		return want, nil
	case sent != "":
		return sent, nil
	}
	return checksum.CRC64NVME, nil
}

// putPart records a stored body as a part, queueing its blob (if it has
// one) when that fails.
func (s *Service) putPart(ctx context.Context, uploadID string, p meta.Part) error {
	if err := s.Meta.PutPart(ctx, uploadID, p); err != nil {
		s.discard(p.BlobID)
		return fromMeta(err)
	}
	s.nudgeGC() // it may have replaced an earlier part
	return nil
}

// UploadedPart is a stored part and the encryption of its upload (for
// the response headers).
type UploadedPart struct {
	meta.Part
	Encryption meta.Encryption
}

// UploadPart stores one part (1…10000, else ErrInvalidArgument; at most
// 5 GiB), verified like a PutObject body. A part of at most InlineMax bytes
// (typically the last one) is kept inline, like a small object.
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (UploadedPart, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return UploadedPart{}, err
	}
	u, err := s.Meta.GetUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return UploadedPart{}, fromMeta(err)
	}
	algo, err := partChecksumAlgo(&u, in.Checksum.Algorithm)
	if err != nil {
		return UploadedPart{}, err
	}
	key, err := s.openKey(ctx, in.Bucket, in.Key, &u.Encryption, in.Customer)
	if err != nil {
		return UploadedPart{}, err
	}
	defer clear(key)
	data, err := s.storeBody(ctx, bodySpec{
		body:       in.Body,
		size:       in.Size,
		max:        MaxPutSize,
		contentMD5: in.ContentMD5,
		sent:       in.Checksum,
		storeAlgo:  algo,
		key:        key,
		part:       in.PartNumber,
		mode:       u.Encryption.Mode,
		class:      u.StorageClass,
	})
	if err != nil {
		return UploadedPart{}, err
	}
	p := data.part(in.PartNumber, s.now())
	if err := s.putPart(ctx, in.UploadID, p); err != nil {
		return UploadedPart{}, err
	}
	return UploadedPart{Part: p, Encryption: u.Encryption}, nil
}

// UploadPartCopy stores a part copied from (a range of) an object version.
// A range outside the source is ErrInvalidArgument, as S3 answers; the
// copied bytes must not exceed 5 GiB (ErrInvalidRequest).
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (UploadedPart, meta.Version, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return UploadedPart{}, meta.Version{}, err
	}
	u, err := s.Meta.GetUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return UploadedPart{}, meta.Version{}, fromMeta(err)
	}
	src, err := s.copySource(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond)
	if err != nil {
		return UploadedPart{}, src, err
	}
	offset, length := int64(0), src.Size
	if r := in.SrcRange; r != nil {
		if r.First < 0 || r.Last < r.First || r.Last >= src.Size {
			return UploadedPart{}, src, fmt.Errorf("%w: range specified is not valid for source object of size: %d", ErrInvalidArgument, src.Size)
		}
		offset, length = r.First, r.Last-r.First+1
	}
	if length > MaxPutSize {
		return UploadedPart{}, src, fmt.Errorf("%w: the specified copy source is larger than the maximum allowable size for a copy source: %d", ErrInvalidRequest, int64(MaxPutSize))
	}
	algo, err := partChecksumAlgo(&u, "")
	if err != nil {
		return UploadedPart{}, src, err
	}
	key, err := s.openKey(ctx, in.Bucket, in.Key, &u.Encryption, in.Customer)
	if err != nil {
		return UploadedPart{}, src, err
	}
	defer clear(key)
	srcKey, err := s.openKey(ctx, src.Bucket, src.Key, &src.Encryption, in.SrcCustomer)
	if err != nil {
		return UploadedPart{}, src, err
	}
	body := newPartsReader(ctx, s.Blobs, srcKey, src.Parts, offset, length)
	defer body.Close()
	data, err := s.storeBody(ctx, bodySpec{body: body, size: length, max: MaxPutSize, storeAlgo: algo,
		key: key, part: in.PartNumber, mode: u.Encryption.Mode, class: u.StorageClass})
	if err != nil {
		return UploadedPart{}, src, err
	}
	p := data.part(in.PartNumber, s.now())
	if err := s.putPart(ctx, in.UploadID, p); err != nil {
		return UploadedPart{}, src, err
	}
	return UploadedPart{Part: p, Encryption: u.Encryption}, src, nil
}

// loadParts returns all stored parts of an upload by number. Listings
// carry no inline data (an upload may have up to 10,000 small parts);
// meta.CompleteUpload moves the data of the parts it keeps by itself.
func (s *Service) loadParts(ctx context.Context, uploadID string) (map[int]meta.Part, error) {
	parts := make(map[int]meta.Part)
	after := 0
	for {
		page, err := s.Meta.ListParts(ctx, uploadID, after, MaxListKeys)
		if err != nil {
			return nil, fromMeta(err)
		}
		for _, p := range page {
			parts[p.Number] = p
			after = p.Number
		}
		if len(page) < MaxListKeys {
			return parts, nil
		}
	}
}

// CompleteMultipartUpload assembles the listed parts into a version
// without copying data: the version's Parts are the upload's parts (their
// blobs, or their inline data), with their part numbers, so partNumber
// reads work.
//
// Parts must be listed in ascending order (ErrInvalidPartOrder), exist
// with the given ETag and checksums (ErrInvalidPart), and all but the last
// be at least 5 MiB (ErrEntityTooSmall); none is ErrInvalidRequest. The
// ETag is the MD5 of the concatenated binary part MD5s, "-N". The checksum
// is the upload's: COMPOSITE (checksum of part checksums, "-N") or
// FULL_OBJECT (CRCs combined); with no algorithm at create and only
// CRC64NVME parts, the default full-object CRC64NVME. A full-object
// checksum the client sent must match (ErrBadDigest). If-Match and
// If-None-Match behave as in PutObject; an upload completed or aborted
// meanwhile is ErrNoSuchUpload.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (meta.Version, error) {
	b, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return meta.Version{}, err
	}
	u, err := s.Meta.GetUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return meta.Version{}, fromMeta(err)
	}
	if len(in.Parts) == 0 {
		return meta.Version{}, fmt.Errorf("%w: you must specify at least one part", ErrInvalidRequest)
	}
	for i := 1; i < len(in.Parts); i++ {
		if in.Parts[i].PartNumber <= in.Parts[i-1].PartNumber {
			return meta.Version{}, fmt.Errorf("%w: the list of parts was not in ascending order", ErrInvalidPartOrder)
		}
	}
	stored, err := s.loadParts(ctx, in.UploadID)
	if err != nil {
		return meta.Version{}, err
	}
	parts := make([]meta.Part, len(in.Parts))
	etags := md5.New()
	var size int64
	for i, cp := range in.Parts {
		p, ok := stored[cp.PartNumber]
		if !ok || s3.NormalizeETag(cp.ETag) != p.ETag {
			return meta.Version{}, fmt.Errorf("%w: part %d could not be found or its entity tag did not match", ErrInvalidPart, cp.PartNumber)
		}
		for name, value := range cp.Checksums {
			if a, err := parseAlgo(name); err != nil || string(a) != p.Checksum.Algorithm || value != p.Checksum.Value {
				return meta.Version{}, fmt.Errorf("%w: the %s checksum of part %d did not match", ErrInvalidPart, name, cp.PartNumber)
			}
		}
		if i < len(in.Parts)-1 && p.Size < MinPartSize {
			return meta.Version{}, fmt.Errorf("%w: part %d is %d bytes; each part but the last must be at least %d", ErrEntityTooSmall, cp.PartNumber, p.Size, MinPartSize)
		}
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return meta.Version{}, fmt.Errorf("object: stored ETag %q of part %d: %w", p.ETag, p.Number, err)
		}
		etags.Write(raw)
		size += p.Size
		parts[i] = p
	}
	if size > MaxObjectSize {
		return meta.Version{}, fmt.Errorf("%w: the object would be %d bytes; the maximum is %d", ErrEntityTooLarge, size, int64(MaxObjectSize))
	}
	sum, err := uploadChecksum(&u, parts)
	if err != nil {
		return meta.Version{}, err
	}
	if err := checkCompleteChecksum(in.Checksum, sum); err != nil {
		return meta.Version{}, err
	}

	cond, err := s.precheckWrite(ctx, in.Bucket, in.Key, in.IfMatch, in.IfNoneMatch)
	if err != nil {
		return meta.Version{}, err
	}
	vid, err := s.newVersionID(b)
	if err != nil {
		return meta.Version{}, err
	}
	v, err := s.Meta.CompleteUpload(ctx, in.UploadID, meta.Version{
		Bucket:       in.Bucket,
		Key:          in.Key,
		VersionID:    vid,
		Owner:        u.Owner,
		ACL:          u.ACL,
		LastModified: s.now(),
		Size:         size,
		ETag:         hex.EncodeToString(etags.Sum(nil)) + "-" + strconv.Itoa(len(parts)),
		StorageClass: u.StorageClass,
		Headers:      u.Headers,
		UserMeta:     u.UserMeta,
		Tags:         u.Tags,
		Checksum:     sum,
		Encryption:   u.Encryption,
		Parts:        parts,
	}, cond)
	if err != nil {
		return meta.Version{}, fromMeta(err)
	}
	s.nudgeGC() // unlisted parts, and maybe a replaced null version
	return v, nil
}

// uploadChecksum computes the object checksum of a completed upload.
func uploadChecksum(u *meta.Upload, parts []meta.Part) (meta.Checksum, error) {
	algo, typ := checksum.Algorithm(u.ChecksumAlgo), checksum.Type(u.ChecksumType)
	if algo == "" {
		// No algorithm at create: the default full-object CRC64NVME, when
		// every part has one.
		algo, typ = checksum.CRC64NVME, checksum.TypeFullObject
	}
	sums := make([]checksum.PartSum, len(parts))
	for i, p := range parts {
		if p.Checksum.Algorithm != string(algo) {
			if u.ChecksumAlgo == "" {
				return meta.Checksum{}, nil
			}
			return meta.Checksum{}, fmt.Errorf("%w: part %d has no %s checksum", ErrInvalidPart, p.Number, algo)
		}
		raw, err := checksum.Decode(algo, p.Checksum.Value)
		if err != nil {
			return meta.Checksum{}, fmt.Errorf("object: stored checksum of part %d: %w", p.Number, err)
		}
		sums[i] = checksum.PartSum{Sum: raw, Size: p.Size}
	}
	var value string
	if typ == checksum.TypeFullObject {
		raw, err := checksum.Combine(algo, sums)
		if err != nil {
			return meta.Checksum{}, fmt.Errorf("object: combine part checksums: %w", err)
		}
		value = checksum.Encode(raw)
	} else {
		raws := make([][]byte, len(sums))
		for i, ps := range sums {
			raws[i] = ps.Sum
		}
		var err error
		if value, err = checksum.Composite(algo, raws); err != nil {
			return meta.Checksum{}, fmt.Errorf("object: composite checksum: %w", err)
		}
	}
	return meta.Checksum{Algorithm: string(algo), Type: string(typ), Value: value}, nil
}

// checkCompleteChecksum compares the checksum header sent with
// CompleteMultipartUpload with the computed one.
func checkCompleteChecksum(sent ChecksumInput, sum meta.Checksum) error {
	if sent.Value == "" {
		return nil
	}
	algo, err := parseAlgo(sent.Algorithm)
	if err != nil {
		return err
	}
	if string(algo) != sum.Algorithm {
		return fmt.Errorf("%w: the upload was created with the %s checksum algorithm, not %s", ErrInvalidRequest, sum.Algorithm, algo)
	}
	if typ := strings.ToUpper(strings.TrimSpace(sent.Type)); typ != "" && typ != sum.Type {
		return fmt.Errorf("%w: the upload was created with the %s checksum type, not %s", ErrInvalidRequest, sum.Type, typ)
	}
	if sent.Value != sum.Value {
		return fmt.Errorf("%w: the %s you specified did not match the calculated checksum", ErrBadDigest, algo)
	}
	return nil
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := s.Meta.AbortUpload(ctx, bucket, key, uploadID); err != nil {
		return fromMeta(err)
	}
	s.nudgeGC()
	return nil
}

// ListParts lists an upload's parts after PartNumberMarker, at most
// MaxParts (default and limit 1000).
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (ListPartsResult, error) {
	u, err := s.Meta.GetUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return ListPartsResult{}, fromMeta(err)
	}
	res := ListPartsResult{Upload: u}
	limit := listMax(in.MaxParts)
	if in.MaxParts == 0 {
		return res, nil
	}
	parts, err := s.Meta.ListParts(ctx, in.UploadID, max(in.PartNumberMarker, 0), limit+1)
	if err != nil {
		return ListPartsResult{}, fromMeta(err)
	}
	if len(parts) > limit {
		parts = parts[:limit]
		res.IsTruncated = true
		res.NextPartNumberMarker = parts[limit-1].Number
	}
	res.Parts = parts
	return res, nil
}
