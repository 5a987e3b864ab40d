//go:build !cgo

package sqlite

// trimC has no C heap to trim without cgo.
func trimC() {}
