#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  execv(argv[i], argv + i);
  driver_exec_failed("execv");
}
