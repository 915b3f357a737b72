#include <fcntl.h>
#include <spawn.h>
#include "driver_common.h"
/* Failed launches, one per line: "CASE errno" (exec family) or "CASE rc" (spawn family). The
 * test runs this with and without the preload and wants the same lines: the guard answers a
 * missing path itself (one readlink), and must answer exactly as the kernel and libc would.
 * Usage: driver_errno_paths DIR, where DIR holds (made by the test):
 *   notexec (mode 644), adir/, file (a regular file), dangling -> DIR/nothing,
 *   agtest-watched-dangling -> DIR/nothing/agtest-watched, loop -> loop,
 *   eacces/prog (mode 644), agtest-watched-eacces/agtest-watched (mode 644). */
static const char* g_dir;
static char* g_args[] = {"prog", "arg", NULL};

static const char* in_dir(const char* name) {
  static char buffers[8][4096];
  static int next;
  char* out = buffers[next++ % 8];
  snprintf(out, 4096, "%s/%s", g_dir, name);
  return out;
}

static void report(const char* what, int value) { printf("%s %d\n", what, value); }

static void try_execve(const char* what, const char* path) {
  errno = 0;
  execve(path, g_args, environ);
  report(what, errno);
}

static void try_exec_family(const char* what, const char* path) {
  char name[256];
  try_execve(what, path);
  snprintf(name, sizeof name, "%s/execv", what);
  errno = 0;
  execv(path, g_args);
  report(name, errno);
  snprintf(name, sizeof name, "%s/execl", what);
  errno = 0;
  execl(path, "prog", "arg", (char*)NULL);
  report(name, errno);
  snprintf(name, sizeof name, "%s/execle", what);
  errno = 0;
  execle(path, "prog", "arg", (char*)NULL, environ);
  report(name, errno);
  pid_t pid;
  snprintf(name, sizeof name, "%s/posix_spawn", what);
  int rc = posix_spawn(&pid, path, NULL, NULL, g_args, environ);
  if (rc == 0) waitpid(pid, NULL, 0);
  report(name, rc);
}

/* PATH searches with PATH set to `path_value` (entries are names in DIR, ':'-joined). */
static void try_path_search(const char* what, const char* path_value, const char* file) {
  char name[256];
  char saved[4096];
  const char* old = getenv("PATH");
  snprintf(saved, sizeof saved, "%s", old ? old : "");
  setenv("PATH", path_value, 1);
  snprintf(name, sizeof name, "%s/execvp", what);
  errno = 0;
  execvp(file, g_args);
  report(name, errno);
  snprintf(name, sizeof name, "%s/execvpe", what);
  errno = 0;
  execvpe(file, g_args, environ);
  report(name, errno);
  snprintf(name, sizeof name, "%s/execlp", what);
  errno = 0;
  execlp(file, "prog", "arg", (char*)NULL);
  report(name, errno);
  pid_t pid;
  snprintf(name, sizeof name, "%s/posix_spawnp", what);
  int rc = posix_spawnp(&pid, file, NULL, NULL, g_args, environ);
  if (rc == 0) waitpid(pid, NULL, 0);
  report(name, rc);
  setenv("PATH", saved, 1);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  g_dir = argv[1];
  if (chdir(g_dir) != 0) return 2;
  try_exec_family("missing-absolute", in_dir("nothing"));
  try_exec_family("missing-watched", in_dir("agtest-watched"));
  try_exec_family("missing-relative", "nothing");
  try_exec_family("missing-dir-component", in_dir("nodir/prog"));
  try_exec_family("file-as-dir", in_dir("file/prog"));
  try_exec_family("trailing-slash", in_dir("file/"));
  try_exec_family("empty", "");
  try_exec_family("not-executable", in_dir("notexec"));
  try_exec_family("directory", in_dir("adir"));
  try_exec_family("dangling-symlink", in_dir("dangling"));
  try_exec_family("dangling-watched-symlink", in_dir("agtest-watched-dangling"));
  try_exec_family("symlink-loop", in_dir("loop"));

  char path_value[8192];
  snprintf(path_value, sizeof path_value, "%s:%s:%s", in_dir("nodir"), in_dir("file"), in_dir("adir"));
  try_path_search("path-all-missing", path_value, "prog");
  snprintf(path_value, sizeof path_value, "%s:%s:%s", in_dir("nodir"), in_dir("eacces"), in_dir("adir"));
  try_path_search("path-one-eacces", path_value, "prog");
  snprintf(path_value, sizeof path_value, "%s:%s", in_dir("eacces"), in_dir("nodir"));
  try_path_search("path-eacces-first", path_value, "prog");
  snprintf(path_value, sizeof path_value, "%s:%s", in_dir("nodir"), in_dir("agtest-watched-eacces"));
  try_path_search("path-watched-eacces", path_value, "agtest-watched");
  snprintf(path_value, sizeof path_value, "%s:%s", in_dir("nodir"), in_dir("file"));
  try_path_search("path-watched-missing", path_value, "agtest-watched");
  try_path_search("path-slash-missing", path_value, in_dir("nothing"));
  try_path_search("path-empty-name", path_value, "");

  int fd = open(in_dir("notexec"), O_RDONLY | O_CLOEXEC);
  errno = 0;
  fexecve(-1, g_args, environ);
  report("fexecve-bad-fd", errno);
  errno = 0;
  fexecve(fd, g_args, environ);
  report("fexecve-not-executable", errno);
  errno = 0;
  execveat(-1, "nothing", g_args, environ, 0);
  report("execveat-bad-dirfd", errno);
  errno = 0;
  execveat(AT_FDCWD, "nothing", g_args, environ, 0);
  report("execveat-missing", errno);
  int dirfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  errno = 0;
  execveat(dirfd, "nothing", g_args, environ, 0);
  report("execveat-dirfd-missing", errno);
  errno = 0;
  execveat(dirfd, "file/prog", g_args, environ, 0);
  report("execveat-dirfd-file-as-dir", errno);
  return 0;
}
