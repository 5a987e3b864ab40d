//go:build cgo

package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static void kaohe_trim(void) { malloc_trim(0); }
#else
static void kaohe_trim(void) {}
#endif
*/
import "C"

// trimC returns the C heap's free memory (SQLite's, freed when the
// builder's connection closed) to the operating system: glibc keeps it
// otherwise. Other C libraries return it on their own or have no call.
func trimC() { C.kaohe_trim() }
