# Writes INPUT into OUTPUT as a C++ raw string, so the built-in default policy needs no file at run time.
file(READ ${INPUT} content)
string(FIND "${content}" ")agentguard\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace agentguard::policy {\nextern const std::string_view kDefaultPolicyText;\nconst std::string_view kDefaultPolicyText = R\"agentguard(${content})agentguard\";\n}\n")
