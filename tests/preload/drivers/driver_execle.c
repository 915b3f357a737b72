#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  char* envp[] = {"DRIVER=execle", NULL};
  int n = argc - i - 1;
  if (n == 0) execle(argv[i], argv[i], (char*)NULL, envp);
  else if (n == 1) execle(argv[i], argv[i], argv[i + 1], (char*)NULL, envp);
  else if (n == 2) execle(argv[i], argv[i], argv[i + 1], argv[i + 2], (char*)NULL, envp);
  else execle(argv[i], argv[i], argv[i + 1], argv[i + 2], argv[i + 3], (char*)NULL, envp);
  driver_exec_failed("execle");
}
