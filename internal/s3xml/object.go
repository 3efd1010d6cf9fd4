package s3xml

import (
	"encoding/xml"
	"errors"
	"fmt"
)

// MaxDeleteObjects is the most keys one DeleteObjects request may name.
const MaxDeleteObjects = 1000

// Checksums are the additional checksum elements S3 reports, base64, at
// most one set. Embedded, they appear inline in their parent element.
type Checksums struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// Set stores value under algorithm ("CRC32", "CRC32C", "CRC64NVME",
// "SHA1" or "SHA256"); it reports false for any other algorithm.
func (c *Checksums) Set(algorithm, value string) bool {
	switch algorithm {
	case "CRC32":
		c.ChecksumCRC32 = value
	case "CRC32C":
		c.ChecksumCRC32C = value
	case "CRC64NVME":
		c.ChecksumCRC64NVME = value
	case "SHA1":
		c.ChecksumSHA1 = value
	case "SHA256":
		c.ChecksumSHA256 = value
	default:
		return false
	}
	return true
}

// All returns the checksums that are set, keyed by algorithm name.
func (c Checksums) All() map[string]string {
	m := map[string]string{}
	for alg, v := range map[string]string{
		"CRC32": c.ChecksumCRC32, "CRC32C": c.ChecksumCRC32C, "CRC64NVME": c.ChecksumCRC64NVME,
		"SHA1": c.ChecksumSHA1, "SHA256": c.ChecksumSHA256,
	} {
		if v != "" {
			m[alg] = v
		}
	}
	return m
}

// Delete is the DeleteObjects request body.
type Delete struct {
	XMLName xml.Name         `xml:"Delete"`
	Quiet   bool             `xml:"Quiet"`
	Objects []ObjectToDelete `xml:"Object"`
	Unknown []Unknown        `xml:",any"`
}

// ObjectToDelete names one object (or version) of a Delete request, with
// the optional conditions of a conditional delete.
type ObjectToDelete struct {
	Key              string    `xml:"Key"`
	VersionID        string    `xml:"VersionId,omitempty"`
	ETag             string    `xml:"ETag,omitempty"`
	LastModifiedTime *Time     `xml:"LastModifiedTime,omitempty"`
	Size             *int64    `xml:"Size,omitempty"`
	Unknown          []Unknown `xml:",any"`
}

// check enforces 1–1000 objects, each with a key.
func (d *Delete) check() error {
	if len(d.Objects) == 0 {
		return errors.New("no objects to delete")
	}
	if len(d.Objects) > MaxDeleteObjects {
		return fmt.Errorf("%d objects to delete, more than %d", len(d.Objects), MaxDeleteObjects)
	}
	for i, o := range d.Objects {
		if o.Key == "" {
			return fmt.Errorf("object %d has no Key", i+1)
		}
	}
	return nil
}

// DeleteResult is the DeleteObjects response.
type DeleteResult struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []DeletedObject `xml:"Deleted"`
	Errors  []DeleteError   `xml:"Error"`
}

// DeletedObject is one success of DeleteObjects.
type DeletedObject struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

// DeleteError is one failure of DeleteObjects.
type DeleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

// CopyObjectResult is the CopyObject response.
type CopyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string   `xml:"ETag"` // quoted
	LastModified Time     `xml:"LastModified"`
	ChecksumType string   `xml:"ChecksumType,omitempty"`
	Checksums
}

// CopyPartResult is the UploadPartCopy response.
type CopyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         string   `xml:"ETag"` // quoted
	LastModified Time     `xml:"LastModified"`
	Checksums
}

// InitiateMultipartUploadResult is the CreateMultipartUpload response.
type InitiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// CompleteMultipartUpload is the CompleteMultipartUpload request body.
type CompleteMultipartUpload struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []CompletedPart `xml:"Part"`
	Unknown []Unknown       `xml:",any"`
}

// CompletedPart is one part named in CompleteMultipartUpload.
type CompletedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"` // as sent, quotes optional
	Checksums
	Unknown []Unknown `xml:",any"`
}

// check requires at least one part, each with a number and an ETag. Part
// order and existence are the caller's (InvalidPartOrder, InvalidPart).
func (c *CompleteMultipartUpload) check() error {
	if len(c.Parts) == 0 {
		return errors.New("no parts to complete")
	}
	for i, p := range c.Parts {
		if p.PartNumber == 0 || p.ETag == "" {
			return fmt.Errorf("part %d needs PartNumber and ETag", i+1)
		}
	}
	return nil
}

// CompleteMultipartUploadResult is the CompleteMultipartUpload response.
type CompleteMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"` // quoted, "<hex>-N"
	Checksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// Part is one <Part> of ListPartsResult.
type Part struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified Time   `xml:"LastModified"`
	ETag         string `xml:"ETag"` // quoted
	Size         int64  `xml:"Size"`
	Checksums
}

// ListPartsResult is the ListParts response.
type ListPartsResult struct {
	XMLName              xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []Part     `xml:"Part"`
	Initiator            *Initiator `xml:"Initiator,omitempty"`
	Owner                *Owner     `xml:"Owner,omitempty"`
	StorageClass         string     `xml:"StorageClass"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
}

// Upload is one <Upload> of ListMultipartUploadsResult.
type Upload struct {
	Key               string     `xml:"Key"`
	UploadID          string     `xml:"UploadId"`
	Initiator         *Initiator `xml:"Initiator,omitempty"`
	Owner             *Owner     `xml:"Owner,omitempty"`
	StorageClass      string     `xml:"StorageClass"`
	Initiated         Time       `xml:"Initiated"`
	ChecksumAlgorithm string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string     `xml:"ChecksumType,omitempty"`
}

// ListMultipartUploadsResult is the ListMultipartUploads response.
type ListMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             string         `xml:"Prefix,omitempty"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []Upload       `xml:"Upload"`
	CommonPrefixes     []CommonPrefix `xml:"CommonPrefixes"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
}

// GetObjectAttributesResponse is the GetObjectAttributes response; only the
// attributes the client asked for are set.
type GetObjectAttributesResponse struct {
	XMLName      xml.Name               `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	ETag         string                 `xml:"ETag,omitempty"` // unquoted, as S3 sends it here
	Checksum     *ObjectChecksum        `xml:"Checksum,omitempty"`
	ObjectParts  *ObjectAttributesParts `xml:"ObjectParts,omitempty"`
	StorageClass string                 `xml:"StorageClass,omitempty"`
	ObjectSize   *int64                 `xml:"ObjectSize,omitempty"`
}

// ObjectChecksum is the <Checksum> of GetObjectAttributesResponse.
type ObjectChecksum struct {
	Checksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// ObjectAttributesParts is the <ObjectParts> of GetObjectAttributesResponse.
type ObjectAttributesParts struct {
	TotalPartsCount      int          `xml:"PartsCount"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker"`
	MaxParts             int          `xml:"MaxParts"`
	IsTruncated          bool         `xml:"IsTruncated"`
	Parts                []ObjectPart `xml:"Part"`
}

// ObjectPart is one <Part> of ObjectAttributesParts.
type ObjectPart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	Checksums
}

// RestoreRequest is the RestoreObject request body (the archive restore
// form; Select requests are not served).
type RestoreRequest struct {
	XMLName              xml.Name              `xml:"RestoreRequest"`
	Days                 int                   `xml:"Days"`
	GlacierJobParameters *GlacierJobParameters `xml:"GlacierJobParameters"`
	Unknown              []Unknown             `xml:",any"`
}

// GlacierJobParameters names a restore's tier.
type GlacierJobParameters struct {
	Tier    string    `xml:"Tier"`
	Unknown []Unknown `xml:",any"`
}
