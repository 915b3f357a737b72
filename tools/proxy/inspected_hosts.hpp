#pragma once
// Which TLS connections the proxy decrypts: those whose server name an API rule could be about.
#include <string>
#include <vector>

namespace agentguard::proxy {

// AWS's own domains (amazonaws.com and .com.cn, api.aws, on.aws), loopback names (LocalStack,
// moto, MinIO on this machine), the hosts named in `extra` (the session's AWS_ENDPOINT_URL*
// variables and endpoint_url settings, passed by `agentguard run`), and a connection that names
// no server at all (an IP literal: the SNI cannot tell us it is not AWS). Everything else is
// spliced through untouched.
bool should_inspect(const std::string& server_name, const std::vector<std::string>& extra);

}  // namespace agentguard::proxy
