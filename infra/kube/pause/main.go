// pause: the sandbox ("infra") container of every pod on the local node (containerd's sandbox_image,
// localhost/pause:local, built by infra/cluster.sh). It holds the pod's namespaces: it sleeps until SIGTERM or
// SIGINT (exit 0) and, as PID 1 of a pod that shares its PID namespace, reaps orphaned children on SIGCHLD.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for { // reap every exited child; -1 = any child, WNOHANG = do not block
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
