# Log groups are created up front (not on first invocation) so retention
# applies from the start and each role can be scoped to its own group.
resource "aws_cloudwatch_log_group" "fn" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_158:CloudWatch Logs always encrypts at rest with service-owned keys; the functions never log tokens, passwords or keys, so a customer managed key would only add cost and key-policy management.
  #checkov:skip=CKV_AWS_338:Operational logs, not an audit trail: 30 days by default keeps cost low; raise log_retention_days where compliance requires a year.
  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs always encrypts at rest with service-owned keys; access logs hold no credentials (the Authorization header is not logged).
  #checkov:skip=CKV_AWS_338:Operational logs, not an audit trail: 30 days by default keeps cost low; raise log_retention_days where compliance requires a year.
  name              = "/aws/apigateway/${local.name}-access"
  retention_in_days = var.log_retention_days
}
