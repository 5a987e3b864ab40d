package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Peak resident memory of this process (the embedded server runs in it).
// Linux keeps the high-water mark in /proc/self/status (VmHWM); writing "5"
// to /proc/self/clear_refs resets it, so each phase gets its own peak.

// resetPeak returns freed heap to the OS and restarts the high-water mark.
// It reports whether the reset worked (false off Linux). The embedded
// server's message-block buffers go back to its pools when a collection
// finds them unused, and a pool drops them only at the second collection
// after: one collection (FreeOSMemory's) would count them as held. An
// idle process collects every two minutes, so they are gone at rest.
func resetPeak() bool {
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	return restartPeak()
}

// restartPeak restarts the high-water mark at the present RSS and nothing
// else: the peaks of the steps of a phase, whose greatest is the phase's.
func restartPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is VmHWM in bytes, 0 when unknown.
func peakRSS() int64 { return statusKB("VmHWM:") * 1024 }

// rss is VmRSS in bytes, 0 when unknown.
func rss() int64 { return statusKB("VmRSS:") * 1024 }

func statusKB(field string) int64 { return procStatusKB("self", field) }

// procStatusKB is a field of /proc/<pid>/status in kB, 0 when unknown.
func procStatusKB(pid, field string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
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

// cpuSeconds is the CPU time (user and system, every thread: the server's,
// SQLite's) this process has used, from /proc/self/stat; 0 when unknown.
// On a machine shared with other work a phase's wall time stretches with
// the load, its CPU time much less: the bench notes both.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // from field 3, state
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticks = 100 // USER_HZ, 100 on every Linux the bench runs on
	return float64(utime+stime) / ticks
}

// goMemory says what the Go runtime holds now, for the progress lines:
// its live heap at the last collection, the heap goal, the memory it has
// from the OS and not returned, and how much of that is heap; the rest
// of the RSS is outside Go (SQLite's caches, through cgo).
func goMemory() string {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return fmt.Sprintf("Go: live heap %.0f MB, goal %.0f MB, held %.0f MB, objects %.0f MB, %d GCs",
		mb(int64(v[0])), mb(int64(v[1])), mb(int64(v[2]-v[3])), mb(int64(v[4])), v[5])
}
