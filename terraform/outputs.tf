output "api_url" {
  description = "Base URL of the HTTP API (\"$default\" stage, no trailing slash)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "table_name" {
  description = "DynamoDB table name."
  value       = aws_dynamodb_table.main.name
}

output "function_names" {
  description = "Lambda function names, by function."
  value       = { for fn, f in aws_lambda_function.fn : fn => f.function_name }
}

output "api_access_log_group" {
  description = "CloudWatch log group of the API access logs."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "media_base_url" {
  description = "Base URL of the photo derivatives (CloudFront, no trailing slash)."
  value       = "https://${aws_cloudfront_distribution.media.domain_name}"
}

output "media_bucket" {
  description = "S3 bucket of the photos (uploads and derivatives)."
  value       = aws_s3_bucket.media.id
}
