# Photos. Browsers upload to uploads/<property id>/<photo id> with the URLs
# the properties function presigns; S3 then invokes the media function,
# which writes the derivatives to photos/<property id>/<photo id>/<width>.jpg
# (a new key per photo, never overwritten: immutable URLs), served by
# CloudFront. The media function also reads the table's stream, to delete
# the files of the photos a change of a property item removed, and to count
# each listing's changes in the map clusters. Nothing in the bucket is
# public: only CloudFront may read, and only under photos/.
# The same resources, with the same names, as template.yaml.

# force_destroy stays false: a bucket that still holds photos is not
# deleted, `terraform destroy` stops there until it is emptied
# (docs/deploy.md, teardown).
resource "aws_s3_bucket" "media" {
  #checkov:skip=CKV_AWS_18:No server access logs: they need a second bucket, for a bucket that only CloudFront reads and only the presigned URLs the API issues (logged by the properties function) and the media function (logged) write to.
  #checkov:skip=CKV_AWS_21:Versioning off on purpose: a deleted photo (and every photo of a deleted property or account) must really be gone, not kept as a noncurrent version. Derivatives are never overwritten (a new key per photo), so versioning would protect nothing else.
  #checkov:skip=CKV_AWS_144:No cross-region replication: it needs versioning, which is off so that deleted photos are gone; a lost derivative can be made again from a new upload.
  #checkov:skip=CKV_AWS_145:SSE-S3, not SSE-KMS: CloudFront's origin access control can only read KMS-encrypted objects through a customer managed key whose key policy lets the distribution decrypt (a monthly fee and a key policy to keep), and the derivatives are public through CloudFront anyway.
  bucket = local.media_bucket
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  # SSE-S3: see CKV_AWS_145 on the bucket.
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# No ACLs: every object belongs to the bucket owner.
resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Browsers PUT uploads straight to the bucket, from the same origins the API
# allows; the presigned URL carries the signature in its query string, so
# content-type is the only header to allow. No origins: no CORS rule.
resource "aws_s3_bucket_cors_configuration" "media" {
  count = length(var.cors_allow_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.media.id

  cors_rule {
    allowed_origins = var.cors_allow_origins
    allowed_methods = ["PUT"]
    allowed_headers = ["content-type"]
    max_age_seconds = 600
  }
}

# An upload is deleted once processed; one never processed (abandoned, or
# refused) expires. So do multipart uploads never completed.
resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    id     = "expire-uploads"
    status = "Enabled"

    filter {
      prefix = "uploads/"
    }

    expiration {
      days = 1
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    # Empty filter: the whole bucket.
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "media_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.media.arn,
      "${aws_s3_bucket.media.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CloudFrontReadsDerivatives"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/photos/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.media.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = data.aws_iam_policy_document.media_bucket.json

  # S3 refuses a policy the public access block would call public while the
  # block is being put: put the block first.
  depends_on = [aws_s3_bucket_public_access_block.media]
}

# ----------------------------------------------------------------- CloudFront

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "${local.name}-media"
  description                       = "CloudFront signs its requests to the ${local.name} media bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# AWS managed policies, by their fixed ids (the same as template.yaml's):
# CachingOptimized (no cookie, header or query string in the cache key; the
# derivatives' Cache-Control keeps them a year) and SecurityHeadersPolicy
# (HSTS, nosniff, frame options, referrer policy). Read as data sources so a
# plan fails on a wrong id.
data "aws_cloudfront_cache_policy" "caching_optimized" {
  id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
}

data "aws_cloudfront_response_headers_policy" "security_headers" {
  id = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

resource "aws_cloudfront_distribution" "media" {
  #checkov:skip=CKV_AWS_68:No WAF web ACL: the distribution only answers GET and HEAD for immutable, cached images, with no query string or cookie reaching the origin; a web ACL costs a monthly fee plus per request for nothing to inspect. Shield Standard applies anyway.
  #checkov:skip=CKV_AWS_86:No access logs: they need a log bucket with ACLs enabled (which the media bucket's BucketOwnerEnforced forbids) or a paid log delivery, for public images; CloudFront's CloudWatch metrics show the traffic.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate is used (no custom domain), with which the minimum viewer TLS version cannot be set; with a custom domain and an ACM certificate, set TLSv1.2_2021.
  #checkov:skip=CKV_AWS_305:No root object: the distribution serves derivatives by key only; a request for / is refused by the bucket (CloudFront may read photos/ only).
  #checkov:skip=CKV_AWS_310:One origin, no failover: a second bucket would need replication, which needs versioning, which is off so that deleted photos are gone.
  #checkov:skip=CKV_AWS_374:Listings are public and may be viewed from anywhere; no law or licence restricts where the photos are served.
  #checkov:skip=CKV2_AWS_42:No custom domain: the default *.cloudfront.net certificate serves HTTPS (viewers are redirected to it).
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68): the Log4j rule set protects Java origins; the origin is S3.
  comment         = "${local.name} photos"
  enabled         = true
  http_version    = "http2and3"
  is_ipv6_enabled = true
  # North America and Europe edges: the cheapest class.
  price_class = "PriceClass_100"

  # An origin access control, no legacy origin access identity (no
  # s3_origin_config block).
  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  default_cache_behavior {
    target_origin_id           = "media"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# --------------------------------------------------------- the media function

# Where the media function's failures wait to be looked at (and replayed):
# the stream records it gave up on, and the uploads whose invocation kept
# failing. 14 days, the longest SQS keeps a message.
resource "aws_sqs_queue" "media_failures" {
  name                      = "${local.name}-media-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_permission" "media_uploads" {
  statement_id   = "AllowS3InvokeOnUpload"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.fn["media"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.media.arn
  source_account = data.aws_caller_identity.current.account_id
}

# Each upload invokes the media function (asynchronously).
resource "aws_s3_bucket_notification" "media" {
  bucket = aws_s3_bucket.media.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.fn["media"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "uploads/"
  }

  # S3 checks that it may invoke the function when the notification is put.
  depends_on = [aws_lambda_permission.media_uploads]
}

resource "aws_lambda_event_source_mapping" "media_property_changes" {
  event_source_arn  = aws_dynamodb_table.main.stream_arn
  function_name     = aws_lambda_function.fn["media"].arn
  starting_position = "LATEST"
  batch_size        = 10

  # Only the property items' records (sort key PROPERTY): their insertions
  # (a new listing is counted in the map clusters), changes and removals
  # (which also drop photos). No other item can drop a photo or move a
  # listing (the clusters' own writes are filtered out too), and
  # filtered-out records cost no invocation.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT", "MODIFY", "REMOVE"]
        dynamodb  = { Keys = { sk = { S = ["PROPERTY"] } } }
      })
    }
  }

  # A failing record is isolated by halving the batch, retried a bounded
  # number of times, and given up on well within the stream's 24 h
  # retention; then its batch's description goes to the failure queue
  # rather than being dropped.
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 5
  maximum_record_age_in_seconds  = 21600

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.media_failures.arn
    }
  }

  # The mapping is checked against the role's stream and queue permissions
  # when it is created.
  depends_on = [
    aws_iam_role_policy.media_stream,
    aws_iam_role_policy.media_failures,
  ]
}
