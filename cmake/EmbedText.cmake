# Joins PARTS into COMBINED (the installed default policy) and writes it into OUTPUT as a C++ raw
# string, so the built-in default policy needs no file at run time, with its SHA-256 (the policy
# snapshots' key names it; the gate need not hash 35 KB on every launch).
set(content "")
string(REPLACE "|" ";" PARTS "${PARTS}")
foreach(part ${PARTS})
  file(READ ${part} text)
  string(APPEND content "${text}")
endforeach()
string(FIND "${content}" ")agentguard\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "the default policy contains the raw-string delimiter")
endif()
string(SHA256 digest "${content}")
file(WRITE ${COMBINED} "${content}")
file(WRITE ${OUTPUT} "// Generated from policy/default-*.toml; do not edit.\n#include <string_view>\nnamespace agentguard::policy {\nextern const std::string_view kDefaultPolicyText;\nconst std::string_view kDefaultPolicyText = R\"agentguard(${content})agentguard\";\nextern const std::string_view kDefaultPolicySha256;\nconst std::string_view kDefaultPolicySha256 = \"${digest}\";\n}\n")
