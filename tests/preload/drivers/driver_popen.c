#include "driver_common.h"
/* popen("PROGRAM ARGS...", "r"), copying its output to stdout. */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  char command[8192];
  driver_join(argv, i, command, sizeof command);
  FILE* child = popen(command, "r");
  if (child == NULL) driver_exec_failed("popen");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, child)) > 0) fwrite(buffer, 1, n, stdout);
  int status = pclose(child);
  return driver_exit_status(status);
}
