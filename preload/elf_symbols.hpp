#pragma once
// Reading a loaded object's own dynamic symbol table (its GNU hash table), so the constructor can
// find the real libc functions without one dlsym(RTLD_NEXT) per name: each dlsym costs ~850
// instructions (the caller lookup, the error catcher, the search of every object in scope), and
// the constructor needs ~45 of them in every process the agent starts (docs/performance.md).
//
// The answer must be exactly dlsym's, or nothing: the caller falls back to dlsym for any name
// this cannot settle (not found, more than one version, an IFUNC, an object without a GNU hash
// table). No allocation, no locks: it only reads mappings the loader made.
#include <elf.h>
#include <link.h>

#include <cstdint>

namespace agentguard::preload {

struct ElfSymbols {
  ElfW(Addr) base = 0;  // the object's load bias (link_map::l_addr)
  const std::uint32_t* gnu_hash = nullptr;
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Half)* versym = nullptr;  // may be absent (an unversioned object)
};

// From a link_map's l_addr and l_ld. False: no DT_GNU_HASH / DT_SYMTAB / DT_STRTAB.
bool read_elf_symbols(ElfW(Addr) base, const ElfW(Dyn)* dynamic, ElfSymbols& out);

std::uint32_t gnu_hash(const char* name);

// The address an unversioned dlsym(handle of this object, name) returns, when this object alone
// answers it with certainty: exactly one defined, non-hidden function or object named `name`,
// not an IFUNC. nullptr otherwise (the caller asks dlsym).
void* find_default_symbol(const ElfSymbols& object, const char* name, std::uint32_t hash);

// Whether the object defines `name` in any version (a definition, not a reference). When unsure
// (no hash table) the caller must treat it as "defines".
bool defines_symbol(const ElfSymbols& object, const char* name, std::uint32_t hash);

}  // namespace agentguard::preload
