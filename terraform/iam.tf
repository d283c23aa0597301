# One execution role per function, least privilege:
# - logs: CreateLogStream/PutLogEvents on the function's own pre-created log
#   group only (no CreateLogGroup);
# - X-Ray: the AWS managed write-only policy (PutTraceSegments and
#   PutTelemetryRecords have no resource-level scoping anyway);
# - DynamoDB: see local.dynamodb_indexes; the authorizer gets none;
# - Secrets Manager: users only, on exactly the JWT signing-key secret.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  for_each = local.functions

  name               = "${local.name}-${each.key}"
  description        = "Execution role of the ${local.name} ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy_attachment" "xray" {
  for_each = local.functions

  role       = aws_iam_role.fn[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "logs" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.fn[each.key].arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  for_each = local.functions

  name   = "logs"
  role   = aws_iam_role.fn[each.key].id
  policy = data.aws_iam_policy_document.logs[each.key].json
}

data "aws_iam_policy_document" "dynamodb" {
  for_each = local.dynamodb_indexes

  statement {
    sid     = "TableAccess"
    actions = local.dynamodb_actions
    resources = concat(
      [aws_dynamodb_table.main.arn],
      [for index in each.value : "${aws_dynamodb_table.main.arn}/index/${index}"]
    )
  }
}

resource "aws_iam_role_policy" "dynamodb" {
  for_each = local.dynamodb_indexes

  name   = "dynamodb"
  role   = aws_iam_role.fn[each.key].id
  policy = data.aws_iam_policy_document.dynamodb[each.key].json
}

# The users function reads the Ed25519 private key at cold start. Only its
# role may, and only this one secret (plus kms:Decrypt through Secrets
# Manager when the secret is encrypted with a customer managed key).
data "aws_iam_policy_document" "jwt_signing_key" {
  statement {
    sid       = "ReadJwtSigningKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.jwt_private_key_secret_arn]
  }

  dynamic "statement" {
    for_each = var.jwt_secret_kms_key_arn == null ? [] : [var.jwt_secret_kms_key_arn]

    content {
      sid       = "DecryptJwtSigningKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${var.aws_region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "jwt_signing_key" {
  name   = "jwt-signing-key"
  role   = aws_iam_role.fn["users"].id
  policy = data.aws_iam_policy_document.jwt_signing_key.json
}
