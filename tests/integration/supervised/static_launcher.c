/* A launcher no preload lives in (built with gcc -static by the tests): for each argument group
 * separated by "--next", fork, execv the absolute path given, wait; exits with the last status.
 * With "--count N PATH ARGS" it starts PATH N times (the benchmark's 500 children). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char** argv) {
  pid_t pid = fork();
  if (pid < 0) return 125;
  if (pid == 0) {
    execv(argv[0], argv);
    perror(argv[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv) {
  if (argc > 3 && strcmp(argv[1], "--count") == 0) {
    int n = atoi(argv[2]), last = 0;
    for (int i = 0; i < n; ++i) last = run(argv + 3);
    return last;
  }
  int last = 0, start = 1;
  for (int i = 1; i <= argc; ++i) {
    if (i == argc || strcmp(argv[i], "--next") == 0) {
      argv[i == argc ? argc : i] = NULL;
      if (i > start) last = run(argv + start);
      start = i + 1;
    }
  }
  return last;
}
