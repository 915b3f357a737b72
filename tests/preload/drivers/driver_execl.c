#include "driver_common.h"
/* Up to three arguments after PROGRAM, passed as a literal variadic list. */
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  int n = argc - i - 1;
  if (n == 0) execl(argv[i], argv[i], (char*)NULL);
  else if (n == 1) execl(argv[i], argv[i], argv[i + 1], (char*)NULL);
  else if (n == 2) execl(argv[i], argv[i], argv[i + 1], argv[i + 2], (char*)NULL);
  else execl(argv[i], argv[i], argv[i + 1], argv[i + 2], argv[i + 3], (char*)NULL);
  driver_exec_failed("execl");
}
