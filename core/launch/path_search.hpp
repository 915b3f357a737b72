#pragma once
// PATH lookup with execvp's rules, without allocating: a name containing '/' is used as is;
// otherwise each PATH entry (an empty entry means the cwd; an unset PATH means "/bin:/usr/bin")
// is tried in order and the first regular file we may execute wins.
#include <cstddef>

namespace agentguard::core {

// Writes the found path into out (NUL-terminated). Returns false if none was found or it does not fit.
bool find_in_path(const char* file, const char* path_env, char* out, std::size_t out_size);

}  // namespace agentguard::core
