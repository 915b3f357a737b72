#include "report_http.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "events/event.hpp"

namespace agentguard::gate {

namespace {

std::vector<std::string> cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
  return argv;
}

std::string exe_of(pid_t pid) {
  char buf[4096];
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

int report_http(int argc, char** argv) {
  std::map<std::string, std::string> field;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) return 2;
    field[key.substr(2)] = argv[i + 1];
  }
  // A request the guard could not read (an HTTP/2 connection, a stream it lost track of) has no
  // service or operation, and is the very refusal that most needs its record: only the decision
  // and the rule are required.
  if (field["decision"].empty() || field["rule"].empty()) {
    std::fprintf(stderr, "agentguard-gate --report-http: --decision and --rule are required\n");
    return 2;
  }
  // The process whose request was refused is our parent: the event is about it.
  const pid_t host = getppid();
  events::Event ev = events::make_event();
  ev.kind = "http";
  ev.pid = host;
  if (!ev.parents.empty() && ev.parents.front().pid == host) ev.parents.erase(ev.parents.begin());
  ev.argv = cmdline_of(host);
  ev.resolved_path = exe_of(host);
  ev.program = ev.argv.empty() ? std::string() : ev.argv.front();
  ev.service = field["service"];
  ev.operation = field["operation"];
  ev.endpoint = field["endpoint"];
  ev.decision = field["decision"];
  ev.rule_id = field["rule"];
  ev.message = field["message"];
  ev.policy_file = field.count("policy") ? field["policy"] : "API rules of the session";
  return events::report(ev) ? 0 : 1;
}

}  // namespace agentguard::gate
