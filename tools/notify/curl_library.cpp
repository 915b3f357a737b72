#include "notify/curl_library.hpp"

#include <dlfcn.h>

#include <mutex>

namespace agentguard::notify {
namespace {

// The soname libcurl has had since 7.16 (Debian: libcurl4, whichever TLS flavour is installed).
constexpr char kLibrary[] = "libcurl.so.4";

struct Loaded {
  CurlApi api{};
  bool ok = false;
  std::string why;
};

template <typename F>
bool bind(void* handle, const char* name, F& out, std::string& why) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  if (out == nullptr) why = std::string(kLibrary) + " has no " + name;
  return out != nullptr;
}

Loaded load() {
  Loaded l;
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    l.why = std::string("cannot load ") + kLibrary + ": " + (error ? error : "unknown error");
    return l;
  }
  CurlApi& a = l.api;
  l.ok = bind(handle, "curl_global_init", a.global_init, l.why) && bind(handle, "curl_easy_init", a.easy_init, l.why) &&
         bind(handle, "curl_easy_setopt", a.easy_setopt, l.why) && bind(handle, "curl_easy_perform", a.easy_perform, l.why) &&
         bind(handle, "curl_easy_getinfo", a.easy_getinfo, l.why) &&
         bind(handle, "curl_easy_cleanup", a.easy_cleanup, l.why) &&
         bind(handle, "curl_easy_strerror", a.easy_strerror, l.why) &&
         bind(handle, "curl_slist_append", a.slist_append, l.why) &&
         bind(handle, "curl_slist_free_all", a.slist_free_all, l.why);
  if (l.ok && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    l.ok = false;
    l.why = std::string(kLibrary) + " did not initialise";
  }
  // Never dlclose: libcurl (and the TLS library under it) stay for the life of the process.
  return l;
}

}  // namespace

const CurlApi* curl_api(std::string* why) {
  static const Loaded loaded = load();  // thread-safe initialisation, once
  if (!loaded.ok && why != nullptr) *why = loaded.why;
  return loaded.ok ? &loaded.api : nullptr;
}

}  // namespace agentguard::notify
