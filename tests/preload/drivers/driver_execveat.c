#include <fcntl.h>
#include <libgen.h>
#include "driver_common.h"
/* execveat(dirfd of PROGRAM's directory, "basename", ...): the path is relative to an fd.
 * With DRIVER_EMPTY_PATH=1: execveat(fd of PROGRAM, "", ..., AT_EMPTY_PATH). */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  if (getenv("DRIVER_EMPTY_PATH") != NULL) {
    int fd = open(argv[i], O_RDONLY); /* no O_CLOEXEC, see driver_fexecve.c */
    if (fd < 0) driver_exec_failed("open");
    execveat(fd, "", argv + i, environ, AT_EMPTY_PATH);
    driver_exec_failed("execveat");
  }
  char dir[4096], base[4096];
  snprintf(dir, sizeof dir, "%s", argv[i]);
  snprintf(base, sizeof base, "%s", argv[i]);
  int dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) driver_exec_failed("open");
  execveat(dirfd, basename(base), argv + i, environ, 0);
  driver_exec_failed("execveat");
}
