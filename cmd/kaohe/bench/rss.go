package bench

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Peak resident memory of this process (the embedded server runs in it).
// Linux keeps the high-water mark in /proc/self/status (VmHWM); writing "5"
// to /proc/self/clear_refs resets it, so each phase gets its own peak.

// resetPeak returns freed heap to the OS and restarts the high-water mark.
// It reports whether the reset worked (false off Linux).
func resetPeak() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is VmHWM in bytes, 0 when unknown.
func peakRSS() int64 { return statusKB("VmHWM:") * 1024 }

// rss is VmRSS in bytes, 0 when unknown.
func rss() int64 { return statusKB("VmRSS:") * 1024 }

func statusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
