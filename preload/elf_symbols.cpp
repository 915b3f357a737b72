#include "elf_symbols.hpp"

#include "core/base/text.hpp"

namespace agentguard::preload {
namespace {

// ld.so rewrites most objects' dynamic entries to absolute addresses, but not read-only ones
// (the vDSO): a value below the load bias is still an offset.
template <typename T>
const T* dynamic_pointer(ElfW(Addr) base, ElfW(Addr) value) {
  return reinterpret_cast<const T*>(value < base ? value + base : value);
}

struct HashTable {
  std::uint32_t bucket_count;
  std::uint32_t first_symbol;
  std::uint32_t bloom_words;
  std::uint32_t bloom_shift;
  const ElfW(Addr)* bloom;
  const std::uint32_t* buckets;
  const std::uint32_t* chain;
};

HashTable table_of(const std::uint32_t* h) {
  HashTable t{h[0], h[1], h[2], h[3], nullptr, nullptr, nullptr};
  t.bloom = reinterpret_cast<const ElfW(Addr)*>(h + 4);
  t.buckets = reinterpret_cast<const std::uint32_t*>(t.bloom + t.bloom_words);
  t.chain = t.buckets + t.bucket_count;
  return t;
}

constexpr unsigned kWordBits = sizeof(ElfW(Addr)) * 8;

bool bloom_may_hold(const HashTable& t, std::uint32_t hash) {
  if (t.bloom_words == 0) return true;
  const ElfW(Addr) word = t.bloom[(hash / kWordBits) % t.bloom_words];
  const ElfW(Addr) mask = (ElfW(Addr){1} << (hash % kWordBits)) | (ElfW(Addr){1} << ((hash >> t.bloom_shift) % kWordBits));
  return (word & mask) == mask;
}

// Calls visit(symbol index) for each symbol whose name is `name`; stops early if visit returns false.
template <typename Visit>
void for_each_named(const ElfSymbols& object, const char* name, std::uint32_t hash, Visit visit) {
  if (object.gnu_hash == nullptr) return;
  const HashTable t = table_of(object.gnu_hash);
  if (t.bucket_count == 0 || !bloom_may_hold(t, hash)) return;
  std::uint32_t index = t.buckets[hash % t.bucket_count];
  if (index < t.first_symbol) return;
  for (;; ++index) {
    const std::uint32_t chained = t.chain[index - t.first_symbol];
    if ((chained | 1u) == (hash | 1u) && core::text::equal(object.strtab + object.symtab[index].st_name, name)) {
      if (!visit(index)) return;
    }
    if ((chained & 1u) != 0) return;  // the end of this bucket's chain
  }
}

bool is_definition(const ElfW(Sym)& s) { return s.st_shndx != SHN_UNDEF; }

}  // namespace

std::uint32_t gnu_hash(const char* name) {
  std::uint32_t h = 5381;
  for (const auto* p = reinterpret_cast<const unsigned char*>(name); *p != '\0'; ++p) h = h * 33 + *p;
  return h;
}

bool read_elf_symbols(ElfW(Addr) base, const ElfW(Dyn)* dynamic, ElfSymbols& out) {
  out = ElfSymbols{};
  out.base = base;
  if (dynamic == nullptr) return false;
  for (const ElfW(Dyn)* d = dynamic; d->d_tag != DT_NULL; ++d) {
    switch (d->d_tag) {
      case DT_GNU_HASH:
        out.gnu_hash = dynamic_pointer<std::uint32_t>(base, d->d_un.d_ptr);
        break;
      case DT_SYMTAB:
        out.symtab = dynamic_pointer<ElfW(Sym)>(base, d->d_un.d_ptr);
        break;
      case DT_STRTAB:
        out.strtab = dynamic_pointer<char>(base, d->d_un.d_ptr);
        break;
      case DT_VERSYM:
        out.versym = dynamic_pointer<ElfW(Half)>(base, d->d_un.d_ptr);
        break;
      default:
        break;
    }
  }
  return out.gnu_hash != nullptr && out.symtab != nullptr && out.strtab != nullptr;
}

void* find_default_symbol(const ElfSymbols& object, const char* name, std::uint32_t hash) {
  const ElfW(Sym)* found = nullptr;
  unsigned definitions = 0;
  for_each_named(object, name, hash, [&](std::uint32_t index) {
    const ElfW(Sym)& s = object.symtab[index];
    if (!is_definition(s)) return true;
    ++definitions;
    // dlsym without a version takes the default ("name@@V") definition and skips hidden ones
    // ("name@V"); with more than one definition, leave the choice to dlsym itself.
    const bool hidden = object.versym != nullptr && (object.versym[index] & 0x8000) != 0;
    if (!hidden) found = &s;
    return definitions < 2;
  });
  if (definitions != 1 || found == nullptr || found->st_value == 0) return nullptr;
  const unsigned type = ELF64_ST_TYPE(found->st_info);
  const unsigned binding = ELF64_ST_BIND(found->st_info);
  if (type != STT_FUNC && type != STT_OBJECT) return nullptr;  // IFUNCs need their resolver: dlsym
  if (binding != STB_GLOBAL && binding != STB_WEAK) return nullptr;
  return reinterpret_cast<void*>(object.base + found->st_value);
}

bool defines_symbol(const ElfSymbols& object, const char* name, std::uint32_t hash) {
  bool defined = false;
  for_each_named(object, name, hash, [&](std::uint32_t index) {
    defined = is_definition(object.symtab[index]);
    return !defined;
  });
  return defined;
}

}  // namespace agentguard::preload
