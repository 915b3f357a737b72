#include "tls_report.hpp"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/protocol.hpp"
#include "core/launch/guard_env.hpp"
#include "core/http/error_reply.hpp"
#include "guard_state.hpp"
#include "real_functions.hpp"

namespace agentguard::preload {
namespace {

using http_text = core::http::Text;
using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                        char* const*, char* const*);

// Appends `text` NUL-terminated at *cursor (bounded by end); returns where it starts.
char* put(char** cursor, char* end, http_text text) {
  char* start = *cursor;
  std::size_t room = static_cast<std::size_t>(end - start) - 1;
  std::size_t n = text.size < room ? text.size : room;
  memcpy(start, text.data, n);
  start[n] = '\0';
  *cursor = start + n + 1;
  return start;
}

void write_stderr_line(http_text sentence) {
  const char prefix[] = " API request: ";
  ssize_t ignored = write(2, protocol::kRefusalOpening, sizeof protocol::kRefusalOpening - 1);
  ignored = write(2, prefix, sizeof prefix - 1);
  ignored = write(2, sentence.data, sentence.size);
  ignored = write(2, "\n", 1);
  (void)ignored;
}

}  // namespace

void report_http_event(const char* decision, http_text rule_id, const core::http::Classification& request,
                       http_text message) {
  const int saved_errno = errno;
  const std::size_t text_cap = 4096 + message.size + request.host.size + request.path.size + rule_id.size;
  char* text = static_cast<char*>(malloc(text_cap));
  if (text == nullptr) {
    errno = saved_errno;
    return;
  }
  char* cursor = text;
  char* end = text + text_cap;
  std::size_t sentence_len = core::http::error_message_text(request, rule_id, message, cursor, 2048 + message.size);
  http_text sentence(cursor, sentence_len);
  char* sentence_z = put(&cursor, end, sentence);
  const char* gate = current_guard().value(core::kVarGate);
  auto spawn = real<SpawnFn>(RealFn::posix_spawn);
  bool reported = false;
  if (gate != nullptr && gate[0] == '/' && spawn != nullptr) {
    char* endpoint = cursor;
    memcpy(cursor, request.host.data, request.host.size);
    memcpy(cursor + request.host.size, request.path.data, request.path.size);
    cursor += request.host.size + request.path.size;
    *cursor++ = '\0';
    char* rule = put(&cursor, end, rule_id);
    const char* argv[] = {gate,
                          protocol::kReportHttp,
                          protocol::kFlagDecision, decision,
                          protocol::kFlagRule, rule,
                          protocol::kFlagService, request.service,
                          protocol::kFlagOperation, request.operation,
                          protocol::kFlagProtocol, core::http::to_string(request.protocol),
                          protocol::kFlagEndpoint, endpoint,
                          protocol::kFlagMessage, sentence_z,
                          nullptr};
    // The gate runs unhooked: our environment without LD_PRELOAD.
    std::size_t count = 0;
    while (environ[count] != nullptr) ++count;
    auto** envp = static_cast<char**>(malloc((count + 1) * sizeof(char*)));
    if (envp != nullptr) {
      std::size_t k = 0;
      for (std::size_t i = 0; i < count; ++i)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0) envp[k++] = environ[i];
      envp[k] = nullptr;
      pid_t pid = 0;
      if (spawn(&pid, gate, nullptr, nullptr, const_cast<char* const*>(argv), envp) == 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        reported = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      free(envp);
    }
  }
  if (!reported && strcmp(decision, "log") != 0) write_stderr_line(sentence);
  free(text);
  errno = saved_errno;
}

}  // namespace agentguard::preload
