package web

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaohe/kaohe/commands"
)

// Metrics are kaohe serve's Prometheus metrics (/metrics).
type Metrics struct {
	Registry   *prometheus.Registry
	commands   *prometheus.CounterVec
	rejections *prometheus.CounterVec
	denials    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// NewMetrics registers kaohe's metrics. lag and quarantined are read when
// scraped (a failed read reports -1).
func NewMetrics(lag func(context.Context) (uint64, error), quarantined func(context.Context) (int, error)) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaohe_commands_total",
			Help: "Commands submitted (HTTP API and NATS service), by command type and outcome (accepted or the error code)."}, []string{"type", "outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaohe_rejections_total",
			Help: "Rejected submissions, by error code and field."}, []string{"code", "field"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaohe_http_denials_total",
			Help: "HTTP requests denied (403, the reason logged), by route."}, []string{"route"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kaohe_http_request_duration_seconds",
			Help: "HTTP request latency by route and status.", Buckets: prometheus.DefBuckets}, []string{"route", "code"}),
	}
	gauge := func(name, help string, f func(context.Context) (float64, error)) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			v, err := f(ctx)
			if err != nil {
				return -1
			}
			return v
		})
	}
	m.Registry.MustRegister(m.commands, m.rejections, m.denials, m.latency,
		gauge("kaohe_projection_lag_events", "Stream messages the SQLite projections have not applied yet.",
			func(ctx context.Context) (float64, error) { n, err := lag(ctx); return float64(n), err }),
		gauge("kaohe_quarantined_events", "Messages quarantined (not admitted: undecodable, misplaced, unlinked or not validly signed).",
			func(ctx context.Context) (float64, error) { n, err := quarantined(ctx); return float64(n), err }),
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Submitted counts one submission's commands: all accepted, or all
// rejected with the error's code.
func (m *Metrics) Submitted(cmds []commands.Command, err error) {
	if m == nil {
		return
	}
	outcome := "accepted"
	if err != nil {
		outcome = commands.ErrorCode(err)
		field := ""
		var e *commands.Error
		if errors.As(err, &e) {
			field = e.Field
		}
		m.rejections.WithLabelValues(outcome, field).Inc()
	}
	for _, c := range cmds {
		m.commands.WithLabelValues(c.Type, outcome).Inc()
	}
}

func (m *Metrics) denied(route string) {
	if m != nil {
		m.denials.WithLabelValues(route).Inc()
	}
}

func (m *Metrics) observe(route string, code int, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(route, itoa(code)).Observe(d.Seconds())
	}
}
