package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to disk
// without waiting. Put calls it as data streams in, so the disk works while
// the CPU hashes the next bytes and the final fsync has little left to do.
// It is only a hint: durability still comes from the fsync in Put.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
