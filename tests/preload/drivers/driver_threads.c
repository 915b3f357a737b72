#include <pthread.h>
#include <spawn.h>
#include "driver_common.h"
/* Multithreaded stress: THREADS threads each launch PLAIN and WATCHED ROUNDS times, by fork+execv,
 * vfork+execv and posix_spawn in turn. Every plain child must exit 0 and every watched one 126
 * (the fake gate's status). Usage: driver_threads PLAIN WATCHED THREADS ROUNDS */
static const char* g_plain;
static const char* g_watched;
static int g_rounds;
static int g_failures;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static int launch(const char* program, int how) {
  char* args[] = {(char*)program, "stress", NULL};
  pid_t pid;
  if (how == 0) {
    pid = fork();
    if (pid == 0) {
      execv(program, args);
      _exit(127);
    }
  } else if (how == 1) {
    pid = vfork();
    if (pid == 0) {
      execv(program, args);
      _exit(127);
    }
  } else if (posix_spawn(&pid, program, NULL, NULL, args, environ) != 0) {
    return -1;
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return driver_exit_status(status);
}

static void* worker(void* arg) {
  (void)arg;
  for (int r = 0; r < g_rounds; ++r) {
    int how = r % 3;
    int plain = launch(g_plain, how);
    int watched = launch(g_watched, how);
    if (plain != 0 || watched != 126) {
      pthread_mutex_lock(&g_lock);
      ++g_failures;
      fprintf(stderr, "round %d how %d: plain=%d watched=%d\n", r, how, plain, watched);
      pthread_mutex_unlock(&g_lock);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  g_plain = argv[1];
  g_watched = argv[2];
  int threads = atoi(argv[3]);
  g_rounds = atoi(argv[4]);
  pthread_t ids[64];
  if (threads > 64) threads = 64;
  for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, worker, NULL);
  for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  printf("launches=%d failures=%d\n", threads * g_rounds * 2, g_failures);
  return g_failures == 0 ? 0 : 1;
}
