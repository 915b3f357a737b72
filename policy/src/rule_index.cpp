#include "rule_index.hpp"

#include <algorithm>

#include "glob.hpp"

namespace agentguard::policy::detail {

bool& scan_all_rules() {
  static bool on = false;
  return on;
}

RuleIndex::RuleIndex(const std::vector<const Rule*>& rules) : size_(static_cast<std::uint32_t>(rules.size())) {
  for (std::uint32_t i = 0; i < size_; ++i) {
    const auto& programs = rules[i]->match.programs;
    const bool literal_only =
        !programs.empty() && std::all_of(programs.begin(), programs.end(), [](const std::string& p) { return glob_is_literal(p); });
    if (!literal_only) {
      add(any_program_, i, *rules[i]);
      continue;
    }
    for (const auto& p : programs) {
      Bucket& bucket = by_program_[p];
      if (bucket.all.empty() || bucket.all.back() != i) add(bucket, i, *rules[i]);  // `program = ["x", "x"]`
    }
  }
}

void RuleIndex::add(Bucket& bucket, std::uint32_t position, const Rule& rule) {
  bucket.all.push_back(position);
  const auto& commands = rule.match.commands;
  const bool by_first_word = !commands.empty() && std::all_of(commands.begin(), commands.end(), [](const auto& words) {
    return !words.empty() && glob_is_literal(words.front());
  });
  if (!by_first_word) {
    bucket.any_word.push_back(position);
    return;
  }
  for (const auto& words : commands) {
    auto& positions = bucket.by_word[words.front()];
    if (positions.empty() || positions.back() != position) positions.push_back(position);
  }
}

}  // namespace agentguard::policy::detail
