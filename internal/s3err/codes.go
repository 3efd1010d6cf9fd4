package s3err

import "net/http"

// Code is an S3 error code: its wire name, HTTP status and the standard
// message AWS sends with it. Codes are values; compare them by Name.
type Code struct {
	Name    string
	Status  int
	Message string
}

// The S3 error codes coffer answers with. Names, statuses and messages are
// those of the AWS S3 API reference ("Error responses").
var (
	AccessControlListNotSupported                  = Code{"AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs"}
	AccessDenied                                   = Code{"AccessDenied", http.StatusForbidden, "Access Denied"}
	AccountProblem                                 = Code{"AccountProblem", http.StatusForbidden, "There is a problem with your AWS account that prevents the action from completing successfully. Contact AWS Support for further assistance."}
	AuthorizationHeaderMalformed                   = Code{"AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header you provided is invalid."}
	AuthorizationQueryParametersError              = Code{"AuthorizationQueryParametersError", http.StatusBadRequest, "The authorization query parameters you provided are invalid."}
	BadDigest                                      = Code{"BadDigest", http.StatusBadRequest, "The Content-MD5 you specified did not match what we received."}
	BucketAlreadyExists                            = Code{"BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."}
	BucketAlreadyOwnedByYou                        = Code{"BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."}
	BucketNotEmpty                                 = Code{"BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty"}
	ConditionalRequestConflict                     = Code{"ConditionalRequestConflict", http.StatusConflict, "A conflicting conditional operation is currently in progress against this resource. Please try again."}
	EntityTooLarge                                 = Code{"EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."}
	EntityTooSmall                                 = Code{"EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."}
	ExpiredToken                                   = Code{"ExpiredToken", http.StatusBadRequest, "The provided token has expired."}
	IllegalLocationConstraintException             = Code{"IllegalLocationConstraintException", http.StatusBadRequest, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."}
	IllegalVersioningConfigurationException        = Code{"IllegalVersioningConfigurationException", http.StatusBadRequest, "The versioning configuration specified in the request is invalid."}
	IncompleteBody                                 = Code{"IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	InternalError                                  = Code{"InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again."}
	InvalidAccessKeyId                             = Code{"InvalidAccessKeyId", http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records."}
	InvalidArgument                                = Code{"InvalidArgument", http.StatusBadRequest, "Invalid Argument"}
	InvalidBucketName                              = Code{"InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid."}
	InvalidBucketState                             = Code{"InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket."}
	InvalidDigest                                  = Code{"InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid."}
	InvalidEncryptionAlgorithmError                = Code{"InvalidEncryptionAlgorithmError", http.StatusBadRequest, "The encryption request you specified is not valid. The valid value is AES256."}
	InvalidLocationConstraint                      = Code{"InvalidLocationConstraint", http.StatusBadRequest, "The specified location constraint is not valid."}
	InvalidObjectState                             = Code{"InvalidObjectState", http.StatusForbidden, "The operation is not valid for the object's storage class"}
	InvalidPart                                    = Code{"InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}
	InvalidPartOrder                               = Code{"InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."}
	InvalidPolicyDocument                          = Code{"InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document."}
	InvalidPartNumber                              = Code{"InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"}
	InvalidRange                                   = Code{"InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"}
	InvalidRequest                                 = Code{"InvalidRequest", http.StatusBadRequest, "Invalid Request"}
	InvalidSecurity                                = Code{"InvalidSecurity", http.StatusForbidden, "The provided security credentials are not valid."}
	InvalidStorageClass                            = Code{"InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid"}
	InvalidTag                                     = Code{"InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag."}
	InvalidToken                                   = Code{"InvalidToken", http.StatusBadRequest, "The provided token is malformed or otherwise invalid."}
	InvalidURI                                     = Code{"InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI."}
	KeyTooLongError                                = Code{"KeyTooLongError", http.StatusBadRequest, "Your key is too long"}
	MalformedACLError                              = Code{"MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"}
	MalformedPOSTRequest                           = Code{"MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data."}
	MalformedPolicy                                = Code{"MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'"}
	MalformedTrailerError                          = Code{"MalformedTrailerError", http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema."}
	MalformedXML                                   = Code{"MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"}
	MaxMessageLengthExceeded                       = Code{"MaxMessageLengthExceeded", http.StatusBadRequest, "Your request was too big."}
	MetadataTooLarge                               = Code{"MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."}
	MethodNotAllowed                               = Code{"MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."}
	MissingContentLength                           = Code{"MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header."}
	MissingRequestBodyError                        = Code{"MissingRequestBodyError", http.StatusBadRequest, "Request Body is empty"}
	MissingSecurityHeader                          = Code{"MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header"}
	NoSuchBucket                                   = Code{"NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist"}
	NoSuchBucketPolicy                             = Code{"NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist"}
	NoSuchCORSConfiguration                        = Code{"NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist"}
	NoSuchKey                                      = Code{"NoSuchKey", http.StatusNotFound, "The specified key does not exist."}
	NoSuchLifecycleConfiguration                   = Code{"NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist"}
	NoSuchPublicAccessBlockConfiguration           = Code{"NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found"}
	NoSuchTagSet                                   = Code{"NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist"}
	NoSuchUpload                                   = Code{"NoSuchUpload", http.StatusNotFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."}
	NoSuchVersion                                  = Code{"NoSuchVersion", http.StatusNotFound, "The specified version does not exist."}
	NotImplemented                                 = Code{"NotImplemented", http.StatusNotImplemented, "A header you provided implies functionality that is not implemented"}
	NotModified                                    = Code{"NotModified", http.StatusNotModified, "Not Modified"}
	OperationAborted                               = Code{"OperationAborted", http.StatusConflict, "A conflicting conditional operation is currently in progress against this resource. Try again."}
	OwnershipControlsNotFoundError                 = Code{"OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found"}
	PreconditionFailed                             = Code{"PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"}
	RequestTimeTooSkewed                           = Code{"RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the current time is too large."}
	RequestTimeout                                 = Code{"RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period."}
	RestoreAlreadyInProgress                       = Code{"RestoreAlreadyInProgress", http.StatusConflict, "Object restore is already in progress"}
	ServerSideEncryptionConfigurationNotFoundError = Code{"ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found"}
	ServiceUnavailable                             = Code{"ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate."}
	SignatureDoesNotMatch                          = Code{"SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	SlowDown                                       = Code{"SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate."}
	TooManyBuckets                                 = Code{"TooManyBuckets", http.StatusBadRequest, "You have attempted to create more buckets than allowed"}
	UnexpectedContent                              = Code{"UnexpectedContent", http.StatusBadRequest, "This request does not support content"}
	XAmzContentSHA256Mismatch                      = Code{"XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."}
)

// Codes lists every Code above, for tests and documentation.
func Codes() []Code {
	return []Code{
		AccessControlListNotSupported, AccessDenied, AccountProblem, AuthorizationHeaderMalformed,
		AuthorizationQueryParametersError, BadDigest, BucketAlreadyExists, BucketAlreadyOwnedByYou,
		BucketNotEmpty, ConditionalRequestConflict, EntityTooLarge, EntityTooSmall, ExpiredToken,
		IllegalLocationConstraintException, IllegalVersioningConfigurationException, IncompleteBody,
		InternalError, InvalidAccessKeyId, InvalidArgument, InvalidBucketName, InvalidBucketState,
		InvalidDigest, InvalidEncryptionAlgorithmError, InvalidLocationConstraint, InvalidObjectState,
		InvalidPart, InvalidPartNumber, InvalidPartOrder, InvalidPolicyDocument, InvalidRange, InvalidRequest, InvalidSecurity,
		InvalidStorageClass, InvalidTag, InvalidToken, InvalidURI, KeyTooLongError, MalformedACLError,
		MalformedPOSTRequest, MalformedPolicy, MalformedTrailerError, MalformedXML, MaxMessageLengthExceeded,
		MetadataTooLarge, MethodNotAllowed, MissingContentLength, MissingRequestBodyError,
		MissingSecurityHeader, NoSuchBucket, NoSuchBucketPolicy, NoSuchCORSConfiguration, NoSuchKey,
		NoSuchLifecycleConfiguration, NoSuchPublicAccessBlockConfiguration, NoSuchTagSet, NoSuchUpload,
		NoSuchVersion, NotImplemented, NotModified, OperationAborted, OwnershipControlsNotFoundError,
		PreconditionFailed, RequestTimeTooSkewed, RequestTimeout, RestoreAlreadyInProgress,
		ServerSideEncryptionConfigurationNotFoundError, ServiceUnavailable, SignatureDoesNotMatch,
		SlowDown, TooManyBuckets, UnexpectedContent, XAmzContentSHA256Mismatch,
	}
}
