#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  execve(argv[i], argv + i, environ);
  driver_exec_failed("execve");
}
