// A terragrunt/atmos-style wrapper: a static Go program (CGO_ENABLED=0) that runs terraform with
// its own arguments. Go starts programs with raw fork/exec syscalls, never through libc.
package main

import (
	"os"
	"os/exec"
)

func main() {
	cmd := exec.Command("terraform", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			os.Exit(exit.ExitCode())
		}
		os.Stderr.WriteString("go_wrapper: " + err.Error() + "\n")
		os.Exit(1)
	}
}
