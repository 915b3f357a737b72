#include "driver_common.h"
/* system("PROGRAM ARGS..."): /bin/sh runs it. */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  char command[8192];
  driver_join(argv, i, command, sizeof command);
  int status = system(command);
  if (status == -1) driver_exec_failed("system");
  return driver_exit_status(status);
}
