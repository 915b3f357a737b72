#include "driver_common.h"
int main(int argc, char** argv) {
  int i = driver_setup(argc, argv);
  int n = argc - i - 1;
  if (n == 0) execlp(argv[i], argv[i], (char*)NULL);
  else if (n == 1) execlp(argv[i], argv[i], argv[i + 1], (char*)NULL);
  else if (n == 2) execlp(argv[i], argv[i], argv[i + 1], argv[i + 2], (char*)NULL);
  else execlp(argv[i], argv[i], argv[i + 1], argv[i + 2], argv[i + 3], (char*)NULL);
  driver_exec_failed("execlp");
}
