#include "core/launch/project_scan.hpp"
#include "core/base/hot_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "core/launch/identity.hpp"
#include "core/base/syscalls.hpp"

namespace agentguard::core {
namespace {

constexpr char kProjectFile[] = "/.agentguard.toml";
constexpr char kRepoMarker[] = "/.git";

// The r= field of the watch list: [begin, end), or begin == nullptr when there is none.
struct Span {
  const char* begin = nullptr;
  const char* end = nullptr;
};

Span project_field(const char* list) {
  for (const char* p = list; *p != '\0';) {
    const char* start = p;
    while (*p != '\0' && *p != ';') ++p;
    if (p - start >= 2 && start[0] == 'r' && start[1] == '=') return {start + 2, p};
    if (*p == ';') ++p;
  }
  return {};
}

// Decimal of v into out (no NUL); returns the length.
unsigned long put_decimal(std::uint64_t v, char* out) {
  char digits[24];
  unsigned long n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (unsigned long i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return n;
}

// "DEV:INO:SIZE:MTIME_NS" of a stat result into out (room for 4 * 20 digits + 3 colons + NUL).
unsigned long format_key(const struct ::stat& st, char* out) {
  unsigned long n = put_decimal(st.st_dev, out);
  out[n++] = ':';
  n += put_decimal(st.st_ino, out + n);
  out[n++] = ':';
  n += put_decimal(static_cast<std::uint64_t>(st.st_size), out + n);
  out[n++] = ':';
  n += put_decimal(static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                       static_cast<std::uint64_t>(st.st_mtim.tv_nsec),
                   out + n);
  out[n] = '\0';
  return n;
}

bool field_has(Span field, const char* key, unsigned long len) {
  for (const char* p = field.begin; p < field.end;) {
    const char* start = p;
    while (p < field.end && *p != ',') ++p;
    if (static_cast<unsigned long>(p - start) == len) {
      unsigned long i = 0;
      while (i < len && start[i] == key[i]) ++i;
      if (i == len) return true;
    }
    ++p;
  }
  return false;
}

// Appends `suffix` at dir[len] (dir has room for kMaxPath bytes); false if it does not fit.
bool with_suffix(char* dir, unsigned long len, const char* suffix) {
  unsigned long i = 0;
  for (; suffix[i] != '\0'; ++i) {
    if (len + i + 1 >= kMaxPath) return false;
    dir[len + i] = suffix[i];
  }
  dir[len + i] = '\0';
  return true;
}

}  // namespace

AGENTGUARD_HOT ProjectScan scan_project_policy(const char* watch_list) {
  if (watch_list == nullptr) return ProjectScan::off;
  const Span covered = project_field(watch_list);
  if (covered.begin == nullptr) return ProjectScan::off;

  char dir[kMaxPath];
  const long got = sys::getcwd(dir, sizeof dir - sizeof kProjectFile);
  // No usable cwd (deleted, too long): nothing can be ruled out, so the gate decides.
  if (got <= 1 || dir[0] != '/') return ProjectScan::unknown;
  unsigned long len = static_cast<unsigned long>(got - 1);
  if (len == 1) len = 0;  // "/": the candidates are "/.agentguard.toml" and "/.git"
  for (;;) {
    struct ::stat st;
    if (!with_suffix(dir, len, kProjectFile)) return ProjectScan::unknown;
    const long r = sys::stat(dir, &st);
    if (r == 0 && S_ISREG(st.st_mode)) {
      char key[96];
      const unsigned long n = format_key(st, key);
      return field_has(covered, key, n) ? ProjectScan::covered : ProjectScan::unknown;
    }
    // A file we may not read is still a project file the gate has to look at; only "not there" is none.
    if (r != 0 && r != -ENOENT && r != -ENOTDIR) return ProjectScan::unknown;
    if (!with_suffix(dir, len, kRepoMarker)) return ProjectScan::unknown;
    if (sys::access(dir, F_OK) == 0 || len == 0) return ProjectScan::none;
    while (len > 0 && dir[len - 1] != '/') --len;  // up one level
    if (len > 0) --len;                            // drop the '/' itself ("/a" -> "")
  }
}

bool project_file_key(const char* path, char* out, unsigned long cap) {
  struct ::stat st;
  if (cap < 96 || sys::stat(path, &st) != 0) return false;
  format_key(st, out);
  return true;
}

}  // namespace agentguard::core
