//go:build !linux

package blob

import "os"

// startWriteback is a no-op where sync_file_range does not exist; the
// fsync in Put provides durability on its own.
func startWriteback(*os.File, int64, int64) {}
