#pragma once
// Which exec rules can match a parsed command, found without evaluating every rule. Built once
// per policy; the decision then evaluates only these candidates, in rule order, and is the same as
// evaluating every rule (tests/unit/policy_index_test.cpp compares the two).
//
// A rule can only match a command when
//   - its program list names cmd.program literally, or has a glob, or is absent; and
//   - for a command matched from its first word (!command_anywhere, every dialect but the generic
//     one): the first word of one of its command alternatives is cmd.words[0], when all those
//     first words are literal (or it has no `command`, or one starts with a glob).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "parsed_command.hpp"
#include "rule.hpp"

namespace agentguard::policy::detail {

// For the unit tests only: when set, for_each_candidate passes every rule (the reference the index
// is compared with).
bool& scan_all_rules();

class RuleIndex {
 public:
  RuleIndex() = default;
  // The rules must outlive the index (it keeps no pointers to them, only their positions).
  explicit RuleIndex(const std::vector<const Rule*>& rules);

  // Calls f(position, program_known) for each rule that may match cmd, by ascending position in
  // the rules given to the constructor; stops when f returns false. program_known: the rule's
  // program list names cmd.program literally, so that condition holds (see conditions_hold).
  template <typename F>
  void for_each_candidate(const ParsedCommand& cmd, F&& f) const;

 private:
  // Positions of the rules of one program (or of the rules with any program), ascending.
  struct Bucket {
    std::vector<std::uint32_t> all;
    std::vector<std::uint32_t> any_word;                                   // no first-word condition
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_word;  // by literal first command word
  };
  static void add(Bucket& bucket, std::uint32_t position, const Rule& rule);

  std::unordered_map<std::string, Bucket> by_program_;  // rules whose program list is all literal
  Bucket any_program_;                                  // rules with a program glob or no program condition
  std::uint32_t size_ = 0;
};

template <typename F>
void RuleIndex::for_each_candidate(const ParsedCommand& cmd, F&& f) const {
  if (scan_all_rules()) {
    for (std::uint32_t i = 0; i < size_; ++i)
      if (!f(i, false)) return;
    return;
  }
  // At most four ascending, disjoint runs of positions: merged into one ascending sequence.
  struct Run {
    const std::uint32_t* at;
    const std::uint32_t* end;
    bool program_known;
  };
  Run runs[4];
  int count = 0;
  const auto add_run = [&](const std::vector<std::uint32_t>& positions, bool program_known) {
    if (!positions.empty()) runs[count++] = {positions.data(), positions.data() + positions.size(), program_known};
  };
  const auto add_bucket = [&](const Bucket& bucket, bool program_known) {
    if (cmd.command_anywhere) {
      add_run(bucket.all, program_known);
      return;
    }
    add_run(bucket.any_word, program_known);
    if (!cmd.words.empty())
      if (auto it = bucket.by_word.find(cmd.words.front()); it != bucket.by_word.end()) add_run(it->second, program_known);
  };
  if (auto it = by_program_.find(cmd.program); it != by_program_.end()) add_bucket(it->second, true);
  add_bucket(any_program_, false);
  for (;;) {
    int next = -1;
    for (int k = 0; k < count; ++k)
      if (runs[k].at != runs[k].end && (next < 0 || *runs[k].at < *runs[next].at)) next = k;
    if (next < 0) return;
    if (!f(*runs[next].at++, runs[next].program_known)) return;
  }
}

}  // namespace agentguard::policy::detail
