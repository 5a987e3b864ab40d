package bench

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"time"
)

// Figure is one measured number.
type Figure struct {
	Key     string  `json:"key"`   // stable id, e.g. "append.one_writer"
	Label   string  `json:"label"` // Chinese and English
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`              // events/s, ms, s, MB
	Events  int     `json:"events,omitempty"`  // events the figure was measured over
	Seconds float64 `json:"seconds,omitempty"` // wall time measured
	// RatioTo names the raw limit (another figure's key) this one is
	// bounded by; Ratio = Value ÷ that figure's value.
	RatioTo string  `json:"ratio_to,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	Target  string  `json:"target,omitempty"` // e.g. "≥ 70% of raw.read"
	Met     *bool   `json:"met,omitempty"`    // nil: no target, or not applicable at this size
	Note    string  `json:"note,omitempty"`
}

// Machine describes where the figures were taken.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu,omitempty"`
	MemoryGB  int    `json:"memory_gb,omitempty"`
	GoVersion string `json:"go"`
	Sync      string `json:"sync"` // the embedded server's fsync setting
}

// Report is everything one run measured.
type Report struct {
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Events   int       `json:"events"`   // generated county events
	Counties int       `json:"counties"` // county years
	Years    string    `json:"years"`    // e.g. "2001–2100"
	Stream   uint64    `json:"stream"`   // stream length at the end (with the append phases)
	Seed     uint64    `json:"seed"`
	Seconds  float64   `json:"seconds"` // the whole run
	Figures  []Figure  `json:"figures"`
}

// Figure finds a figure by key.
func (r *Report) Figure(key string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Key == key {
			return f, true
		}
	}
	return Figure{}, false
}

func (r *Report) add(f Figure) *Figure {
	r.Figures = append(r.Figures, f)
	return &r.Figures[len(r.Figures)-1]
}

// ratios fills every Ratio from the figure it refers to.
func (r *Report) ratios() {
	for i := range r.Figures {
		f := &r.Figures[i]
		if f.RatioTo == "" {
			continue
		}
		if base, ok := r.Figure(f.RatioTo); ok && base.Value > 0 {
			f.Ratio = f.Value / base.Value
		}
	}
}

// judgeRatio sets Met of a figure whose target is a share of a raw limit.
func (r *Report) judgeRatio(key string, atLeast float64) {
	if f, ok := r.Figure(key); ok {
		r.judge(key, f.Ratio >= atLeast)
	}
}

// judge sets Met of a figure.
func (r *Report) judge(key string, ok bool) {
	for i := range r.Figures {
		if f := &r.Figures[i]; f.Key == key {
			f.Met = &ok
		}
	}
}

// JSON is the report as indented JSON.
func (r *Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

func machine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb := meminfoKB("MemTotal:"); kb > 0 {
		m.MemoryGB = int((kb + 512*1024) / (1024 * 1024))
	}
	return m
}

func meminfoKB(field string) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var n int64
			for _, c := range strings.TrimSpace(rest) {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int64(c-'0')
			}
			return n
		}
	}
	return 0
}
