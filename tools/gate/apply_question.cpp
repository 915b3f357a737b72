#include "apply_question.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>

namespace agentguard::gate {
namespace {

std::string env_get(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return {};
}

void write_all(int fd, const std::string& s) {
  for (std::size_t off = 0; off < s.size();) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// One line from stdin, read a byte at a time so that nothing after it is taken from the caller.
// false at end of input (or an error) before a newline, as Go's ReadString('\n') reports it.
bool read_line(std::string& line) {
  for (char c;;) {
    const ssize_t n = read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

}  // namespace

std::string current_workspace(const std::vector<std::string>& env, const std::string& working_dir) {
  if (std::string ws = env_get(env, "TF_WORKSPACE"); !ws.empty()) return ws;
  std::string data_dir = env_get(env, "TF_DATA_DIR");
  if (data_dir.empty()) data_dir = ".terraform";
  if (data_dir[0] != '/') data_dir = working_dir + "/" + data_dir;
  std::ifstream in(data_dir + "/environment");
  std::string ws((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!ws.empty() && std::isspace(static_cast<unsigned char>(ws.back()))) ws.pop_back();
  while (!ws.empty() && std::isspace(static_cast<unsigned char>(ws.front()))) ws.erase(0, 1);
  return ws.empty() ? "default" : ws;
}

int ask_apply_question(PlanMode mode, const std::string& workspace, bool color) {
  const bool named = workspace != "default";
  std::string query, desc;
  switch (mode) {
    case PlanMode::destroy:
      query = named ? "Do you really want to destroy all resources in workspace \"" + workspace + "\"?"
                    : "Do you really want to destroy all resources?";
      desc = "Terraform will destroy all your managed infrastructure, as shown above.\n"
             "There is no undo. Only 'yes' will be accepted to confirm.";
      break;
    case PlanMode::refresh_only:
      query = named ? "Would you like to update the Terraform state for \"" + workspace + "\" to reflect these detected changes?"
                    : "Would you like to update the Terraform state to reflect these detected changes?";
      desc = "Terraform will write these changes to the state without modifying any real infrastructure.\n"
             "There is no undo. Only 'yes' will be accepted to confirm.";
      break;
    case PlanMode::normal:
      query = named ? "Do you want to perform these actions in workspace \"" + workspace + "\"?"
                    : "Do you want to perform these actions?";
      desc = "Terraform will perform the actions described above.\n"
             "Only 'yes' will be accepted to approve.";
      break;
  }
  // colorstring with Reset: [reset] and [bold] become escapes, and a final reset is appended.
  const std::string reset = color ? "\033[0m" : "", bold = color ? "\033[1m" : "";
  std::string text = reset + bold + "\n" + query + reset + "\n";
  for (std::size_t start = 0; start < desc.size();) {
    std::size_t end = desc.find('\n', start);
    if (end == std::string::npos) end = desc.size();
    text += "  " + desc.substr(start, end - start) + "\n";
    start = end + 1;
  }
  text += "\n  " + bold + "Enter a value:" + reset + " " + reset;
  std::fflush(stdout);
  write_all(1, text);

  std::string answer;
  if (!read_line(answer)) {
    // terraform's diagnostic for the failed read, on stderr.
    write_all(2, color ? "\n\033[31m\033[1mError: \033[0m\033[0m\033[1merror asking for approval: EOF\033[0m\n\n\033[0m"
                       : "\nError: error asking for approval: EOF\n\n");
    return 1;
  }
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) answer.pop_back();
  write_all(1, "\n");
  if (answer == "yes") return 0;
  write_all(1, mode == PlanMode::destroy ? "Destroy cancelled.\n" : "Apply cancelled.\n");
  return 1;
}

}  // namespace agentguard::gate
