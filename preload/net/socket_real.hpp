#pragma once
// The libc socket and descriptor functions behind the plain-HTTP hooks (socket_hooks.cpp),
// what dlsym(RTLD_NEXT) gives, looked up in the constructor (next_symbol.hpp) and stored atomically.
//
// All of them are resolved eagerly: write, read, close and dup2 are called in vfork children
// and signal handlers, where a first-call dlsym must not run (it takes the loader lock; a
// failed lookup mallocs). The cost is about 70 ns per name at load time. Before the constructor
// (another library's constructor doing I/O) a function is looked up on its first call. A name
// libc does not define is nullptr: the hook then makes the raw system call (close_range,
// closefrom: ENOSYS).

#include "../next_symbol.hpp"

namespace agentguard::preload {

// The `socket` entries of hooks.def, in its order.
enum class SocketFn : unsigned {
#define AGENTGUARD_REAL_socket(id, symbol) id,
#include "hooks.def"
  count,
};

// The constructor's part.
void resolve_socket_functions(const NextSymbols& next);
void* socket_function(SocketFn fn);

template <typename F>
F socket_real(SocketFn fn) {
  return reinterpret_cast<F>(socket_function(fn));
}

}  // namespace agentguard::preload
