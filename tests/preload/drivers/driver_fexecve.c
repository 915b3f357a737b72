#include <fcntl.h>
#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  int fd = open(argv[i], O_RDONLY); /* no O_CLOEXEC: a script's interpreter reopens /dev/fd/N */
  if (fd < 0) driver_exec_failed("open");
  fexecve(fd, argv + i, environ);
  driver_exec_failed("fexecve");
}
