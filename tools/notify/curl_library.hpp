#pragma once
// libcurl, loaded the first time a webhook is contacted (dlopen), not at every start of the CLI.
// Linked normally it brings ~30 shared libraries (gnutls, krb5, ldap, ssh2, rtmp, ...) into every
// `agentguard` process, `run` and `log` included, which never send anything themselves: ~40
// objects to map and relocate, most of a command's start-up (docs/performance.md). The headers and
// the types are libcurl's own; only the calls go through this table.
#include <curl/curl.h>

#include <string>

namespace agentguard::notify {

struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// libcurl, loaded and initialised once (thread-safe); nullptr if it cannot be loaded, with the
// reason in *why. The package depends on libcurl4, so that means a broken installation: the
// notifications stay in the spool.
const CurlApi* curl_api(std::string* why);

}  // namespace agentguard::notify
