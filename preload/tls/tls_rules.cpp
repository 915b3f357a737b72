#include "tls_rules.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "core/launch/guard_env.hpp"
#include "core/http/api_decide.hpp"
#include "guard_state.hpp"

namespace agentguard::preload {
namespace {

ApiRules g_rules;
std::atomic<int> g_state{0};  // 0 not loaded, 1 loading, 2 ready

void load(ApiRules& rules) {
  const char* path = current_guard().value(core::kVarApiRules);
  if (path == nullptr) return;  // no HTTPS inspection in this session
  rules.inspect = true;
  if (path[0] == '\0') {
    rules.problem = "AGENTGUARD_API_RULES is empty";
    return;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rules.problem = "the API rules file named by AGENTGUARD_API_RULES cannot be opened";
    return;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    close(fd);
    rules.problem = "the API rules file named by AGENTGUARD_API_RULES is empty or unreadable";
    return;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    rules.problem = "the API rules file named by AGENTGUARD_API_RULES cannot be mapped";
    return;
  }
  if (!core::http::api_rules_valid(map, size)) {
    munmap(map, size);
    rules.problem = "the API rules file named by AGENTGUARD_API_RULES is not a valid compiled rule set";
    return;
  }
  rules.blob = map;
  rules.size = size;
}

}  // namespace

const ApiRules& api_rules() {
  if (g_state.load(std::memory_order_acquire) == 2) return g_rules;
  int expected = 0;
  if (g_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    const int saved_errno = errno;
    load(g_rules);
    errno = saved_errno;
    g_state.store(2, std::memory_order_release);
  } else {
    while (g_state.load(std::memory_order_acquire) != 2) sched_yield();
  }
  return g_rules;
}

}  // namespace agentguard::preload
