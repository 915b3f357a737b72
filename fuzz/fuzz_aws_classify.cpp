// Fuzzes classification, the rule decision and the error reply on one request. The input is the
// raw request; a fixed set of compiled rules (built once, by hand, in the blob format) is decided
// against it, and the reply must be a well-formed HTTP response with an exact Content-Length.
// Also fuzzes the blob reader: the first byte can select "use the input as the rule blob".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/http/api_blob.hpp"
#include "core/http/api_decide.hpp"
#include "core/http/aws_classify.hpp"
#include "core/http/error_reply.hpp"
#include "core/http/request_stream.hpp"

namespace http = agentguard::core::http;
namespace blob = agentguard::core::http::blob;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// A small blob: deny "*:Delete*" unless Bucket=scratch-*, allow "s3:*" when Bucket=tmp-*.
struct RuleBlob {
  unsigned char bytes[1024];
  std::size_t size = 0;
};

RuleBlob make_blob() {
  RuleBlob out;
  const char strings[] = "deny-deletes" "no" "*" "Delete*" "scratch-*" "allow-tmp" "s3" "tmp-*";
  blob::Header h{};
  std::memcpy(h.magic, blob::kMagic, 8);
  h.version = blob::kVersion;
  h.rule_count = 2;
  h.rules_offset = sizeof h;
  h.pattern_count = 2;
  h.patterns_offset = h.rules_offset + 2 * sizeof(blob::Rule);
  h.condition_count = 2;
  h.conditions_offset = h.patterns_offset + 2 * sizeof(blob::Pattern);
  h.strings_offset = h.conditions_offset + 2 * sizeof(blob::Condition);
  h.strings_size = sizeof strings - 1;
  h.total_size = h.strings_offset + h.strings_size;
  std::uint32_t s = h.strings_offset;
  blob::Rule rules[2] = {
      {blob::kDeny, {}, {s + 0, 12}, {s + 12, 2}, 0, 1, 0, 1},
      {blob::kAllow, {}, {s + 31, 9}, {s + 12, 0}, 1, 1, 1, 1},
  };
  blob::Pattern patterns[2] = {{{s + 14, 1}, {s + 15, 7}, blob::kMatch}, {{s + 40, 2}, {s + 14, 1}, blob::kMatch}};
  blob::Condition conditions[2] = {
      {static_cast<std::uint8_t>(http::Fact::Bucket), blob::kUnless, {}, {s + 22, 9}},
      {static_cast<std::uint8_t>(http::Fact::Bucket), blob::kWhen, {}, {s + 42, 5}},
  };
  std::size_t o = 0;
  auto put = [&](const void* p, std::size_t n) {
    std::memcpy(out.bytes + o, p, n);
    o += n;
  };
  put(&h, sizeof h);
  put(rules, sizeof rules);
  put(patterns, sizeof patterns);
  put(conditions, sizeof conditions);
  put(strings, sizeof strings - 1);
  out.size = o;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static RuleBlob rules = make_blob();
  check(http::api_rules_valid(rules.bytes, rules.size));
  if (size > 0 && data[0] == 0xff) {
    // Arbitrary bytes as a blob: the reader must reject or accept without reading out of bounds.
    http::Classification c;
    c.aws = true;
    std::memcpy(c.service, "s3", 3);
    std::memcpy(c.operation, "DeleteBucket", 13);
    http::ApiDecision d = http::decide_api(data + 1, size - 1, c);
    check(d.action == http::ApiAction::deny || d.rule_index >= 0 || d.action == http::ApiAction::none);
    return 0;
  }
  static char buffer[64 * 1024];
  http::RequestStream stream;
  check(stream.init(buffer, sizeof buffer, 16 * 1024));
  http::Step step = stream.offer(reinterpret_cast<const char*>(data), size);
  if (step.kind != http::StepKind::decide) return 0;
  http::Classification c;
  http::classify(stream.request(), c);
  http::ApiDecision d = http::decide_api(rules.bytes, rules.size, c);
  check(!d.invalid_rules);
  if (d.action == http::ApiAction::deny) check(c.aws);
  static char reply[8192];
  std::size_t n = http::build_error_reply(c, d.rule_id, d.message, reply, sizeof reply);
  check(n > 0);
  // Exact framing: Content-Length equals the bytes after the header block.
  const char* end = nullptr;
  for (std::size_t i = 0; i + 3 < n; ++i)
    if (std::memcmp(reply + i, "\r\n\r\n", 4) == 0) {
      end = reply + i + 4;
      break;
    }
  check(end != nullptr);
  const char* cl = nullptr;
  for (const char* p = reply; p + 16 < end; ++p)
    if (std::memcmp(p, "Content-Length: ", 16) == 0) {
      cl = p + 16;
      break;
    }
  check(cl != nullptr);
  std::size_t length = static_cast<std::size_t>(std::strtoul(cl, nullptr, 10));
  check(length == static_cast<std::size_t>(reply + n - end));
  return 0;
}
