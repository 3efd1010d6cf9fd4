// Package s3 is the S3 vocabulary: bucket names, object keys, byte ranges,
// storage classes. It validates and parses values and knows nothing about
// HTTP handlers, storage or wire errors. Standard library only.
package s3
