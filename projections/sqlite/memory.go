package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static void kaohe_trim(void) { malloc_trim(0); }
static void kaohe_arenas(int n) { mallopt(M_ARENA_MAX, n); }
#else
static void kaohe_trim(void) {}
static void kaohe_arenas(int n) {}
#endif
*/
import "C"

import (
	"os"
	"runtime/debug"
)

// cArenas bounds glibc's malloc arenas in a kaohe process (unless
// MALLOC_ARENA_MAX says otherwise). SQLite allocates through cgo from
// whichever thread the goroutine runs on, and glibc gives threads arenas
// of their own, up to eight a core, each keeping what was freed in it:
// a rebuild of 300,000 events peaked at 335 MB of RSS and left 74 MB of
// C memory behind (after malloc_trim) with the default, 280 MB and 32 MB
// with two arenas. Other C libraries have no such setting; the call is
// then nothing.
const cArenas = 2

func init() {
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		C.kaohe_arenas(cArenas)
	}
}

// releaseMemory hands back to the operating system what a full rebuild
// freed. At a million events most of a gigabyte passes through the Go
// heap and SQLite's page caches; left to the runtime's background
// scavenger, a process that rebuilt kept ~170 MB of freed Go heap for
// minutes, and glibc keeps what SQLite freed until told (malloc_trim;
// ~40 MB more). One collection costs milliseconds beside the rebuild.
func releaseMemory() {
	debug.FreeOSMemory()
	trimC()
}

// trimC returns the C heap's free pages to the operating system (glibc
// keeps them otherwise; other C libraries return them on their own).
func trimC() { C.kaohe_trim() }
