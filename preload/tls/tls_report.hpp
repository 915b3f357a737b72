#pragma once
// Reporting a refused (or logged) HTTPS request: the gate is run as
//   AGENTGUARD_GATE --report-http --decision D --rule ID --service S --operation O
//                   --protocol P --endpoint HOST/PATH --message M
// with the process's environment minus LD_PRELOAD, and waited for (it returns once the event is
// durable). Without a usable gate one `agentguard: blocked` line goes to stderr instead.
#include "core/http/aws_classify.hpp"
#include "core/http/text.hpp"

namespace agentguard::preload {

void report_http_event(const char* decision, core::http::Text rule_id, const core::http::Classification& request,
                       core::http::Text message);

}  // namespace agentguard::preload
