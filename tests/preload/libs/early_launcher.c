/* A library whose constructor launches a program (AGTEST_EARLY_PROGRAM) by fork+execv before
 * main, possibly before libagentguard's own constructor has run: the guard must hold anyway. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void launch_early(void) {
  const char* program = getenv("AGTEST_EARLY_PROGRAM");
  if (program == NULL) return;
  pid_t pid = fork();
  if (pid == 0) {
    char* const args[] = {(char*)program, "early", NULL};
    execv(program, args);
    _exit(127);
  }
  if (pid > 0) waitpid(pid, NULL, 0);
}
