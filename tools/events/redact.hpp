#pragma once
// Secrets never leave the machine in the clear: every event is redacted before it is written to
// the audit log, the spool, a webhook or the screen.
//
// What is redacted (value replaced by "[REDACTED]", the name kept so a human sees what was there):
//  - NAME=VALUE where NAME looks secret (…SECRET…, …TOKEN…, …PASSWORD…, …_KEY, API_KEY, …), in argv
//    and inside free text (a `bash -c` script, a terraform `-var name=value`);
//  - long flags naming a secret: `--password X`, `--password=X`, `--secret-key X`, `--token X`, ...;
//  - short flags where a known program uses them for a password: mysql `-pX`, sshpass `-p X`,
//    redis-cli `-a X`, `docker login -p X`, curl `-u user:X`;
//  - `Authorization:`/`Proxy-Authorization:`/`Cookie:`/`X-Api-Key:` header values (the scheme is kept);
//  - passwords in URLs: scheme://user:[REDACTED]@host.
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"

namespace agentguard::events {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// True for names such as AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, db_password, client-secret.
bool is_secret_name(std::string_view name);

std::string redact_text(std::string_view text);
std::vector<std::string> redact_argv(const std::vector<std::string>& argv);
// argv, message and endpoint redacted; everything else unchanged.
Event redact_event(Event event);

}  // namespace agentguard::events
