#include "events/redact.hpp"

// GCC 12's <regex> trips -Wmaybe-uninitialized inside libstdc++ when built with -fsanitize
// (AGENTGUARD_SANITIZE=ON): a known false positive in std::function's move, not in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

namespace agentguard::events {
namespace {

std::string upper_underscored(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '-' || c == '.') c = '_';
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A long flag (without its dashes) whose value is a secret. Flags naming a file or path hold
// a location, not the secret itself.
bool is_secret_flag(std::string_view flag) {
  std::string name = upper_underscored(flag);
  for (std::string_view harmless : {"_FILE", "_PATH", "_DIR", "_ID", "_PROMPT"}) {
    if (ends_with(name, harmless)) return false;
  }
  return is_secret_name(flag);
}

// Programs whose short options carry passwords; the rule applies to the tokens after the program
// name (so `sudo mysql -pX` is covered too).
enum class ShortRule { none, mysql_attached_p, sshpass_p, redis_a, docker_login_p, curl_u, aws_configure_set };

ShortRule short_rule_for(const std::string& program) {
  static const std::array<std::string_view, 7> mysql_family = {"mysql",      "mysqldump", "mysqladmin", "mariadb",
                                                               "mariadb-dump", "mysqlimport", "mysqlshow"};
  if (std::find(mysql_family.begin(), mysql_family.end(), program) != mysql_family.end()) return ShortRule::mysql_attached_p;
  if (program == "sshpass") return ShortRule::sshpass_p;
  if (program == "redis-cli") return ShortRule::redis_a;
  if (program == "docker" || program == "podman" || program == "nerdctl") return ShortRule::docker_login_p;
  if (program == "curl") return ShortRule::curl_u;
  if (program == "aws") return ShortRule::aws_configure_set;
  return ShortRule::none;
}

// user:password -> user:[REDACTED]
std::string redact_user_password(const std::string& value) {
  auto colon = value.find(':');
  if (colon == std::string::npos) return value;
  return value.substr(0, colon + 1) + std::string(kRedacted);
}

// NAME=VALUE anywhere in text, NAME secret-looking: the value (up to whitespace, ';', '&', '|' or,
// when quoted, the closing quote) becomes [REDACTED].
std::string redact_assignments(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '=') {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t start = out.size();
    while (start > 0 && (is_ident_char(out[start - 1]) || out[start - 1] == '-' || out[start - 1] == '.')) --start;
    // Leading dashes make it a flag (`--password=x`), judged as a flag; otherwise an assignment.
    std::string name = out.substr(start);
    bool is_flag = !name.empty() && name.front() == '-';
    while (!name.empty() && name.front() == '-') name.erase(0, 1);
    out.push_back('=');
    ++i;
    bool starts_like_name = !name.empty() && (std::isalpha(static_cast<unsigned char>(name.front())) || name.front() == '_');
    bool secret = starts_like_name && (is_flag ? is_secret_flag(name) : is_secret_name(name));
    if (!secret) continue;
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      char quote = text[i];
      size_t close = text.find(quote, i + 1);
      out.push_back(quote);
      out += kRedacted;
      if (close == std::string_view::npos) return out;
      out.push_back(quote);
      i = close + 1;
    } else {
      size_t end = i;
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != ';' &&
             text[end] != '&' && text[end] != '|' && text[end] != '"' && text[end] != '\'')
        ++end;
      if (end > i) out += kRedacted;
      i = end;
    }
  }
  return out;
}

}  // namespace

bool is_secret_name(std::string_view name) {
  std::string upper = upper_underscored(name);
  if (upper == "PWD" || upper == "OLDPWD") return false;  // the working directory, not a password
  for (std::string_view word : {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "API_KEY", "APIKEY",
                                "PRIVATE_KEY", "CREDENTIAL", "AUTHORIZATION", "SESSION_KEY", "ACCESS_KEY_SECRET"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  for (std::string_view suffix : {"_KEY", "_PWD", "_PASS"}) {
    if (ends_with(upper, suffix)) return true;
  }
  return upper == "PASS" || upper == "PASSWORD" || upper == "KEY";
}

std::string redact_text(std::string_view text) {
  static const std::regex url_password(R"(([A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@"']*):[^\s/@"']*@)");
  static const std::regex header(
      R"(\b(authorization|proxy-authorization|x-api-key|x-auth-token|cookie|set-cookie)(\s*:\s*)(bearer\s+|basic\s+|token\s+|digest\s+|aws4-hmac-sha256\s+|negotiate\s+)?([^\r\n"']+))",
      std::regex::icase);
  static const std::regex flag_with_value(
      R"((--?[A-Za-z0-9_-]*(?:password|passwd|secret|token|api-key|apikey|api_key)(?:[A-Za-z0-9_-]*[A-Za-z0-9])?)(\s+)("[^"]*"|'[^']*'|[^\s"';&|]+))",
      std::regex::icase);
  // "password": "x" inside JSON arguments (--cli-input-json, -d '{...}').
  static const std::regex json_member(R"re("([A-Za-z0-9_.\-]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)")re");
  std::string out = redact_assignments(text);
  {
    std::string replaced;
    size_t last = 0;
    for (auto it = std::sregex_iterator(out.begin(), out.end(), json_member); it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      if (!is_secret_name(match[1].str())) continue;
      replaced.append(out, last, static_cast<size_t>(match.position(0)) - last);
      replaced += "\"" + match[1].str() + "\"" + match[2].str() + "\"" + std::string(kRedacted) + "\"";
      last = static_cast<size_t>(match.position(0) + match.length(0));
    }
    replaced.append(out, last);
    out = std::move(replaced);
  }
  out = std::regex_replace(out, url_password, "$1:[REDACTED]@");
  out = std::regex_replace(out, header, "$1$2$3[REDACTED]");
  // `--password VALUE` inside a script: the separator is whitespace (`=` was handled above).
  std::string result;
  auto begin = std::sregex_iterator(out.begin(), out.end(), flag_with_value);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    std::string flag = match[1].str();
    std::string bare = flag.substr(flag.find_first_not_of('-'));
    if (!is_secret_flag(bare) || match[3].str() == kRedacted) continue;
    result.append(out, last, static_cast<size_t>(match.position(0)) - last);
    result += flag + match[2].str() + std::string(kRedacted);
    last = static_cast<size_t>(match.position(0) + match.length(0));
  }
  result.append(out, last);
  return result;
}

std::vector<std::string> redact_argv(const std::vector<std::string>& argv) {
  std::vector<std::string> out = argv;
  ShortRule rule = ShortRule::none;
  bool docker_login = false;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string token = argv[i];
    std::string program = basename_of(token);
    if (ShortRule found = short_rule_for(program); found != ShortRule::none) {
      rule = found;
      docker_login = false;
      continue;
    }
    bool has_next = i + 1 < out.size();
    // --secret-flag VALUE (the value in the next argument)
    if (token.size() > 2 && token.rfind("--", 0) == 0 && token.find('=') == std::string::npos &&
        is_secret_flag(token.substr(2)) && has_next) {
      out[i + 1] = std::string(kRedacted);
      ++i;
      continue;
    }
    switch (rule) {
      case ShortRule::mysql_attached_p:
        if (token.size() > 2 && token.rfind("-p", 0) == 0) out[i] = "-p" + std::string(kRedacted);
        break;
      case ShortRule::sshpass_p:
        if (token == "-p" && has_next) {
          out[++i] = std::string(kRedacted);
        } else if (token.size() > 2 && token.rfind("-p", 0) == 0) {
          out[i] = "-p" + std::string(kRedacted);
        }
        break;
      case ShortRule::redis_a:
        if (token == "-a" && has_next) out[++i] = std::string(kRedacted);
        break;
      case ShortRule::docker_login_p:
        if (token == "login") docker_login = true;
        if (docker_login && token == "-p" && has_next) out[++i] = std::string(kRedacted);
        break;
      case ShortRule::curl_u:
        if ((token == "-u" || token == "--user" || token == "--proxy-user") && has_next) {
          out[i + 1] = redact_user_password(argv[i + 1]);
          ++i;
        } else if (token.size() > 2 && token.rfind("-u", 0) == 0 && token[1] == 'u') {
          out[i] = "-u" + redact_user_password(token.substr(2));
        }
        break;
      case ShortRule::aws_configure_set:
        // aws configure set aws_secret_access_key VALUE
        if (token == "set" && i > 0 && argv[i - 1] == "configure" && i + 2 < out.size() && is_secret_name(argv[i + 1])) {
          out[i + 2] = std::string(kRedacted);
          i += 2;
        }
        break;
      case ShortRule::none:
        break;
    }
  }
  for (auto& token : out) token = redact_text(token);
  return out;
}

Event redact_event(Event event) {
  event.argv = redact_argv(event.argv);
  event.message = redact_text(event.message);
  event.endpoint = redact_text(event.endpoint);
  return event;
}

}  // namespace agentguard::events
