/* Shared bits of the per-function drivers. Usage of every driver:
 *   driver_<function> [--scrub] PROGRAM [ARGS...]
 * --scrub clears the environment first (keeping only PATH), as `env -i` or
 * subprocess.run(env={...}) would: the launch must still carry the guard. */
#ifndef AGENTGUARD_DRIVER_COMMON_H
#define AGENTGUARD_DRIVER_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

/* Returns the index of PROGRAM in argv, after applying --scrub. */
static inline int driver_setup(int argc, char** argv) {
  int i = 1;
  if (i < argc && strcmp(argv[i], "--scrub") == 0) {
    char path[4096];
    const char* p = getenv("PATH");
    snprintf(path, sizeof path, "%s", p ? p : "/usr/bin:/bin");
    clearenv();
    setenv("PATH", path, 1);
    ++i;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: %s [--scrub] PROGRAM [ARGS...]\n", argv[0]);
    exit(2);
  }
  return i;
}

/* Exit with the status a shell would report for a waited child. */
static inline int driver_exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

static inline void driver_exec_failed(const char* function) {
  int saved = errno;
  fprintf(stderr, "driver: %s failed: errno=%d (%s)\n", function, saved, strerror(saved));
  exit(saved == EACCES ? 126 : 127);
}

/* Joins argv[from..] with spaces, for system() and popen(). */
static inline void driver_join(char** argv, int from, char* out, size_t cap) {
  out[0] = '\0';
  for (int i = from; argv[i] != NULL; ++i) {
    if (i > from) strncat(out, " ", cap - strlen(out) - 1);
    strncat(out, argv[i], cap - strlen(out) - 1);
  }
}
#endif
