# HTTP API (API Gateway v2), one per environment, "$default" stage with
# auto-deploy: URLs carry no stage prefix.
resource "aws_apigatewayv2_api" "this" {
  name          = local.name
  description   = "Real-estate API (${var.environment})"
  protocol_type = "HTTP"

  # CORS only when origins are given; "*" is refused by the variable.
  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [1] : []

    content {
      allow_origins  = var.cors_allow_origins
      allow_methods  = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
      allow_headers  = ["authorization", "content-type", "idempotency-key", "if-match", "if-none-match"]
      expose_headers = ["etag", "location", "retry-after", "www-authenticate", "x-request-id"]
      max_age        = 600
    }
  }
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = false
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId        = "$context.requestId"
      ip               = "$context.identity.sourceIp"
      requestTime      = "$context.requestTime"
      httpMethod       = "$context.httpMethod"
      routeKey         = "$context.routeKey"
      status           = "$context.status"
      protocol         = "$context.protocol"
      responseLength   = "$context.responseLength"
      integrationError = "$context.integrationErrorMessage"
      authorizerError  = "$context.authorizer.error"
    })
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id                            = aws_apigatewayv2_api.this.id
  name                              = "jwt-lambda"
  authorizer_type                   = "REQUEST"
  authorizer_uri                    = aws_lambda_function.fn["authorizer"].invoke_arn
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = true
  identity_sources                  = ["$request.header.Authorization"]
  # Decision cached per Authorization header for 300 s. A cached "allow" can
  # outlive the token's exp; the functions refuse it then, from the exp the
  # authorizer passes in its context, so the cache never lengthens a token.
  authorizer_result_ttl_in_seconds = 300
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowApiGatewayInvokeAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn["authorizer"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.jwt.id}"
}

resource "aws_apigatewayv2_integration" "fn" {
  for_each = local.http_functions

  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.fn[each.key].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_lambda_permission" "api" {
  for_each = local.http_functions

  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  # Any stage, method and route of this API only.
  source_arn = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

# Routes come from local.routes, split on auth so each resource states its
# authorization type literally.
resource "aws_apigatewayv2_route" "protected" {
  for_each = { for key, r in local.routes_by_key : key => r if r.auth }

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.fn[each.value.function].id}"
  authorization_type = "CUSTOM"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_route" "public" {
  for_each = { for key, r in local.routes_by_key : key => r if !r.auth }

  #checkov:skip=CKV_AWS_309:Public by design (health, registration, sign-in, public reads, the $default 404); every route with auth = true is in aws_apigatewayv2_route.protected behind the Lambda authorizer.
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.fn[each.value.function].id}"
  authorization_type = "NONE"
}
