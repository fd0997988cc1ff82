//go:build unix

package embedded

import (
	"errors"
	"os"
	"syscall"
)

var errWouldBlock = errors.New("lock held elsewhere")

// flock takes an exclusive, non-blocking flock on f. The lock belongs to the
// open file description, so a second Open in the same process is refused
// too, and the kernel drops it when the process dies.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errWouldBlock
		default:
			return err
		}
	}
}
