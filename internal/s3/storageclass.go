package s3

// Storage classes S3 accepts for objects in general purpose buckets
// (x-amz-storage-class). The API enum also lists OUTPOSTS, SNOW,
// EXPRESS_ONEZONE, FSX_OPENZFS and FSX_ONTAP; those belong to other products
// (Outposts, Snow devices, directory buckets, FSx access points) and a
// general purpose bucket answers InvalidStorageClass for them, as coffer
// does.
const (
	StorageStandard           = "STANDARD"
	StorageReducedRedundancy  = "REDUCED_REDUNDANCY"
	StorageStandardIA         = "STANDARD_IA"
	StorageOneZoneIA          = "ONEZONE_IA"
	StorageIntelligentTiering = "INTELLIGENT_TIERING"
	StorageGlacier            = "GLACIER"
	StorageDeepArchive        = "DEEP_ARCHIVE"
	StorageGlacierIR          = "GLACIER_IR"
)

// StorageClasses lists every valid storage class, STANDARD first.
func StorageClasses() []string {
	return []string{
		StorageStandard, StorageReducedRedundancy, StorageStandardIA, StorageOneZoneIA,
		StorageIntelligentTiering, StorageGlacier, StorageDeepArchive, StorageGlacierIR,
	}
}

// ValidStorageClass reports whether s is a storage class coffer accepts.
// Matching is exact: S3 storage class names are case-sensitive.
func ValidStorageClass(s string) bool {
	switch s {
	case StorageStandard, StorageReducedRedundancy, StorageStandardIA, StorageOneZoneIA,
		StorageIntelligentTiering, StorageGlacier, StorageDeepArchive, StorageGlacierIR:
		return true
	}
	return false
}

// IsArchiveClass reports whether objects of class s must be restored before
// they can be read (GetObject answers InvalidObjectState).
func IsArchiveClass(s string) bool {
	return s == StorageGlacier || s == StorageDeepArchive
}
