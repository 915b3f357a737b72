#include <fcntl.h>
#include <spawn.h>
#include "driver_common.h"
/* With a file action (stdin from /dev/null), which the gate launch must carry too. */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[i], &actions, NULL, argv + i, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    driver_exec_failed("posix_spawnp");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return driver_exit_status(status);
}
