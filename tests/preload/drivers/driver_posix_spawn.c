#include <spawn.h>
#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[i], NULL, NULL, argv + i, environ);
  if (rc != 0) {
    errno = rc;
    driver_exec_failed("posix_spawn");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return driver_exit_status(status);
}
