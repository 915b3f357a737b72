#pragma once
// The one-time approval code that proves a human saw the notification. It exists in the gate's
// memory, in the message sent to the human and - after the human typed it - in that human's
// answer. The request file holds only a salted scrypt hash of it: the code has 40 bits, and at
// about 30 ms per guess an agent that reads the hash cannot search them (and a guess it writes
// itself closes the request, see approvals.hpp).
#include <string>

namespace agentguard::approvals {

// 8 characters without look-alikes, shown as XXXX-XXXX.
std::string new_code();
// Case-, space- and dash-insensitive comparison in constant time.
bool codes_equal(const std::string& expected, const std::string& given);

struct CodeHash {
  std::string salt_hex, hash_hex;
};
CodeHash hash_code(const std::string& code);  // a fresh salt
bool code_matches(const CodeHash& stored, const std::string& given);

}  // namespace agentguard::approvals
