# Artifacts come from `make build`
# (cargo lambda build --release --arm64 --output-format zip):
# target/lambda/<function>/bootstrap.zip.
locals {
  artifacts = { for fn in keys(local.functions) : fn => "${local.artifacts_dir}/${fn}/bootstrap.zip" }
}

resource "aws_lambda_function" "fn" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_116:The API functions are invoked synchronously by API Gateway, and webhooks by its two event source mappings, where a dead-letter queue would never receive anything (webhooks' failures are kept by the stream mapping's on-failure destination and the delivery queue's redrive policy); media, invoked asynchronously by S3, has one (dead_letter_config below: the failure queue); notifications keeps its failures in its dead-letter queue through its stream mapping's on-failure destination and, for the schedule's asynchronous invocations, an on-failure destination (aws_lambda_function_event_invoke_config.notifications), which records the error with the event.
  #checkov:skip=CKV_AWS_115:Load is capped by the HTTP API stage throttling (burst/rate variables), media's too (one invocation per upload, each upload needs a URL from the API; the stream is read one batch per shard at a time), webhooks' by the feed (one stream batch per shard at a time) and the delivery queue's pollers, and notifications' by the feed and its hourly schedule; reserving concurrency fails on accounts with the default low concurrency quota and takes capacity from other workloads.
  #checkov:skip=CKV_AWS_117:Only DynamoDB, S3, SQS, SES and Secrets Manager are called, over HTTPS with IAM auth, and by webhooks the subscribers' public HTTPS endpoints; a VPC would need NAT or interface endpoints (fixed monthly cost) and add cold-start latency for no private resource.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (public key, table and bucket names, queue URLs, the secret's ARN, the alerts' sender address and the API's URL) and are encrypted at rest with the Lambda service key.
  #checkov:skip=CKV_AWS_272:Code is built from this repository by make/CI and deployed by principals allowed to update it; no AWS Signer profile is set up for this project.
  function_name = "${local.name}-${each.key}"
  description   = each.value.description
  role          = aws_iam_role.fn[each.key].arn
  runtime       = "provided.al2023"
  architectures = [var.architecture]
  handler       = "bootstrap"
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout

  filename = local.artifacts[each.key]
  # try(): `terraform destroy` must not need a build; the precondition
  # below still stops a plan that would deploy a missing artifact.
  source_code_hash = try(filebase64sha256(local.artifacts[each.key]), null)

  environment {
    variables = merge(local.common_env, local.function_env[each.key])
  }

  # JSON log format; the functions themselves write JSON lines on Lambda
  # (lib/src/telemetry.rs).
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.fn[each.key].name
  }

  tracing_config {
    mode = "Active"
  }

  # Media only: an upload whose asynchronous invocation still fails after
  # Lambda's two retries is kept in the failure queue (with the error), not
  # dropped.
  dynamic "dead_letter_config" {
    for_each = each.key == "media" ? [aws_sqs_queue.media_failures.arn] : []

    content {
      target_arn = dead_letter_config.value
    }
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.artifacts[each.key])
      error_message = "Missing ${local.artifacts[each.key]}: run `make build` first."
    }
  }

  depends_on = [
    aws_iam_role_policy.logs,
    aws_iam_role_policy_attachment.xray,
    # Lambda checks that the role may send to the dead-letter queue.
    aws_iam_role_policy.media_failures,
  ]
}
