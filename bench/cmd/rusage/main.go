// Command rusage runs a command and prints, on one line to standard error,
// what it cost: user and system CPU seconds (getrusage of the child), wall
// seconds and peak RSS in KB. bench/run.sh uses it for the whole-capture
// comparison, so that no /usr/bin/time is needed.
//
//	rusage LABEL COMMAND [ARG...]
//
// prints "LABEL user SECONDS sys SECONDS wall SECONDS maxrss KB exit CODE".
// The command's standard output is discarded; its standard error is passed
// through.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rusage LABEL COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(1)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		fmt.Fprintln(os.Stderr, "rusage: no resource usage")
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%s user %.3f sys %.3f wall %.3f maxrss %d exit %d\n", os.Args[1],
		float64(ru.Utime.Nano())/1e9, float64(ru.Stime.Nano())/1e9, wall.Seconds(), ru.Maxrss, code)
}
