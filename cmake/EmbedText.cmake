# Joins PARTS into COMBINED (the installed default policy) and writes it into OUTPUT as a C++ raw
# string, so the built-in default policy needs no file at run time.
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
file(WRITE ${COMBINED} "${content}")
file(WRITE ${OUTPUT} "// Generated from policy/default-*.toml; do not edit.\n#include <string_view>\nnamespace agentguard::policy {\nextern const std::string_view kDefaultPolicyText;\nconst std::string_view kDefaultPolicyText = R\"agentguard(${content})agentguard\";\n}\n")
