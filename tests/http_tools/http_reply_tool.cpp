// agentguard-http-reply: reads one raw HTTP request on stdin, runs it through the core
// reassembler and classifier exactly as the preload will, and writes to stdout the error reply
// a refused request gets. Used by tests/integration/test_http_errors.py to feed our replies to
// real botocore. Usage: agentguard-http-reply RULE_ID MESSAGE [--classify]
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/http/aws_classify.hpp"
#include "core/http/error_reply.hpp"
#include "core/http/request_stream.hpp"

namespace http = agentguard::core::http;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s RULE_ID MESSAGE [--classify] < request\n", argv[0]);
    return 2;
  }
  std::string input;
  char chunk[65536];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) input.append(chunk, n);

  std::vector<char> buffer(64 * 1024);
  http::RequestStream stream;
  stream.init(buffer.data(), buffer.size(), 16 * 1024);
  std::size_t offset = 0;
  bool decided = false;
  while (offset < input.size() || !decided) {
    http::Step step = stream.offer(input.data() + offset, input.size() - offset);
    offset += step.count;
    if (step.kind == http::StepKind::decide) {
      decided = true;
      break;
    }
    if (step.kind != http::StepKind::hold || offset >= input.size()) break;
  }
  if (!decided) {
    std::fprintf(stderr, "not a complete HTTP request: %s\n", stream.error_reason() ? stream.error_reason() : "truncated");
    return 2;
  }
  http::Classification c;
  http::classify(stream.request(), c);
  if (argc > 3 && std::strcmp(argv[3], "--classify") == 0) {
    std::printf("%s %s:%s\n", http::to_string(c.protocol), c.service, c.operation);
    return 0;
  }
  char reply[8192];
  std::size_t len = http::build_error_reply(c, http::Text(argv[1], std::strlen(argv[1])),
                                            http::Text(argv[2], std::strlen(argv[2])), reply, sizeof reply);
  if (len == 0) return 3;
  std::fwrite(reply, 1, len, stdout);
  return 0;
}
