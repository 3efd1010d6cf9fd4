package s3

// Range is a parsed single-range "Range: bytes=…" header.
// Exactly one form is set:
//   - bytes=First-Last:  First ≥ 0, Last ≥ First
//   - bytes=First-:      First ≥ 0, Last = -1
//   - bytes=-Suffix:     First = -1, Last = -1, Suffix ≥ 0
type Range struct {
	First, Last, Suffix int64
}
