package sqlite

import "runtime/debug"

// releaseMemory hands back to the operating system what a full rebuild
// freed. At a million events most of a gigabyte passes through the Go
// heap and SQLite's page caches; left to the runtime's background
// scavenger, a kaohe serve that rebuilt at start kept ~170 MB of freed
// heap for minutes, and the C allocator keeps what SQLite freed until
// told (trimC; ~40 MB more). One collection costs milliseconds beside the
// rebuild.
func releaseMemory() {
	debug.FreeOSMemory()
	trimC()
}
