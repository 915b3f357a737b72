/* The program the tests launch, under two names (agtest-plain, agtest-watched) and as copies.
 * Each run appends its argv and the guard variables it received to markers/<name>.ran next to
 * its own file, so a test can tell whether it ran and with which environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 3;
  exe[n] = '\0';
  /* Run through ld.so, /proc/self/exe is the loader: argv[0] is our path then. */
  if (strncmp(basename(strdup(exe)), "ld-", 3) == 0) snprintf(exe, sizeof exe, "%s", argv[0]);
  char* dir = dirname(strdup(exe));
  char* name = basename(strdup(exe));
  char marker[8192];
  snprintf(marker, sizeof marker, "%s/markers/%s.ran", dir, name);
  FILE* out = fopen(marker, "a");
  if (out == NULL) return 4;
  fprintf(out, "ARGV");
  for (int i = 0; i < argc; ++i) fprintf(out, "\t%s", argv[i]);
  fprintf(out, "\n");
  const char* vars[] = {"LD_PRELOAD", "AGENTGUARD_WATCH", "AGENTGUARD_GATE", "AGENTGUARD_SESSION", NULL};
  for (int i = 0; vars[i] != NULL; ++i) {
    const char* v = getenv(vars[i]);
    fprintf(out, "ENV\t%s\t%s\n", vars[i], v ? v : "<unset>");
  }
  fclose(out);
  return 0;
}
