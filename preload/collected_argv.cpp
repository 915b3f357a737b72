#include "collected_argv.hpp"

namespace agentguard::preload {

bool CollectedArgv::collect(const char* first, va_list args, char* const** envp_out) {
  std::size_t count = 0;
  if (first != nullptr) {
    count = 1;
    va_list counting;
    va_copy(counting, args);
    while (va_arg(counting, const char*) != nullptr) ++count;
    va_end(counting);
  }
  if (count + 1 > kStackSlots) {
    slots_ = static_cast<const char**>(mapping_.allocate((count + 1) * sizeof(const char*)));
    if (slots_ == nullptr) return false;
  }
  std::size_t n = 0;
  if (first != nullptr) {
    slots_[n++] = first;
    while (n < count) slots_[n++] = va_arg(args, const char*);
    (void)va_arg(args, const char*);  // the terminating NULL
  }
  slots_[n] = nullptr;
  if (envp_out != nullptr) *envp_out = va_arg(args, char* const*);
  return true;
}

}  // namespace agentguard::preload
