/* The separated mode's attacker: a static program (no dynamic loader, so no preload) run as the
 * agent's user. Each command tries one thing and prints what the kernel or the service answered;
 * the test asserts on those lines.
 *
 *   read PATH            open it for reading          -> "read PATH: ok N bytes" | "read PATH: refused ERRNO"
 *   write PATH           create/truncate it, write    -> "write PATH: ok" | "write PATH: refused ERRNO"
 *   put PATH TEXT        create/truncate it with TEXT -> "put PATH: ok" | "put PATH: refused ERRNO"
 *   copy FROM PATH       create/truncate PATH (and its directory, if missing) with FROM's bytes
 *                                                     -> "copy PATH: ok" | "copy PATH: refused ERRNO"
 *   lock PATH SECONDS    take flock(PATH) (creating it), hold it that long -> "lock PATH: ok" | "lock PATH: refused ERRNO"
 *   empty DIR            unlink every file in DIR     -> "empty DIR: ok N removed" | "empty DIR: refused ERRNO"
 *   append PATH          append a line                -> "append PATH: ..."
 *   unlink PATH          remove it                    -> "unlink PATH: ..."
 *   rename FROM TO       rename                       -> "rename FROM: ..."
 *   mem PID              open /proc/PID/mem           -> "mem PID: ..."
 *   find TEXT PATH...    read every file it can below each PATH (and /proc/PID/mem of the PIDs
 *                        given as proc:PID), and say where TEXT is  -> "found TEXT in X" lines, then "find done"
 *   ask SOCKET LINE      one JSON line to the service -> "ask: <its answer>"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int report(const char* what, const char* path, int ok) {
  if (ok) printf("%s %s: ok\n", what, path);
  else printf("%s %s: refused %d\n", what, path, errno);
  return ok ? 0 : 1;
}

static char* slurp_fd(int fd, size_t* length) {
  size_t cap = 1 << 16, n = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  *length = n;
  return buf;
}

static void find_in_buffer(const char* text, const char* where, const char* buf, size_t n) {
  if (memmem(buf, n, text, strlen(text))) printf("found %s in %s\n", text, where);
}

static void find_in_file(const char* text, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    size_t n;
    char* buf = slurp_fd(fd, &n);
    find_in_buffer(text, path, buf, n);
    free(buf);
  }
  close(fd);
}

static void find_below(const char* text, const char* path, int depth) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    find_in_file(text, path);
    return;
  }
  if (!S_ISDIR(st.st_mode) || depth > 12) return;
  DIR* dir = opendir(path);
  if (!dir) return;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    find_below(text, child, depth + 1);
  }
  closedir(dir);
}

/* Every readable mapping of the process, through /proc/PID/mem. */
static void find_in_memory(const char* text, const char* pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/maps", pid);
  FILE* maps = fopen(path, "r");
  snprintf(path, sizeof path, "/proc/%s/mem", pid);
  int mem = open(path, O_RDONLY | O_CLOEXEC);
  if (!maps || mem < 0) {
    printf("memory of %s: refused %d\n", pid, errno);
    if (maps) fclose(maps);
    if (mem >= 0) close(mem);
    return;
  }
  char line[512];
  while (fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' || end - start > (64ul << 20)) continue;
    char* buf = malloc(end - start);
    ssize_t n = pread(mem, buf, end - start, (off_t)start);
    if (n > 0) find_in_buffer(text, path, buf, (size_t)n);
    free(buf);
  }
  fclose(maps);
  close(mem);
}

static int ask(const char* socket_path, const char* line) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, socket_path, sizeof a.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("ask: refused %d\n", errno);
    return 1;
  }
  dprintf(s, "%s\n", line);
  size_t n;
  char* answer = slurp_fd(s, &n);
  printf("ask: %.*s", (int)n, answer);
  if (n == 0 || answer[n - 1] != '\n') printf("\n");
  free(answer);
  close(s);
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) return 2;
  const char* cmd = argv[1];
  const char* path = argv[2];
  if (!strcmp(cmd, "read")) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return report("read", path, 0);
    size_t n;
    free(slurp_fd(fd, &n));
    printf("read %s: ok %zu bytes\n", path, n);
    return 0;
  }
  if (!strcmp(cmd, "write")) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok = fd >= 0 && write(fd, "{\"decision\":\"approve\",\"by\":\"static-attacker\"}\n", 47) == 47;
    return report("write", path, ok);
  }
  if (!strcmp(cmd, "put") && argc > 3) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok = fd >= 0 && write(fd, argv[3], strlen(argv[3])) == (ssize_t)strlen(argv[3]);
    return report("put", path, ok);
  }
  if (!strcmp(cmd, "copy") && argc > 3) {
    const char* to = argv[3];
    int from = open(path, O_RDONLY | O_CLOEXEC);
    if (from < 0) return report("copy", to, 0);
    size_t n;
    char* bytes = slurp_fd(from, &n);
    close(from);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", to);
    char* slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
      *slash = '\0';
      mkdir(dir, 0755);
    }
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, bytes, n) == (ssize_t)n;
    free(bytes);
    return report("copy", to, ok);
  }
  if (!strcmp(cmd, "lock") && argc > 3) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int ok = fd >= 0 && flock(fd, LOCK_EX) == 0;
    report("lock", path, ok);
    if (ok) sleep((unsigned)atoi(argv[3]));
    return ok ? 0 : 1;
  }
  if (!strcmp(cmd, "empty")) {
    DIR* d = opendir(path);
    if (d == NULL) return report("empty", path, 0);
    int removed = 0;
    for (struct dirent* e; (e = readdir(d)) != NULL;) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      if (unlinkat(dirfd(d), e->d_name, 0) == 0) ++removed;
    }
    closedir(d);
    printf("empty %s: ok %d removed\n", path, removed);
    return 0;
  }
  if (!strcmp(cmd, "append")) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, "{}\n", 3) == 3;
    return report("append", path, ok);
  }
  if (!strcmp(cmd, "unlink")) return report("unlink", path, unlink(path) == 0);
  if (!strcmp(cmd, "rename") && argc > 3) return report("rename", path, rename(path, argv[3]) == 0);
  if (!strcmp(cmd, "mem")) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%s/mem", path);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    return report("mem", path, fd >= 0);
  }
  if (!strcmp(cmd, "find")) {
    for (int i = 3; i < argc; ++i) {
      if (!strncmp(argv[i], "proc:", 5)) find_in_memory(path, argv[i] + 5);
      else find_below(path, argv[i], 0);
    }
    printf("find done\n");
    return 0;
  }
  if (!strcmp(cmd, "ask") && argc > 3) return ask(path, argv[3]);
  return 2;
}
