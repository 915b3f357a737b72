#include <pthread.h>
#include <spawn.h>
#include "driver_common.h"
/* The spawn-family hooks (posix_spawn, posix_spawnp, system, popen) find libc's function on
 * their first call, not in the constructor. This starts that first call in a forked child
 * (before the parent ever spawned), then in THREADS threads released at the same moment, each
 * using every function for PLAIN (must exit 0) and WATCHED (must reach the fake gate: 126).
 * Usage: driver_lazy PLAIN WATCHED THREADS */
static const char* g_plain;
static const char* g_watched;
static int g_failures;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t g_start;

static int wait_status(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return driver_exit_status(status);
}

/* Exit status of PROGRAM launched by function `how` (0 posix_spawn, 1 posix_spawnp, 2 system, 3 popen). */
static int launch(const char* program, int how) {
  char* args[] = {(char*)program, "lazy", NULL};
  pid_t pid;
  char command[4200];
  snprintf(command, sizeof command, "%s lazy", program);
  switch (how) {
    case 0:
      if (posix_spawn(&pid, program, NULL, NULL, args, environ) != 0) return -1;
      return wait_status(pid);
    case 1:
      if (posix_spawnp(&pid, program, NULL, NULL, args, environ) != 0) return -1;
      return wait_status(pid);
    case 2: {
      int status = system(command);
      return status < 0 ? -1 : driver_exit_status(status);
    }
    default: {
      FILE* f = popen(command, "r");
      if (f == NULL) return -1;
      char buffer[256];
      while (fgets(buffer, sizeof buffer, f) != NULL) {
      }
      int status = pclose(f);
      return status < 0 ? -1 : driver_exit_status(status);
    }
  }
}

static int launch_all(const char* who) {
  int failures = 0;
  for (int how = 0; how < 4; ++how) {
    int plain = launch(g_plain, how);
    int watched = launch(g_watched, how);
    if (plain != 0 || watched != 126) {
      fprintf(stderr, "%s how %d: plain=%d watched=%d\n", who, how, plain, watched);
      ++failures;
    }
  }
  return failures;
}

static void* worker(void* arg) {
  (void)arg;
  pthread_barrier_wait(&g_start);
  int failures = launch_all("thread");
  pthread_mutex_lock(&g_lock);
  g_failures += failures;
  pthread_mutex_unlock(&g_lock);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  g_plain = argv[1];
  g_watched = argv[2];
  int threads = atoi(argv[3]);
  if (threads < 1 || threads > 64) return 2;
  /* First use in a forked child of a process that has not spawned anything yet. */
  pid_t child = fork();
  if (child == 0) _exit(launch_all("forked child") == 0 ? 0 : 1);
  if (wait_status(child) != 0) ++g_failures;
  /* First use in the parent, from all threads at once. */
  pthread_t ids[64];
  pthread_barrier_init(&g_start, NULL, (unsigned)threads);
  for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, worker, NULL);
  for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  printf("threads=%d failures=%d\n", threads, g_failures);
  return g_failures == 0 ? 0 : 1;
}
