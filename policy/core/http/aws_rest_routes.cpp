// REST services: method + URI template -> operation, from the botocore models (`http.method`,
// `http.requestUri`). Covers the destructive operations of the services the default policy
// names, plus common reads so `explain` shows something useful. `{x}` matches one non-empty
// path segment; `{x+}` the rest of the path.
#include "core/http/aws_internal.hpp"
#include "core/string_table.hpp"

namespace agentguard::core::http::detail {

namespace {

// Columns: service, method, path (template, without a trailing slash), a query key that must be
// present (or nullptr), operation. Packed into a pointer-free table (core/string_table.hpp).
enum RouteColumn : std::size_t { kService, kMethod, kPath, kQuery, kOperation };

constexpr const char* kRouteRows[][5] = {
    // Lambda
    {"lambda", "DELETE", "/2015-03-31/functions/{FunctionName}", nullptr, "DeleteFunction"},
    {"lambda", "DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", nullptr, "DeleteAlias"},
    {"lambda", "DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", nullptr, "DeleteLayerVersion"},
    {"lambda", "DELETE", "/2015-03-31/event-source-mappings/{UUID}", nullptr, "DeleteEventSourceMapping"},
    {"lambda", "DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", nullptr, "DeleteFunctionConcurrency"},
    {"lambda", "DELETE", "/2021-10-31/functions/{FunctionName}/url", nullptr, "DeleteFunctionUrlConfig"},
    {"lambda", "DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", nullptr, "RemovePermission"},
    {"lambda", "DELETE", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", nullptr, "DeleteProvisionedConcurrencyConfig"},
    {"lambda", "POST", "/2015-03-31/functions/{FunctionName}/invocations", nullptr, "Invoke"},
    {"lambda", "POST", "/2015-03-31/functions", nullptr, "CreateFunction"},
    {"lambda", "GET", "/2015-03-31/functions", nullptr, "ListFunctions"},
    {"lambda", "GET", "/2015-03-31/functions/{FunctionName}", nullptr, "GetFunction"},
    {"lambda", "PUT", "/2015-03-31/functions/{FunctionName}/code", nullptr, "UpdateFunctionCode"},
    {"lambda", "PUT", "/2015-03-31/functions/{FunctionName}/configuration", nullptr, "UpdateFunctionConfiguration"},
    // EKS
    {"eks", "DELETE", "/clusters/{name}", nullptr, "DeleteCluster"},
    {"eks", "DELETE", "/clusters/{clusterName}/node-groups/{nodegroupName}", nullptr, "DeleteNodegroup"},
    {"eks", "DELETE", "/clusters/{clusterName}/fargate-profiles/{fargateProfileName}", nullptr, "DeleteFargateProfile"},
    {"eks", "DELETE", "/clusters/{clusterName}/addons/{addonName}", nullptr, "DeleteAddon"},
    {"eks", "DELETE", "/clusters/{clusterName}/access-entries/{principalArn}", nullptr, "DeleteAccessEntry"},
    {"eks", "POST", "/clusters/{name}/update-config", nullptr, "UpdateClusterConfig"},
    {"eks", "POST", "/clusters", nullptr, "CreateCluster"},
    {"eks", "GET", "/clusters", nullptr, "ListClusters"},
    {"eks", "GET", "/clusters/{name}", nullptr, "DescribeCluster"},
    // Backup
    {"backup", "DELETE", "/backup-vaults/{BackupVaultName}", nullptr, "DeleteBackupVault"},
    {"backup", "DELETE", "/backup-vaults/{BackupVaultName}/recovery-points/{RecoveryPointArn}", nullptr, "DeleteRecoveryPoint"},
    {"backup", "POST", "/backup-vaults/{BackupVaultName}/recovery-points/{RecoveryPointArn}", nullptr, "UpdateRecoveryPointLifecycle"},
    {"backup", "DELETE", "/backup-vaults/{BackupVaultName}/vault-lock", nullptr, "DeleteBackupVaultLockConfiguration"},
    {"backup", "DELETE", "/backup-vaults/{BackupVaultName}/access-policy", nullptr, "DeleteBackupVaultAccessPolicy"},
    {"backup", "DELETE", "/backup-vaults/{BackupVaultName}/notification-configuration", nullptr, "DeleteBackupVaultNotifications"},
    {"backup", "DELETE", "/backup/plans/{BackupPlanId}", nullptr, "DeleteBackupPlan"},
    {"backup", "DELETE", "/backup/plans/{BackupPlanId}/selections/{SelectionId}", nullptr, "DeleteBackupSelection"},
    {"backup", "GET", "/backup-vaults", nullptr, "ListBackupVaults"},
    {"backup", "GET", "/backup/plans", nullptr, "ListBackupPlans"},
    // EFS
    {"elasticfilesystem", "DELETE", "/2015-02-01/file-systems/{FileSystemId}", nullptr, "DeleteFileSystem"},
    {"elasticfilesystem", "DELETE", "/2015-02-01/mount-targets/{MountTargetId}", nullptr, "DeleteMountTarget"},
    {"elasticfilesystem", "DELETE", "/2015-02-01/file-systems/{SourceFileSystemId}/replication-configuration", nullptr, "DeleteReplicationConfiguration"},
    {"elasticfilesystem", "DELETE", "/2015-02-01/file-systems/{FileSystemId}/policy", nullptr, "DeleteFileSystemPolicy"},
    {"elasticfilesystem", "DELETE", "/2015-02-01/access-points/{AccessPointId}", nullptr, "DeleteAccessPoint"},
    {"elasticfilesystem", "GET", "/2015-02-01/file-systems", nullptr, "DescribeFileSystems"},
    // API Gateway v1 and v2 (both sign as `apigateway`)
    {"apigateway", "DELETE", "/restapis/{restapi_id}", nullptr, "DeleteRestApi"},
    {"apigateway", "DELETE", "/restapis/{restapi_id}/stages/{stage_name}", nullptr, "DeleteStage"},
    {"apigateway", "DELETE", "/restapis/{restapi_id}/deployments/{deployment_id}", nullptr, "DeleteDeployment"},
    {"apigateway", "DELETE", "/restapis/{restapi_id}/resources/{resource_id}", nullptr, "DeleteResource"},
    {"apigateway", "DELETE", "/domainnames/{domain_name}", nullptr, "DeleteDomainName"},
    {"apigateway", "DELETE", "/apikeys/{api_Key}", nullptr, "DeleteApiKey"},
    {"apigateway", "DELETE", "/usageplans/{usageplanId}", nullptr, "DeleteUsagePlan"},
    {"apigateway", "DELETE", "/v2/apis/{apiId}", nullptr, "DeleteApi"},
    {"apigateway", "DELETE", "/v2/apis/{apiId}/stages/{stageName}", nullptr, "DeleteStage"},
    {"apigateway", "DELETE", "/v2/apis/{apiId}/routes/{routeId}", nullptr, "DeleteRoute"},
    {"apigateway", "DELETE", "/v2/domainnames/{domainName}", nullptr, "DeleteDomainName"},
    {"apigateway", "GET", "/restapis", nullptr, "GetRestApis"},
    {"apigateway", "GET", "/v2/apis", nullptr, "GetApis"},
    // Glacier
    {"glacier", "DELETE", "/{accountId}/vaults/{vaultName}", nullptr, "DeleteVault"},
    {"glacier", "DELETE", "/{accountId}/vaults/{vaultName}/archives/{archiveId}", nullptr, "DeleteArchive"},
    {"glacier", "DELETE", "/{accountId}/vaults/{vaultName}/access-policy", nullptr, "DeleteVaultAccessPolicy"},
    {"glacier", "DELETE", "/{accountId}/vaults/{vaultName}/notification-configuration", nullptr, "DeleteVaultNotifications"},
    {"glacier", "GET", "/{accountId}/vaults", nullptr, "ListVaults"},
    // OpenSearch and the older Elasticsearch API (both sign as `es`)
    {"es", "DELETE", "/2021-01-01/opensearch/domain/{DomainName}", nullptr, "DeleteDomain"},
    {"es", "DELETE", "/2015-01-01/es/domain/{DomainName}", nullptr, "DeleteElasticsearchDomain"},
    {"es", "DELETE", "/2021-01-01/packages/{PackageID}", nullptr, "DeletePackage"},
    {"es", "GET", "/2021-01-01/domain", nullptr, "ListDomainNames"},
    // Route 53
    {"route53", "DELETE", "/2013-04-01/hostedzone/{Id}", nullptr, "DeleteHostedZone"},
    {"route53", "POST", "/2013-04-01/hostedzone/{Id}/rrset", nullptr, "ChangeResourceRecordSets"},
    {"route53", "POST", "/2013-04-01/hostedzone/{Id}/disable-dnssec", nullptr, "DisableHostedZoneDNSSEC"},
    {"route53", "DELETE", "/2013-04-01/healthcheck/{HealthCheckId}", nullptr, "DeleteHealthCheck"},
    {"route53", "DELETE", "/2013-04-01/keysigningkey/{HostedZoneId}/{Name}", nullptr, "DeleteKeySigningKey"},
    {"route53", "GET", "/2013-04-01/hostedzone", nullptr, "ListHostedZones"},
    {"route53", "GET", "/2013-04-01/hostedzone/{Id}/rrset", nullptr, "ListResourceRecordSets"},
    // CloudFront
    {"cloudfront", "DELETE", "/2020-05-31/distribution/{Id}", nullptr, "DeleteDistribution"},
    {"cloudfront", "DELETE", "/2020-05-31/function/{Name}", nullptr, "DeleteFunction"},
    {"cloudfront", "DELETE", "/2020-05-31/cache-policy/{Id}", nullptr, "DeleteCachePolicy"},
    {"cloudfront", "DELETE", "/2020-05-31/origin-access-control/{Id}", nullptr, "DeleteOriginAccessControl"},
    {"cloudfront", "PUT", "/2020-05-31/distribution/{Id}/config", nullptr, "UpdateDistribution"},
    {"cloudfront", "GET", "/2020-05-31/distribution", nullptr, "ListDistributions"},
    // S3 Control
    {"s3control", "DELETE", "/v20180820/accesspoint/{Name}", nullptr, "DeleteAccessPoint"},
    {"s3control", "DELETE", "/v20180820/accesspoint/{Name}/policy", nullptr, "DeleteAccessPointPolicy"},
    {"s3control", "DELETE", "/v20180820/bucket/{Bucket}", nullptr, "DeleteBucket"},
    {"s3control", "DELETE", "/v20180820/bucket/{Bucket}/policy", nullptr, "DeleteBucketPolicy"},
    {"s3control", "DELETE", "/v20180820/bucket/{Bucket}/lifecycleconfiguration", nullptr, "DeleteBucketLifecycleConfiguration"},
    {"s3control", "DELETE", "/v20180820/configuration/publicAccessBlock", nullptr, "DeletePublicAccessBlock"},
    {"s3control", "PUT", "/v20180820/configuration/publicAccessBlock", nullptr, "PutPublicAccessBlock"},
    {"s3control", "POST", "/v20180820/async-requests/mrap/delete", nullptr, "DeleteMultiRegionAccessPoint"},
    {"s3control", "DELETE", "/v20180820/storagelens/{ConfigId}", nullptr, "DeleteStorageLensConfiguration"},
    {"s3control", "DELETE", "/v20180820/jobs/{JobId}/tagging", nullptr, "DeleteJobTagging"},
    {"s3control", "GET", "/v20180820/accesspoint", nullptr, "ListAccessPoints"},
};
constexpr auto kRoutes = AGENTGUARD_STRING_TABLE(kRouteRows);

Text strip_trailing_slash(Text path) {
  while (path.size > 1 && path[path.size - 1] == '/') path = path.sub(0, path.size - 1);
  return path;
}

// Segment-wise match of `path` (raw, percent-encoded segments are fine: they never contain '/')
// against a template.
bool template_matches(Text tmpl, Text path) {
  std::size_t t = 0, p = 0;
  while (true) {
    bool t_end = t >= tmpl.size, p_end = p >= path.size;
    if (t_end || p_end) return t_end && p_end;
    if (tmpl[t] != '/' || path[p] != '/') return false;
    ++t;
    ++p;
    std::size_t te = find_char(tmpl, '/', t), pe = find_char(path, '/', p);
    Text ts = tmpl.sub(t, te - t), ps = path.sub(p, pe - p);
    if (ts.size >= 2 && ts[0] == '{') {
      if (ts[ts.size - 2] == '+') return !ps.empty();  // greedy: the rest of the path
      if (ps.empty()) return false;
    } else {
      // Literal segments are compared after percent-decoding, as the service's router does, so
      // `/2015-03-31/%66unctions/x` is still DeleteFunction.
      Decoded decoded;
      decode_into(decoded, ps, false);
      if (decoded.truncated || !equals(ts, decoded.view())) return false;
    }
    t = te;
    p = pe;
  }
}

bool has_query_key(Text query, Text wanted) {
  FormCursor cursor{query};
  Text key, value;
  while (cursor.next(&key, &value))
    if (equals(key, wanted)) return true;
  return false;
}

}  // namespace

bool classify_rest_route(Text service, const Request& request, Classification& out) {
  Text path = strip_trailing_slash(out.path);
  for (std::size_t r = 0; r < kRoutes.rows(); ++r) {
    const auto text = [r](RouteColumn c) {
      const char* s = kRoutes.at(r, c);
      return Text(s, length_of(s));
    };
    if (!equals(service, text(kService))) continue;
    if (!equals(request.method, text(kMethod))) continue;
    if (!template_matches(text(kPath), path)) continue;
    if (kRoutes.at(r, kQuery) != nullptr && !has_query_key(request.query(), text(kQuery))) continue;
    set_operation(out, text(kOperation));
    return true;
  }
  return false;
}

}  // namespace agentguard::core::http::detail
