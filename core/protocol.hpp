#pragma once
// The one contract between the preload (libagentguard.so), the gate (agentguard-gate) and the CLI
// (agentguard). Every name, flag and argv position that two of them must agree on is spelled here
// once, and nowhere else. Freestanding: constants only, usable from the preload's exec paths.
//
// The processes (docs/architecture.md):
//   agentguard run   writes the session, sets the guard's environment below, starts the agent;
//   the preload      in every process of the tree: hands watched launches to the gate (gate argv),
//                    reports refused file and HTTP calls (report argv);
//   agentguard-gate  runs unhooked, decides, reviews plans, holds, supervises, records.
#include <cstddef>
#include <string_view>

namespace agentguard::protocol {

// ---- The guard's environment --------------------------------------------------------------------
// The variables every guarded process carries, re-injected on every launch at their load-time
// values (core/launch/guard_env.hpp). An array of arrays, not of pointers: a pointer table would be
// relocated at load time in every process the preload is mapped into. Order matters only for the
// index constants below.
inline constexpr std::size_t kForcedVarCount = 7;
inline constexpr char kForcedVarNames[kForcedVarCount][24] = {
    "AGENTGUARD_LIB",       "AGENTGUARD_GATE",    "AGENTGUARD_WATCH",    "AGENTGUARD_POLICY",
    "AGENTGUARD_STATE_DIR", "AGENTGUARD_SESSION", "AGENTGUARD_API_RULES"};
inline constexpr std::size_t kVarLib = 0;       // the preload's own absolute path
inline constexpr std::size_t kVarGate = 1;      // the gate's absolute path
inline constexpr std::size_t kVarWatch = 2;     // the watch list (core/launch/watch_list.hpp)
inline constexpr std::size_t kVarPolicy = 3;    // the session's policy layers, ':'-separated
inline constexpr std::size_t kVarStateDir = 4;  // the state directory
inline constexpr std::size_t kVarSession = 5;   // the session id
inline constexpr std::size_t kVarApiRules = 6;  // the compiled API rules; unset: no HTTPS inspection

inline constexpr const char* kEnvLib = kForcedVarNames[kVarLib];
inline constexpr const char* kEnvGate = kForcedVarNames[kVarGate];
inline constexpr const char* kEnvWatch = kForcedVarNames[kVarWatch];
inline constexpr const char* kEnvPolicy = kForcedVarNames[kVarPolicy];
inline constexpr const char* kEnvStateDir = kForcedVarNames[kVarStateDir];
inline constexpr const char* kEnvSession = kForcedVarNames[kVarSession];
inline constexpr const char* kEnvApiRules = kForcedVarNames[kVarApiRules];

// Every variable of the guard starts with this; the gate strips them from a supervised program.
inline constexpr char kEnvPrefix[] = "AGENTGUARD_";
// Gate mode: the gate runs unhooked, so the caller's LD_PRELOAD (the library re-injected) travels
// under this name and is restored for the program the gate starts.
inline constexpr char kEnvCallerPreload[] = "AGENTGUARD_CALLER_LD_PRELOAD";

// ---- Settings the CLI and the gate read from their environment ----------------------------------
inline constexpr char kEnvPolicyFileDeprecated[] = "AGENTGUARD_POLICY_FILE";  // old name of AGENTGUARD_POLICY
inline constexpr char kEnvSystemPolicy[] = "AGENTGUARD_SYSTEM_POLICY";
inline constexpr char kEnvWebhookUrl[] = "AGENTGUARD_WEBHOOK_URL";
inline constexpr char kEnvWebhookFormat[] = "AGENTGUARD_WEBHOOK_FORMAT";
inline constexpr char kEnvWebhookSecret[] = "AGENTGUARD_WEBHOOK_SECRET";
inline constexpr char kEnvWebhookSecretFile[] = "AGENTGUARD_WEBHOOK_SECRET_FILE";
inline constexpr char kEnvApprovalHold[] = "AGENTGUARD_APPROVAL_HOLD";
inline constexpr char kEnvApprovalTimeout[] = "AGENTGUARD_APPROVAL_TIMEOUT";
inline constexpr char kEnvLogLevel[] = "AGENTGUARD_LOG_LEVEL";

// "NAME=" prefix test for an envp entry: the length of "NAME=" if `entry` assigns `name`, else 0.
constexpr std::size_t assigns(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.substr(0, name.size()) == name && entry[name.size()] == '='
             ? name.size() + 1
             : 0;
}

// ---- What a refused agent reads ------------------------------------------------------------------
// Every refusal, from the gate or the preload, is one paragraph on stderr that starts with these
// words: agents and people grep for them (`agentguard doctor` too).
inline constexpr char kRefusalOpening[] = "agentguard: blocked";

// ---- The gate's argv ----------------------------------------------------------------------------
// A watched launch handed over by the preload or by `agentguard run`:
//   [gate, resolved program, argv[0], argv[1], ...]
// The program's argv always has an argv[0] (the examined path when the caller gave none).
inline constexpr std::size_t kGateArgResolved = 1;
inline constexpr std::size_t kGateArgProgramArgv = 2;
// Slots the hand-over adds around the program's argv: gate, resolved path, a possible argv[0], NULL.
inline constexpr std::size_t kGateArgExtraSlots = 4;

// Reports from the preload, one mode word in argv[1] followed by "--flag value" pairs:
//   [gate, kReportHttp, kFlagDecision, D, kFlagRule, ID, kFlagService, S, kFlagOperation, OP,
//    kFlagProtocol, P, kFlagEndpoint, "HOST/PATH", kFlagMessage, MSG]   (decision and rule required)
//   [gate, kReportFile, kFlagPid, PID, kFlagOperation, OP, kFlagPath, PATH, kFlagRule, ID,
//    kFlagMessage, MSG]                                                (PID is the refused process)
inline constexpr char kReportHttp[] = "--report-http";
inline constexpr char kReportFile[] = "--report-file";
// `agentguard doctor`/`run`: can this kernel supervise? Exit 0 if so.
inline constexpr char kProbeSupervisor[] = "--probe-supervisor";

inline constexpr char kFlagDecision[] = "--decision";
inline constexpr char kFlagRule[] = "--rule";
inline constexpr char kFlagService[] = "--service";
inline constexpr char kFlagOperation[] = "--operation";
inline constexpr char kFlagProtocol[] = "--protocol";
inline constexpr char kFlagEndpoint[] = "--endpoint";
inline constexpr char kFlagMessage[] = "--message";
inline constexpr char kFlagPid[] = "--pid";
inline constexpr char kFlagPath[] = "--path";

}  // namespace agentguard::protocol
