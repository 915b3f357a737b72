/* The file hooks' cost per call (preload/files/file_guard.hpp), for bench/run_bench.py's file_opens
 * measure: run unguarded, under an empty preload and under libagentguard.so, in a scratch directory.
 * Prints one line per kind of call: "<name> <ns per call, process CPU time>", the median of 5 runs.
 *   open-read     open(O_RDONLY) + close of an existing file: the flag test only
 *   open-write    open(O_WRONLY|O_TRUNC) + close of an existing file: name check + getcwd + readlinkat
 *   create-unlink open(O_WRONLY|O_CREAT|O_EXCL) + close + unlink of a file in a subdirectory:
 *                 name check + the directory named through an O_PATH open, twice */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void report(const char* name, int kind, int n) {
  double runs[5];
  for (int r = 0; r < 5; ++r) {
    double start = now_ns();
    for (int i = 0; i < n; ++i) {
      int fd = -1;
      if (kind == 0) fd = open("existing.txt", O_RDONLY);
      if (kind == 1) fd = open("existing.txt", O_WRONLY | O_TRUNC);
      if (kind == 2) fd = open("sub/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd < 0) {
        perror(name);
        exit(1);
      }
      close(fd);
      if (kind == 2 && unlink("sub/new.txt") != 0) {
        perror("unlink");
        exit(1);
      }
    }
    runs[r] = (now_ns() - start) / n;
  }
  qsort(runs, 5, sizeof runs[0], cmp);
  printf("%s %.0f\n", name, runs[2]);
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  if (mkdir("sub", 0755) != 0 && access("sub", F_OK) != 0) return 1;
  int fd = open("existing.txt", O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return 1;
  close(fd);
  report("open-read", 0, n);
  report("open-write", 1, n);
  report("create-unlink", 2, n / 4);
  return 0;
}
