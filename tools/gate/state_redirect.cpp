#include "state_redirect.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace agentguard::gate {
namespace {

std::string in_dir(const std::string& dir, const std::string& path) { return path[0] == '/' ? path : dir + "/" + path; }

// The same file, physically: by device and inode when both exist, else by the resolved directory
// and the name.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  const bool ea = stat(a.c_str(), &sa) == 0, eb = stat(b.c_str(), &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (ea != eb) return false;
  auto resolved = [](const std::string& p) {
    const std::size_t slash = p.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : p.substr(0, slash));
    char buf[PATH_MAX];
    return std::string(realpath(dir.c_str(), buf) ? buf : dir) + "/" + p.substr(slash + 1);
  };
  return resolved(a) == resolved(b);
}

// Every managed resource instance in a state file, as an address; empty when there is no file.
std::vector<policy::ResourceChange> instances(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return {};
    throw std::runtime_error("cannot read the state file " + path + " that this apply would overwrite");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object())
    throw std::runtime_error("the state file " + path + " that this apply would overwrite is not JSON");
  std::vector<policy::ResourceChange> out;
  for (const auto& r : json.value("resources", nlohmann::json::array())) {
    if (!r.is_object() || r.value("mode", "") != "managed") continue;
    const std::string type = r.value("type", ""), name = r.value("name", "");
    std::string base = type + "." + name;
    if (r.contains("module") && r["module"].is_string()) base = r["module"].get<std::string>() + "." + base;
    for (const auto& inst : r.value("instances", nlohmann::json::array())) {
      std::string address = base;
      if (inst.is_object() && inst.contains("index_key")) {
        const auto& key = inst["index_key"];
        address += key.is_string() ? "[\"" + key.get<std::string>() + "\"]" : "[" + key.dump() + "]";
      }
      out.push_back({address, type, {"forget"}, ""});
    }
  }
  return out;
}

}  // namespace

std::vector<policy::ResourceChange> states_overwritten(const std::string& dir, const ApplyFlags& flags) {
  const std::string read = in_dir(dir, flags.state.value_or("terraform.tfstate"));
  const std::string written = flags.state_out ? in_dir(dir, *flags.state_out) : read;
  std::vector<policy::ResourceChange> lost;
  if (!same_file(written, read)) lost = instances(written);
  if (flags.backup && *flags.backup != "-") {
    const std::string backup = in_dir(dir, *flags.backup);
    if (!same_file(backup, written + ".backup") && !same_file(backup, written))
      for (auto& change : instances(backup)) lost.push_back(std::move(change));
  }
  return lost;
}

}  // namespace agentguard::gate
