// Package filelock takes exclusive, non-blocking locks on open files: a
// flock on Unix, a byte-range lock on Windows. Either belongs to the open
// file and goes when the process does, so a kill -9 never leaves a stale
// lock. kaohe locks its data directory with it (events/jetstream) and a
// projections file's full rebuild (projections/sqlite).
package filelock
