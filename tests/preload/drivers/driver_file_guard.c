/* The file hooks (preload/hooks/hook_open.cpp, hook_fopen.cpp, hook_rename.cpp, hook_unlink.cpp,
 * hook_truncate.cpp, hook_link.cpp), called directly, each one by name.
 * Usage: driver_file_guard DIR [--fast-only]   (DIR holds terraform.tfstate, terraform.tfstate.backup,
 *        terraform.tfstate.d/other/terraform.tfstate and an empty terraform.tfstate.d/empty; run in DIR)
 * Prints "<case> errno=<n> want=<m> ok|FAIL" per check and exits 1 if any failed.
 * - the fast path (reads, ordinary files) leaves errno exactly as libc sets it, or untouched on success;
 * - every write-intent call on a protected path fails with EACCES and changes nothing. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "driver_common.h"

/* The fortified entry points, as -D_FORTIFY_SOURCE code calls them (glibc exports them). */
int __open_2(const char*, int);
int __open64_2(const char*, int);
int __openat_2(int, const char*, int);
int __openat64_2(int, const char*, int);

static int failures;

static void check(const char* what, int got, int want) {
  printf("%s errno=%d want=%d %s\n", what, got, want, got == want ? "ok" : "FAIL");
  if (got != want) ++failures;
}

/* A call that must fail: its errno. */
#define FAILS(call) (errno = 0, (call), errno)
/* A call that must succeed and leave errno alone: 4242 if it did. */
#define KEEPS(call) (errno = 4242, ((call) < 0 ? -1 : errno))
#define KEEPS_P(call) (errno = 4242, ((call) == NULL ? -1 : errno))

static int closes(int fd) { return fd < 0 ? -1 : close(fd); }
static int fcloses(FILE* f) { return f == NULL ? -1 : fclose(f); }

int main(int argc, char** argv) {
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  const int fast_only = argc > 2 && strcmp(argv[2], "--fast-only") == 0;
  struct stat before;
  if (stat("terraform.tfstate", &before) != 0) return 2;

  /* --- the fast path: reads and ordinary files, errno as libc leaves it --- */
  check("open read missing", FAILS(open("no-such-file", O_RDONLY)), ENOENT);
  check("open read success keeps errno", KEEPS(closes(open("terraform.tfstate", O_RDONLY))), 4242);
  check("open64 read success keeps errno", KEEPS(closes(open64("terraform.tfstate", O_RDONLY))), 4242);
  check("openat read bad dirfd", FAILS(openat(987, "x", O_RDONLY)), EBADF);
  check("fopen read success keeps errno", KEEPS(fcloses(fopen("terraform.tfstate", "r"))), 4242);
  check("fopen read missing", FAILS(fopen("no-such-file", "r")), ENOENT);
  check("open write ordinary keeps errno", KEEPS(closes(open("ordinary.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644))), 4242);
  check("fopen write ordinary keeps errno", KEEPS(fcloses(fopen("ordinary.txt", "w"))), 4242);
  check("open write in a missing dir", FAILS(open("no-dir/x", O_WRONLY | O_CREAT, 0644)), ENOENT);
  check("open write through a file", FAILS(open("ordinary.txt/x", O_WRONLY | O_CREAT, 0644)), ENOTDIR);
  check("open excl existing", FAILS(open("ordinary.txt", O_WRONLY | O_CREAT | O_EXCL, 0644)), EEXIST);
  check("rename ordinary keeps errno", KEEPS(rename("ordinary.txt", "renamed.txt")), 4242);
  check("rename missing", FAILS(rename("no-such-file", "x")), ENOENT);
  check("truncate missing", FAILS(truncate("no-such-file", 0)), ENOENT);
  check("unlink ordinary keeps errno", KEEPS(unlink("renamed.txt")), 4242);
  check("unlink missing", FAILS(unlink("no-such-file")), ENOENT);
  check("unlinkat bad dirfd", FAILS(unlinkat(987, "x", 0)), EBADF);
  if (mkdir("full", 0755) != 0 || closes(open("full/x", O_WRONLY | O_CREAT, 0644)) != 0) return 2;
  check("rmdir not empty", FAILS(rmdir("full")), ENOTEMPTY);
  check("link missing", FAILS(link("no-such-file", "x")), ENOENT);
  check("remove missing", FAILS(remove("no-such-file")), ENOENT);
  check("creat in a missing dir", FAILS(creat("no-dir/x", 0644)), ENOENT);
  check("__open_2 read missing", FAILS(__open_2("no-such-file", O_RDONLY)), ENOENT);
  if (fast_only) return failures == 0 ? 0 : 1;  /* the rest would really change the files without the guard */

  /* --- protected paths: EACCES, nothing changed --- */
  check("open O_WRONLY", FAILS(open("terraform.tfstate", O_WRONLY)), EACCES);
  check("open O_RDWR", FAILS(open("terraform.tfstate", O_RDWR)), EACCES);
  check("open O_RDONLY|O_TRUNC", FAILS(open("terraform.tfstate", O_RDONLY | O_TRUNC)), EACCES);
  check("open O_CREAT new state", FAILS(open("new.tfstate", O_WRONLY | O_CREAT, 0644)), EACCES);
  check("open64 O_TRUNC", FAILS(open64("terraform.tfstate", O_WRONLY | O_TRUNC)), EACCES);
  check("openat O_APPEND", FAILS(openat(AT_FDCWD, "terraform.tfstate", O_WRONLY | O_APPEND)), EACCES);
  check("openat64 backup", FAILS(openat64(AT_FDCWD, "terraform.tfstate.backup", O_RDWR)), EACCES);
  check("__open_2", FAILS(__open_2("terraform.tfstate", O_WRONLY)), EACCES);
  check("__open64_2", FAILS(__open64_2("terraform.tfstate", O_RDWR)), EACCES);
  check("__openat_2", FAILS(__openat_2(AT_FDCWD, "terraform.tfstate", O_WRONLY)), EACCES);
  check("__openat64_2", FAILS(__openat64_2(AT_FDCWD, "terraform.tfstate", O_WRONLY)), EACCES);
  check("creat", FAILS(creat("terraform.tfstate", 0644)), EACCES);
  check("creat64", FAILS(creat64("terraform.tfstate", 0644)), EACCES);
  check("fopen w", FAILS(fopen("terraform.tfstate", "w")), EACCES);
  check("fopen a", FAILS(fopen("terraform.tfstate", "a")), EACCES);
  check("fopen r+", FAILS(fopen("terraform.tfstate", "r+")), EACCES);
  check("fopen64 w", FAILS(fopen64("terraform.tfstate", "w")), EACCES);
  FILE* reading = fopen("terraform.tfstate", "r");
  check("freopen NULL w of a state stream", FAILS(freopen(NULL, "w", reading)), EACCES);
  if (reading != NULL) fclose(reading);
  FILE* other = fopen("/dev/null", "r");
  check("freopen w", FAILS(freopen("terraform.tfstate", "w", other)), EACCES);
  check("freopen64 w", FAILS(freopen64("terraform.tfstate", "w", other)), EACCES);
  if (other != NULL) fclose(other);
  check("truncate", FAILS(truncate("terraform.tfstate", 0)), EACCES);
  check("truncate64", FAILS(truncate64("terraform.tfstate", 0)), EACCES);
  check("rename away", FAILS(rename("terraform.tfstate", "gone.json")), EACCES);
  int ord = open("ordinary.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (ord >= 0) close(ord);
  check("rename over", FAILS(rename("ordinary.json", "terraform.tfstate")), EACCES);
  check("renameat over", FAILS(renameat(AT_FDCWD, "ordinary.json", AT_FDCWD, "terraform.tfstate")), EACCES);
  check("renameat2 exchange", FAILS(renameat2(AT_FDCWD, "ordinary.json", AT_FDCWD, "terraform.tfstate", RENAME_EXCHANGE)), EACCES);
  check("unlink", FAILS(unlink("terraform.tfstate")), EACCES);
  check("unlink backup", FAILS(unlink("terraform.tfstate.backup")), EACCES);
  check("remove", FAILS(remove("terraform.tfstate")), EACCES);
  check("unlinkat", FAILS(unlinkat(AT_FDCWD, "terraform.tfstate", 0)), EACCES);
  int ws = open("terraform.tfstate.d/other", O_RDONLY | O_DIRECTORY);
  check("unlinkat in a workspace dirfd", FAILS(unlinkat(ws, "terraform.tfstate", 0)), EACCES);
  check("openat a new file in a workspace dirfd", FAILS(openat(ws, "notes.txt", O_WRONLY | O_CREAT, 0644)), EACCES);
  if (ws >= 0) close(ws);
  check("rmdir an empty workspace", FAILS(rmdir("terraform.tfstate.d/empty")), EACCES);
  check("unlinkat AT_REMOVEDIR", FAILS(unlinkat(AT_FDCWD, "terraform.tfstate.d/empty", AT_REMOVEDIR)), EACCES);
  check("rename the workspaces", FAILS(rename("terraform.tfstate.d", "elsewhere")), EACCES);
  check("link from the state", FAILS(link("terraform.tfstate", "alias.json")), EACCES);
  check("linkat to a state name", FAILS(linkat(AT_FDCWD, "ordinary.json", AT_FDCWD, "x.tfstate", 0)), EACCES);
  if (symlink("terraform.tfstate", "alias.json") != 0) return 2;
  check("open through a symlink", FAILS(open("alias.json", O_WRONLY | O_TRUNC)), EACCES);
  check("unlink the symlink itself keeps errno", KEEPS(unlink("alias.json")), 4242);

  struct stat after;
  check("state unchanged", stat("terraform.tfstate", &after) == 0 && after.st_size == before.st_size &&
                               after.st_ino == before.st_ino && after.st_mtime == before.st_mtime ? 0 : 1, 0);
  check("workspace state still there", access("terraform.tfstate.d/other/terraform.tfstate", F_OK), 0);
  check("no new state file", access("new.tfstate", F_OK) == 0 || access("x.tfstate", F_OK) == 0, 0);
  return failures == 0 ? 0 : 1;
}
