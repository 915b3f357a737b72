// agentguard-ui: the approval page's server, started by `agentguard ui` (tools/cli/cmd_ui.cpp) with
// `--port N`. It holds the login link's secret in memory: it refuses inside a guarded tree, and
// keeps itself unreadable (non-dumpable) like the CLI.
#include <sys/prctl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "support/guarded.hpp"
#include "ui/approval_page.hpp"

int main(int argc, char** argv) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    char* end = nullptr;
    const long value = i + 1 < argc && std::strcmp(argv[i], "--port") == 0 ? std::strtol(argv[i + 1], &end, 10) : -1;
    if (end == nullptr || *end != '\0' || value < 0 || value > 65535) {
      std::fprintf(stderr, "usage: agentguard-ui [--port N]  (started by `agentguard ui`)\n");
      return 2;
    }
    port = static_cast<int>(value);
    ++i;
  }
  std::string why;
  if (agentguard::guarded::inside_guarded_tree(&why)) {
    std::fprintf(stderr, "agentguard: refused: the approval page cannot be served from inside a guarded session (%s). "
                 "Run this in your own terminal.\n", why.c_str());
    return 3;
  }
  return agentguard::ui_server::serve_approval_page(port);
}
