#include "core/launch/executable.hpp"
#include "core/base/hot_path.hpp"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/base/file_syscalls.hpp"
#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"

namespace agentguard::core {
namespace {

// ---- the per-process cache -------------------------------------------------------------------
// A small table written without locks: the preload runs in vfork children and in threads at
// once. Each field is stored atomically, and `check` (a mix of all of them) is stored last; a
// reader accepts an entry only if its fields mix to its check, so a torn or interleaved entry is
// a miss, never a wrong answer.
struct CacheEntry {
  std::uint64_t dev, ino, size, mtime_ns, verdict, check;
};
constexpr std::size_t kCacheEntries = 4;  // small: the preload keeps its writable data in one page
CacheEntry g_cache[kCacheEntries];

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}
AGENTGUARD_HOT std::uint64_t entry_check(std::uint64_t dev, std::uint64_t ino, std::uint64_t size, std::uint64_t mtime,
                          std::uint64_t verdict) {
  return mix(mix(mix(mix(mix(0x5bd1e995ULL, dev), ino), size), mtime), verdict) | 1;  // never 0 (empty)
}
std::uint64_t load(const std::uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
void store(std::uint64_t& v, std::uint64_t x) { __atomic_store_n(&v, x, __ATOMIC_RELAXED); }

// ---- known Go programs -----------------------------------------------------------------------
// Arrays, not pointers: a table of pointers would need load-time relocations in the preload.
struct GoProgram {
  char package[48];  // main package path, exact
  char name[16];
};
constexpr GoProgram kGoPrograms[] = {
    {"github.com/hashicorp/terraform", "terraform"},
    {"github.com/opentofu/opentofu/cmd/tofu", "tofu"},
    {"github.com/gruntwork-io/terragrunt", "terragrunt"},
    {"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", "pulumi"},
    {"github.com/pulumi/pulumi/pkg/v2/cmd/pulumi", "pulumi"},
};
constexpr std::uint64_t kNoProgram = 0xff;

// verdict = kind | (program index + 1) << 8 | file capabilities << 16, 0 in the program byte
// meaning none. (Setuid and setgid come from the stat of every call, not from the cache.)
constexpr std::uint64_t kCapabilitiesBit = 1ULL << 16;
std::uint64_t encode(const ExecutableFacts& facts, bool capabilities) {
  std::uint64_t program = 0;
  for (std::size_t i = 0; i < sizeof kGoPrograms / sizeof kGoPrograms[0]; ++i)
    if (facts.go_program[0] != '\0' && text::equal(facts.go_program, kGoPrograms[i].name)) program = i + 1;
  return static_cast<std::uint64_t>(facts.kind) | (program << 8) | (capabilities ? kCapabilitiesBit : 0);
}
void decode(std::uint64_t verdict, ExecutableFacts& out) {
  out.kind = static_cast<ExecutableKind>(verdict & 0xff);
  if ((verdict & kCapabilitiesBit) != 0) out.privileged = true;
  const std::uint64_t program = (verdict >> 8) & 0xff;
  out.go_program[0] = '\0';
  if (program != 0 && program != kNoProgram && program <= sizeof kGoPrograms / sizeof kGoPrograms[0])
    text::copy(out.go_program, sizeof out.go_program, kGoPrograms[program - 1].name);
}

// ---- bounded reads ---------------------------------------------------------------------------
bool read_at(int fd, void* buffer, std::size_t size, std::uint64_t offset) {
  auto* p = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const long got = sys::pread(fd, p, size, static_cast<long>(offset));
    if (got == -EINTR) continue;
    if (got <= 0) return false;
    p += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

constexpr unsigned char kBuildInfoMagic[] = {0xff, ' ', 'G', 'o', ' ', 'b', 'u', 'i', 'l', 'd', 'i', 'n', 'f', ':'};
constexpr std::size_t kMagicSize = sizeof kBuildInfoMagic;
constexpr std::size_t kMaxSections = 512;
constexpr std::size_t kMaxProgramHeaders = 64;
constexpr std::uint64_t kScanLimit = 64 * 1024;  // Go puts the blob at the start of its section/segment
constexpr std::size_t kBlobRead = 1024;          // header, version, and the start of the module info

bool is_magic(const unsigned char* p) {
  for (std::size_t i = 0; i < kMagicSize; ++i)
    if (p[i] != kBuildInfoMagic[i]) return false;
  return true;
}

// Finds the build info blob in [offset, offset+size) at 16-byte alignment, as Go's own reader does.
bool find_blob(int fd, std::uint64_t offset, std::uint64_t size, std::uint64_t& found) {
  unsigned char buffer[1024];
  const std::uint64_t end = offset + (size < kScanLimit ? size : kScanLimit);
  for (std::uint64_t at = offset; at + kMagicSize <= end;) {
    std::uint64_t want = end - at < sizeof buffer ? end - at : sizeof buffer;
    if (!read_at(fd, buffer, static_cast<std::size_t>(want), at)) return false;
    for (std::uint64_t i = 0; i + kMagicSize <= want; i += 16) {
      if (is_magic(buffer + i)) {
        found = at + i;
        return true;
      }
    }
    at += want;
  }
  return false;
}

template <typename Ehdr, typename Phdr, typename Shdr>
struct Elf {
  // Where the build info can be: the .go.buildinfo section, else the first writable PT_LOAD.
  static bool blob_range(int fd, const Ehdr& eh, const Phdr* phdrs, std::size_t phnum, std::uint64_t& offset,
                         std::uint64_t& size) {
    if (eh.e_shoff != 0 && eh.e_shnum != 0 && eh.e_shnum <= kMaxSections && eh.e_shstrndx < eh.e_shnum &&
        eh.e_shentsize == sizeof(Shdr)) {
      Shdr names;
      char strings[4096];
      if (read_at(fd, &names, sizeof names, eh.e_shoff + std::uint64_t{eh.e_shstrndx} * sizeof(Shdr))) {
        const std::uint64_t strings_size = names.sh_size < sizeof strings ? names.sh_size : sizeof strings;
        if (strings_size > 0 && read_at(fd, strings, static_cast<std::size_t>(strings_size), names.sh_offset)) {
          strings[strings_size - 1] = '\0';
          Shdr chunk[16];
          for (std::size_t first = 0; first < eh.e_shnum; first += 16) {
            const std::size_t n = eh.e_shnum - first < 16 ? eh.e_shnum - first : 16;
            if (!read_at(fd, chunk, n * sizeof(Shdr), eh.e_shoff + first * sizeof(Shdr))) break;
            for (std::size_t i = 0; i < n; ++i) {
              if (chunk[i].sh_name >= strings_size) continue;
              if (text::equal(strings + chunk[i].sh_name, ".go.buildinfo")) {
                offset = chunk[i].sh_offset;
                size = chunk[i].sh_size;
                return true;
              }
            }
          }
        }
      }
    }
    for (std::size_t i = 0; i < phnum; ++i) {
      if (phdrs[i].p_type == PT_LOAD && (phdrs[i].p_flags & PF_W) != 0) {
        offset = phdrs[i].p_offset;
        size = phdrs[i].p_filesz;
        return true;
      }
    }
    return false;
  }

  static void examine(int fd, const unsigned char* head, std::size_t head_size, ExecutableFacts& out) {
    Ehdr eh;
    if (head_size < sizeof eh) return;
    __builtin_memcpy(&eh, head, sizeof eh);
    if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxProgramHeaders) return;
    // The common case, a dynamic executable whose program headers are in the first KiB: found
    // entry by entry in place. Copying them (and the static case's buffers) would put ~10 KiB of
    // stack under every launch, and a forked child faults on each stack page it writes.
    if (eh.e_phoff + std::uint64_t{eh.e_phnum} * sizeof(Phdr) <= head_size) {
      for (std::size_t i = 0; i < eh.e_phnum; ++i) {
        Phdr phdr;
        __builtin_memcpy(&phdr, head + eh.e_phoff + i * sizeof(Phdr), sizeof phdr);
        if (phdr.p_type == PT_INTERP) {
          out.kind = ExecutableKind::dynamic_elf;
          return;
        }
      }
    }
    examine_further(fd, head, head_size, eh, out);
  }

  __attribute__((noinline)) static void examine_further(int fd, const unsigned char* head, std::size_t head_size,
                                                        const Ehdr& eh, ExecutableFacts& out) {
    Phdr phdrs[kMaxProgramHeaders];
    const std::size_t phnum = eh.e_phnum;
    const std::uint64_t ph_bytes = phnum * sizeof(Phdr);
    if (eh.e_phoff + ph_bytes <= head_size) {
      __builtin_memcpy(phdrs, head + eh.e_phoff, ph_bytes);
    } else if (!read_at(fd, phdrs, ph_bytes, eh.e_phoff)) {
      out.kind = ExecutableKind::unreadable;
      return;
    }
    for (std::size_t i = 0; i < phnum; ++i) {
      if (phdrs[i].p_type == PT_INTERP) {
        out.kind = ExecutableKind::dynamic_elf;
        return;
      }
    }
    out.kind = ExecutableKind::static_elf;
    std::uint64_t offset = 0, size = 0, blob = 0;
    if (!blob_range(fd, eh, phdrs, phnum, offset, size) || !find_blob(fd, offset, size, blob)) return;
    unsigned char info[kBlobRead];
    std::size_t got = 0;
    while (got < sizeof info) {
      const long n = sys::pread(fd, info + got, sizeof info - got, static_cast<long>(blob + got));
      if (n == -EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    char package[256];
    if (!go_main_package(info, got, package, sizeof package)) return;
    const char* name = program_for_go_package(package);
    if (name != nullptr) text::copy(out.go_program, sizeof out.go_program, name);
  }
};

using Elf64 = Elf<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>;
using Elf32 = Elf<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>;

// Out of line: its buffers are not part of the common (cached) path's stack frame.
// Raw system calls: this runs in the exec path of every launch (often a fresh forked child, where a
// first libc call would also bind its PLT slot), and libc's open is our own hook.
AGENTGUARD_HOT __attribute__((noinline)) void examine_file(const char* path, ExecutableFacts& out) {
  const long opened = sys::openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (opened < 0) {
    out.kind = ExecutableKind::unreadable;
    return;
  }
  const int fd = static_cast<int>(opened);
  unsigned char head[1024];
  const long n = sys::pread(fd, head, sizeof head, 0);
  const std::size_t size = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (n < 0) {
    out.kind = ExecutableKind::unreadable;
  } else if (size >= 2 && head[0] == '#' && head[1] == '!') {
    out.kind = ExecutableKind::script;
  } else if (size >= EI_NIDENT && head[EI_MAG0] == ELFMAG0 && head[EI_MAG1] == ELFMAG1 && head[EI_MAG2] == ELFMAG2 &&
             head[EI_MAG3] == ELFMAG3) {
    constexpr unsigned char kNative = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
    if (head[EI_DATA] == kNative) {
      // Malformed headers leave the kind as it was set here: a static ELF (supervised), never "other".
      out.kind = ExecutableKind::static_elf;
      if (head[EI_CLASS] == ELFCLASS64) Elf64::examine(fd, head, size, out);
      else if (head[EI_CLASS] == ELFCLASS32) Elf32::examine(fd, head, size, out);
    }
  }
  sys::close(fd);
}

AGENTGUARD_HOT bool has_file_capabilities(const char* path) {
#ifdef AGENTGUARD_RAW_SYSCALLS
  static constexpr char kName[] = "security.capability";
  return sys::syscall4(SYS_getxattr, reinterpret_cast<long>(path), reinterpret_cast<long>(kName), 0, 0) > 0;
#else
  const int saved = errno;
  const bool found = getxattr(path, "security.capability", nullptr, 0) > 0;
  errno = saved;
  return found;
#endif
}

std::uint64_t read_uvarint(const unsigned char* p, std::size_t size, std::size_t& at, bool& ok) {
  std::uint64_t value = 0;
  for (unsigned shift = 0; shift < 64 && at < size; shift += 7) {
    const unsigned char b = p[at++];
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  ok = false;
  return 0;
}

}  // namespace

bool go_main_package(const unsigned char* blob, std::size_t size, char* path_out, std::size_t cap) {
  if (size < 32 || cap == 0 || !is_magic(blob)) return false;
  // Byte 15: flags; bit 1 means the strings follow the header inline (Go 1.18+). Older builds
  // store pointers instead, which would need the address space; they are not recognised.
  if ((blob[15] & 0x2) == 0) return false;
  std::size_t at = 32;
  bool ok = true;
  const std::uint64_t version_length = read_uvarint(blob, size, at, ok);
  if (!ok || version_length > size - at) return false;
  at += static_cast<std::size_t>(version_length);
  const std::uint64_t module_length = read_uvarint(blob, size, at, ok);
  if (!ok || module_length < 33) return false;
  at += 16;  // the module info is framed by 16-byte sentinels
  constexpr char kPath[] = "path\t";
  for (std::size_t i = 0; kPath[i] != '\0'; ++i)
    if (at + i >= size || blob[at + i] != static_cast<unsigned char>(kPath[i])) return false;
  at += sizeof kPath - 1;
  std::size_t n = 0;
  for (; at < size && blob[at] != '\n'; ++at) {
    if (n + 1 >= cap) return false;
    path_out[n++] = static_cast<char>(blob[at]);
  }
  if (at >= size) return false;  // the line was cut by the bounded read: not certain, not matched
  path_out[n] = '\0';
  return n > 0;
}

const char* program_for_go_package(const char* package_path) {
  for (const GoProgram& p : kGoPrograms)
    if (text::equal(package_path, p.package)) return p.name;
  return nullptr;
}

bool fd_is_script(int fd) {
  char head[2];
  return sys::pread(fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!';
}

AGENTGUARD_HOT bool examine_executable(const char* path, ExecutableFacts& out) {
  struct stat st;
  if (sys::stat(path, &st) != 0) {
    out.kind = ExecutableKind::other;
    out.go_program[0] = '\0';
    out.privileged = false;
    return false;
  }
  return examine_executable(path, st, out);
}

AGENTGUARD_HOT bool examine_executable(const char* path, const struct stat& st, ExecutableFacts& out) {
  out.kind = ExecutableKind::other;
  out.go_program[0] = '\0';
  out.privileged = false;
  if (!S_ISREG(st.st_mode)) return true;
  // Setgid without group execute is a mandatory-locking mark, not a privilege.
  out.privileged = (st.st_mode & S_ISUID) != 0 || (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
  const auto dev = static_cast<std::uint64_t>(st.st_dev);
  const auto ino = static_cast<std::uint64_t>(st.st_ino);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // The change time too: setcap changes it (and not the modification time).
  const auto mtime = (static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL +
                      static_cast<std::uint64_t>(st.st_mtim.tv_nsec)) ^
                     ((static_cast<std::uint64_t>(st.st_ctim.tv_sec) * 1000000000ULL +
                       static_cast<std::uint64_t>(st.st_ctim.tv_nsec)) << 1);
  CacheEntry& slot = g_cache[(ino ^ (ino >> 7) ^ dev) % kCacheEntries];
  const std::uint64_t check = __atomic_load_n(&slot.check, __ATOMIC_ACQUIRE);
  if (check != 0 && load(slot.dev) == dev && load(slot.ino) == ino && load(slot.size) == size &&
      load(slot.mtime_ns) == mtime) {
    const std::uint64_t verdict = load(slot.verdict);
    if (entry_check(dev, ino, size, mtime, verdict) == check) {
      decode(verdict, out);
      return true;
    }
  }
  const int saved_errno = errno;
  examine_file(path, out);
  errno = saved_errno;
  // File capabilities: one getxattr, on a cache miss only (size 0 or -ENODATA: none).
  const bool capabilities = has_file_capabilities(path);
  if (capabilities) out.privileged = true;
  if (out.kind == ExecutableKind::unreadable) return true;  // may become readable; not cached
  const std::uint64_t verdict = encode(out, capabilities);
  __atomic_store_n(&slot.check, 0, __ATOMIC_RELAXED);
  store(slot.dev, dev);
  store(slot.ino, ino);
  store(slot.size, size);
  store(slot.mtime_ns, mtime);
  store(slot.verdict, verdict);
  __atomic_store_n(&slot.check, entry_check(dev, ino, size, mtime, verdict), __ATOMIC_RELEASE);
  return true;
}

}  // namespace agentguard::core
