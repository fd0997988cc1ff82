package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKilledMidWrite kills a child process (this test binary re-run) that
// marks keys dirty from several goroutines as fast as it can, then reopens
// the store: every mark the child saw acknowledged must be there, and the
// store must open cleanly whatever the kill interrupted.
func TestKilledMidWrite(t *testing.T) {
	if dir := os.Getenv("TANDEM_EMBEDDED_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidWrite$")
		cmd.Env = append(os.Environ(), "TANDEM_EMBEDDED_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]int64{}
		sc := bufio.NewScanner(out)
		for sc.Scan() && len(acked) < 100+round*50 {
			// "ack <key> <seq>" once MarkDirty returned nil.
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "ack" {
				seq, _ := strconv.ParseInt(f[2], 10, 64)
				acked[f[1]] = seq
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if len(acked) < 100 {
			t.Fatalf("round %d: child acknowledged only %d marks", round, len(acked))
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		d, _ := s.Dirty(t.Context())
		for k, seq := range acked {
			if d[k] != seq {
				t.Fatalf("round %d: acknowledged mark %s=%d lost (have %d)", round, k, seq, d[k])
			}
		}
		s.Close()
	}
}

func crashChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(20 * time.Second) // the parent kills it long before
	for g := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				k := fmt.Sprintf("k%d-%d", g, i)
				seq, err := s.MarkDirty(context.Background(), k)
				if err != nil {
					fmt.Println("error:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("ack %s %d\n", k, seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}
