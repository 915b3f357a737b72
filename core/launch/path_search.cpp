#include "core/launch/path_search.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"

namespace agentguard::core {
namespace {

bool is_executable_file(const char* path) {
  struct stat st;
  return sys::stat(path, &st) == 0 && S_ISREG(st.st_mode) && sys::access(path, X_OK) == 0;
}

}  // namespace

bool find_in_path(const char* file, const char* path_env, char* out, std::size_t out_size) {
  if (file == nullptr || file[0] == '\0' || out_size == 0) return false;
  for (const char* p = file; *p != '\0'; ++p) {
    if (*p == '/') return text::copy(out, out_size, file);
  }
  const char* search = path_env != nullptr ? path_env : "/bin:/usr/bin";
  const std::size_t file_len = text::length(file);
  const char* entry = search;
  for (;;) {
    const char* end = entry;
    while (*end != '\0' && *end != ':') ++end;
    const std::size_t dir_len = static_cast<std::size_t>(end - entry);
    // "dir/file" or, for an empty entry, "file" relative to the cwd.
    const std::size_t needed = dir_len + (dir_len > 0 ? 1 : 0) + file_len + 1;
    if (needed <= out_size) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < dir_len; ++i) out[n++] = entry[i];
      if (dir_len > 0) out[n++] = '/';
      for (std::size_t i = 0; i < file_len; ++i) out[n++] = file[i];
      out[n] = '\0';
      if (is_executable_file(out)) return true;
    }
    if (*end == '\0') break;
    entry = end + 1;
  }
  out[0] = '\0';
  return false;
}

}  // namespace agentguard::core
