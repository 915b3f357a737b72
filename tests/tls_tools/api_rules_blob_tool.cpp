// agentguard-api-rules-blob: compiles the `[[api]]` tables of TOML files (lowest layer first)
// into the blob named by AGENTGUARD_API_RULES. Usage:
//   agentguard-api-rules-blob OUT [--disable ID]... FILE...
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <toml.hpp>

#include "agentguard/api_rules.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT [--disable ID]... FILE...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> disabled;
  std::vector<agentguard::policy::ApiRuleSpec> specs;
  try {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--disable") == 0 && i + 1 < argc) {
        disabled.emplace_back(argv[++i]);
        continue;
      }
      toml::value doc = toml::parse(argv[i]);
      if (!doc.contains("api")) continue;
      auto layer = agentguard::policy::parse_api_rules(toml::find(doc, "api"), argv[i]);
      specs.insert(specs.end(), layer.begin(), layer.end());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::erase_if(specs, [&](const auto& s) { return std::find(disabled.begin(), disabled.end(), s.id) != disabled.end(); });
  std::string blob = agentguard::policy::compile_api_rules(specs);
  std::ofstream out(argv[1], std::ios::binary);
  out.write(blob.data(), static_cast<std::streamsize>(blob.size()));
  return out ? 0 : 1;
}
