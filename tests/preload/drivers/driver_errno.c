#include <spawn.h>
#include "driver_common.h"
/* errno must be exactly what libc reports, never a leftover of the guard's own syscalls.
 * Usage: driver_errno WATCHED   (run with the gate unset, so WATCHED is refused)
 * Prints one line per check and exits 1 if any failed. */
static int failures;
static void check(const char* what, int got, int want) {
  printf("%s: errno=%d want=%d %s\n", what, got, want, got == want ? "ok" : "FAIL");
  if (got != want) ++failures;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  char* args[] = {"x", NULL};
  /* Not executable: execve says EACCES; the guard's readlink on it would have said EINVAL. */
  errno = 0;
  execve("/etc/passwd", args, environ);
  check("execve non-executable", errno, EACCES);
  errno = 0;
  execv("/nonexistent/dir/prog", args);
  check("execv missing", errno, ENOENT);
  errno = 0;
  execvp("agentguard-no-such-program", args);
  check("execvp not on PATH", errno, ENOENT);
  /* Success keeps the caller's errno. */
  pid_t pid;
  char* true_args[] = {"true", NULL};
  errno = 4242;
  int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, true_args, environ);
  check("posix_spawn success keeps errno", errno, 4242);
  if (rc == 0) waitpid(pid, NULL, 0);
  /* Refused watched launch: EACCES. */
  errno = 0;
  execv(argv[1], args);
  check("execv watched without gate", errno, EACCES);
  rc = posix_spawn(&pid, argv[1], NULL, NULL, args, environ);
  check("posix_spawn watched without gate (return value)", rc, EACCES);
  return failures == 0 ? 0 : 1;
}
