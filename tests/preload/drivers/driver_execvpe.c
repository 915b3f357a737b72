#include "driver_common.h"
/* Passes its own small envp (no guard variables at all), like os.execvpe with a scrubbed env. */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  char path[4200];
  snprintf(path, sizeof path, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  char* envp[] = {path, "DRIVER=execvpe", NULL};
  execvpe(argv[i], argv + i, envp);
  driver_exec_failed("execvpe");
}
