# Warnings are errors everywhere; sanitizers only where asked, and never in the preload
# (it is loaded into every process of the agent's tree, where an ASan runtime does not belong).
set(AGENTGUARD_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror)

function(agentguard_target_defaults target)
  target_compile_options(${target} PRIVATE ${AGENTGUARD_WARNINGS})
  if(AGENTGUARD_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Flags for code that must run inside every guarded process: no C++ runtime, no exceptions,
# no RTTI, no thread-safe-static guards (they call into libstdc++).
set(AGENTGUARD_FREESTANDING_FLAGS
  -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-asynchronous-unwind-tables
  -fvisibility=hidden -fvisibility-inlines-hidden -ftls-model=initial-exec -fPIC)
