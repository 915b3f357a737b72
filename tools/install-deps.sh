#!/usr/bin/env bash
# Installs what building and testing agentguard needs, from Debian packages only.
# Idempotent: packages already present are left alone, and apt-get runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang
  libtoml11-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev libgnutls28-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  hyperfine binutils file git make perl python3 curl wget openssl dpkg-dev
  util-linux coreutils findutils procps
  # supervisor (seccomp user notification), proxy (Asio), approval page (cpp-httplib), Go wrappers
  libseccomp-dev libasio-dev libcpp-httplib-dev golang-go busybox-static strace
  # bench: exact instruction counts (callgrind), where the VM has no hardware counters
  valgrind
  # approval page tests (headless Chromium driven over the DevTools protocol), terminal approvals,
  # man page and completions
  chromium python3-websocket tmux help2man bash-completion zsh fish
)

# The Claude Code integration test installs @anthropic-ai/claude-code with npm (into the build
# directory, on first run). Debian's npm, unless a Node.js with its own npm is installed already.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
