package demo

import (
	"bytes"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// cpuByPart profiles the process's CPU until the returned function is
// called, which answers the CPU time spent by each part of the Env, by
// the profiler label StartEnv puts on its goroutines: "daemon" (Tandem),
// "sandbox" (both sandboxes) and "" (everything else: the runtime's
// background garbage collection, the benchmark itself). ok is false when
// the process is already being profiled (go test -cpuprofile).
func cpuByPart(b *testing.B) func() (cpu map[string]time.Duration, ok bool) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return func() (map[string]time.Duration, bool) { return nil, false }
	}
	return func() (map[string]time.Duration, bool) {
		pprof.StopCPUProfile()
		p, err := profile.Parse(&buf)
		if err != nil {
			b.Fatalf("reading the CPU profile: %v", err)
		}
		col := -1
		for k, st := range p.SampleType {
			if st.Type == "cpu" {
				col = k
			}
		}
		if col < 0 {
			b.Fatalf("the CPU profile has no cpu samples: %v", p.SampleType)
		}
		cpu := map[string]time.Duration{}
		for _, s := range p.Sample {
			part := ""
			if l := s.Label[partLabel]; len(l) > 0 {
				part = l[0]
			}
			cpu[part] += time.Duration(s.Value[col])
		}
		return cpu, true
	}
}

// reportCPU reports what cpuByPart measured: each part's CPU seconds and
// the pairs the daemon made per second of its own CPU, counting the
// unlabelled time (garbage collection of the whole process, the
// benchmark's own waiting) as the daemon's, an upper bound of its cost.
func reportCPU(b *testing.B, pairs int, cpu map[string]time.Duration) {
	b.ReportMetric(cpu["daemon"].Seconds(), "daemon-cpu-s")
	b.ReportMetric(cpu["sandbox"].Seconds(), "sandbox-cpu-s")
	b.ReportMetric(cpu[""].Seconds(), "other-cpu-s")
	if d := cpu["daemon"] + cpu[""]; d > 0 {
		b.ReportMetric(float64(pairs)/d.Seconds(), "pairs/daemon-cpu-s")
	}
}
