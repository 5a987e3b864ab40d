package replay

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
)

// Published is one ResultsPublished event of a year and where it sits in
// the stream.
type Published struct {
	events.ResultsPublished
	Seq        uint64       `json:"seq"` // stream sequence of the publication event itself
	EventID    string       `json:"event_id"`
	RecordedAt time.Time    `json:"recorded_at"`
	Actor      events.Actor `json:"actor"`
}

// Publications lists the ResultsPublished events among evs, in stream order.
func Publications(evs []events.Stored) ([]Published, error) {
	var out []Published
	for _, ev := range evs {
		if ev.Type != events.TypeResultsPublished {
			continue
		}
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			return nil, err
		}
		out = append(out, Published{ResultsPublished: *p.(*events.ResultsPublished), Seq: ev.Seq, EventID: ev.ID, RecordedAt: ev.RecordedAt, Actor: ev.Actor})
	}
	return out, nil
}

// History is a year's events read from the stream once, so that several
// points of the year (publications, sequences, what-ifs) can be scored and
// compared without reading again.
type History struct {
	Year         int
	Events       []events.Stored // stream order, accepted events only
	Publications []Published     // stream order
	// Quarantined are the year's quarantined messages (stream order): the
	// results at a point warn of those up to it, as published results did.
	Quarantined []*events.QuarantineError
}

// LoadHistory reads a year's events up to now.
func LoadHistory(ctx context.Context, st *jetstream.Store, year int) (*History, error) {
	evs, qs, err := ReadYear(ctx, st, year, events.Point{})
	if err != nil {
		return nil, err
	}
	h, err := NewHistory(year, evs)
	if err != nil {
		return nil, err
	}
	h.Quarantined = qs
	return h, nil
}

// quarantinedUpto gives the quarantined messages with seq ≤ seq.
func (h *History) quarantinedUpto(seq uint64) []*events.QuarantineError {
	n := sort.Search(len(h.Quarantined), func(i int) bool { return h.Quarantined[i].Seq > seq })
	return h.Quarantined[:n]
}

// NewHistory wraps a year's events (stream order).
func NewHistory(year int, evs []events.Stored) (*History, error) {
	if len(evs) == 0 {
		return nil, fmt.Errorf("year %d has no events", year)
	}
	pubs, err := Publications(evs)
	if err != nil {
		return nil, err
	}
	return &History{Year: year, Events: evs, Publications: pubs}, nil
}

// Last is the stream sequence of the year's last event.
func (h *History) Last() uint64 { return h.Events[len(h.Events)-1].Seq }

// Upto gives the events with seq ≤ seq.
func (h *History) Upto(seq uint64) []events.Stored {
	n := sort.Search(len(h.Events), func(i int) bool { return h.Events[i].Seq > seq })
	return h.Events[:n]
}

// Between gives the events with lo < seq ≤ hi.
func (h *History) Between(lo, hi uint64) []events.Stored {
	if hi <= lo {
		return nil
	}
	i := sort.Search(len(h.Events), func(i int) bool { return h.Events[i].Seq > lo })
	j := sort.Search(len(h.Events), func(i int) bool { return h.Events[i].Seq > hi })
	return h.Events[i:j]
}

// Event finds an event of the year by its event id, or by the id of the
// command that wrote it (its first event).
func (h *History) Event(id string) (events.Stored, bool) {
	for _, ev := range h.Events {
		if ev.ID == id {
			return ev, true
		}
	}
	for _, ev := range h.Events {
		if ev.CommandID == id {
			return ev, true
		}
	}
	return events.Stored{}, false
}

// Version finds a published version.
func (h *History) Version(n int) (Published, bool) {
	for _, p := range h.Publications {
		if p.Version == n {
			return p, true
		}
	}
	return Published{}, false
}

// ResultsAt scores the year as it stood at stream sequence seq.
func (h *History) ResultsAt(seq uint64) (*engine.Results, error) {
	evs := h.Upto(seq)
	if len(evs) == 0 {
		return nil, fmt.Errorf("year %d has no events at or before seq %d", h.Year, seq)
	}
	r, err := engine.Compute(evs)
	if err != nil {
		return nil, err
	}
	r.Quarantined(h.quarantinedUpto(seq))
	return r, nil
}

// Ref names a point of a year: a published version (v2), the current
// state (current), or a stream sequence (seq:120).
type Ref struct {
	Version int    // > 0: that publication's up_to_seq
	Seq     uint64 // > 0: this stream sequence
}

// Current is the year as it stands now.
var Current = Ref{}

// ParseRef reads "current", "vN" or "seq:N".
func ParseRef(s string) (Ref, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "current" || t == "":
		return Current, nil
	case strings.HasPrefix(t, "v"):
		n, err := strconv.Atoi(t[1:])
		if err != nil || n <= 0 {
			return Ref{}, fmt.Errorf("%q: a version is v1, v2 …", s)
		}
		return Ref{Version: n}, nil
	case strings.HasPrefix(t, "seq:"):
		n, err := strconv.ParseUint(t[4:], 10, 64)
		if err != nil || n == 0 {
			return Ref{}, fmt.Errorf("%q: a sequence is seq:N with N ≥ 1", s)
		}
		return Ref{Seq: n}, nil
	}
	return Ref{}, fmt.Errorf("%q is not current, vN (a published version) or seq:N (a stream sequence)", s)
}

func (r Ref) String() string {
	switch {
	case r.Version > 0:
		return "v" + strconv.Itoa(r.Version)
	case r.Seq > 0:
		return "seq:" + strconv.FormatUint(r.Seq, 10)
	}
	return "current"
}

// Resolve gives the stream sequence a ref stands for: a version's
// up_to_seq, the given sequence, or the year's last event.
func (h *History) Resolve(r Ref) (uint64, error) {
	switch {
	case r.Version > 0:
		p, ok := h.Version(r.Version)
		if !ok {
			return 0, fmt.Errorf("year %d has no published version %d (%s)", h.Year, r.Version, h.versions())
		}
		return p.UpToSeq, nil
	case r.Seq > 0:
		return r.Seq, nil
	}
	last := h.Last()
	if n := len(h.Quarantined); n > 0 {
		last = max(last, h.Quarantined[n-1].Seq) // now: with every warning, as kaohe results
	}
	return last, nil
}

func (h *History) versions() string {
	if len(h.Publications) == 0 {
		return "nothing is published yet"
	}
	vs := make([]string, len(h.Publications))
	for i, p := range h.Publications {
		vs[i] = "v" + strconv.Itoa(p.Version)
	}
	return "published: " + strings.Join(vs, ", ")
}
