//go:build !unix

package embedded

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held elsewhere")

// flock is not available here: the data dir is not protected against a
// second process, which the daemon's docs call out for these platforms.
func flock(*os.File) error { return nil }
