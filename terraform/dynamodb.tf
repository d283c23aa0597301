# Single-table design: pk/sk on the base table, four GSIs sharing the range
# key gsisk.
resource "aws_dynamodb_table" "main" {
  #checkov:skip=CKV_AWS_119:SSE-KMS with the AWS managed key aws/dynamodb; a customer managed key adds cost and key-policy management with no extra protection for this data.
  name                        = local.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "gsi1pk"
    type = "S"
  }

  attribute {
    name = "gsi2pk"
    type = "S"
  }

  attribute {
    name = "gsi3pk"
    type = "S"
  }

  attribute {
    name = "gsi4pk"
    type = "S"
  }

  attribute {
    name = "gsisk"
    type = "S"
  }

  global_secondary_index {
    name            = "city-index"
    hash_key        = "gsi1pk"
    range_key       = "gsisk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "owner-index"
    hash_key        = "gsi2pk"
    range_key       = "gsisk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "feed-index"
    hash_key        = "gsi3pk"
    range_key       = "gsisk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "type-index"
    hash_key        = "gsi4pk"
    range_key       = "gsisk"
    projection_type = "ALL"
  }

  # Answers kept under an Idempotency-Key expire by themselves.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # enabled = true without kms_key_arn: SSE-KMS with aws/dynamodb.
  server_side_encryption {
    enabled = true
  }
}
