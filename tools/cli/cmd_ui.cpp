// `agentguard ui`: the approval page. The server is agentguard-ui (tools/ui/), which this command
// execs, so that the page's HTTP library is not loaded by every other command.
//
// Who can use it: the human who started it. It prints a one-time login link to its own terminal
// and keeps the link's secret only in memory - never in a file, the environment or argv. The
// link is good once: it sets a session cookie (HttpOnly, SameSite=Strict) and is then spent.
// Every other request needs that cookie; every answer also needs the session's CSRF token; the
// Host header must name this loopback address (no DNS rebinding); no page may be framed. Run
// inside a guarded tree it refuses, like every answering command: the agent would read the link.
#include "cmd_ui.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "support/guarded.hpp"
#include "support/paths.hpp"

namespace agentguard::cli {

void add_ui_command(CLI::App& app) {
  auto port = std::make_shared<int>(0);
  auto* ui_cmd = app.add_subcommand("ui", "Serve the approval page on 127.0.0.1 and print a one-time login link");
  ui_cmd->add_option("--port", *port, "Port on 127.0.0.1 (default: any free port)")->check(CLI::Range(0, 65535));
  ui_cmd->footer("Example:\n  agentguard ui\nOpen the printed link in a browser on this machine; it works once. Stop with Ctrl-C.\n"
                 "Run it in your own terminal: inside a guarded session it refuses (the agent would see the link).");
  ui_cmd->callback([port] {
    std::string why;
    if (guarded::inside_guarded_tree(&why)) {
      std::fprintf(stderr, "agentguard: refused: the approval page cannot be served from inside a guarded session (%s). "
                   "Run this in your own terminal.\n", why.c_str());
      throw CLI::RuntimeError(3);
    }
    const std::string program = paths::ui_program().string();
    const std::string port_text = std::to_string(*port);
    char* const args[] = {const_cast<char*>("agentguard-ui"), const_cast<char*>("--port"), const_cast<char*>(port_text.c_str()),
                          nullptr};
    std::fflush(nullptr);
    execv(program.c_str(), args);
    std::fprintf(stderr, "agentguard: cannot start the approval page (%s): %s\n", program.c_str(), std::strerror(errno));
    throw CLI::RuntimeError(1);
  });
}

}  // namespace agentguard::cli
