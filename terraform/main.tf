provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      project     = "real-estate"
      environment = var.environment
      managed-by  = "terraform"
    })
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # Every name carries the environment so dev and prod live side by side.
  name = "real-estate-${var.environment}"

  artifacts_dir = coalesce(var.lambda_artifacts_dir, "${path.module}/../target/lambda")

  # Bucket names are global: the account and region make it unique (the
  # same name as template.yaml's MediaBucket).
  media_bucket = "${local.name}-media-${data.aws_caller_identity.current.account_id}-${var.aws_region}"

  # One Lambda per workspace binary. CPU is allocated in proportion to memory.
  functions = {
    # argon2id (m=19 MiB, t=2, p=1) on register and sign-in is CPU bound:
    # 1024 MB (~0.6 vCPU) keeps a hash well under 100 ms. 20 s timeout:
    # deleting an account purges its properties in batches; still below the
    # 30 s HTTP API integration limit, cold start included.
    users = {
      description = "Users, sign-up and token issuance (argon2id)"
      memory_size = 1024
      timeout     = 20
    }
    # I/O bound (DynamoDB, JSON); 10 s covers a delete that removes rooms.
    properties = {
      description = "Properties and property types"
      memory_size = 256
      timeout     = 10
    }
    rooms = {
      description = "Rooms of a property"
      memory_size = 256
      timeout     = 10
    }
    # One Ed25519 signature check per uncached request.
    authorizer = {
      description = "HTTP API Lambda authorizer (Ed25519 JWT, simple responses)"
      memory_size = 128
      timeout     = 3
    }
    # Invoked by S3 for each upload and by the table's stream (media.tf), not
    # by the API. Decoding a 40-megapixel photo takes ~160 MB, plus its
    # derivatives, and resizing is CPU bound: 1536 MB (~0.9 vCPU). 60 s
    # covers the largest upload decoded, resized and written.
    media = {
      description = "Photos and map clusters - resizes uploads, deletes removed photos' files, counts listings per map cell"
      memory_size = 1536
      timeout     = 60
    }
    # Invoked by the table's stream (the change feed's new items) and by the
    # delivery queue (webhooks.tf), not by the API. I/O bound: DynamoDB, SQS
    # and the endpoints' answers. A delivery waits 10 s at most for its
    # endpoint, and a batch holds up to 10: 30 s covers a few slow ones (the
    # delivery queue's visibility timeout is 6 times this).
    webhooks = {
      description = "Webhooks - fans the change feed out to subscribed endpoints, delivers signed webhooks"
      memory_size = 256
      timeout     = 30
    }
    # Invoked by the table's stream (the change feed's new items) and every
    # hour by an EventBridge Scheduler schedule (notifications.tf), not by
    # the API. I/O bound: DynamoDB and SES, as webhooks is.
    notifications = {
      description = "Alerts - matches the change feed against saved searches and favourites, sends notifications, e-mails and daily digests"
      memory_size = 256
      timeout     = 30
    }
  }

  # Functions behind API routes (the authorizer is invoked by API Gateway
  # as an authorizer, not through a route).
  http_functions = toset(["users", "properties", "rooms"])

  # The base of the links of the alert e-mails (a listing, unsubscribe):
  # public_base_url (a custom domain), else the API's own URL.
  public_base_url = coalesce(var.public_base_url, aws_apigatewayv2_api.this.api_endpoint)

  # Environment shared by every function. No secret here: the private key
  # stays in Secrets Manager, only its ARN is passed to users.
  common_env = {
    JWT_PUBLIC_KEY_PEM      = var.jwt_public_key_pem
    JWT_NEXT_PUBLIC_KEY_PEM = var.jwt_next_public_key_pem
    JWT_ISSUER              = var.jwt_issuer
    JWT_AUDIENCE            = var.jwt_audience
    RUST_LOG                = var.rust_log
  }

  function_env = {
    # WEBHOOK_QUEUE_URL: where re-enabling an endpoint queues its waiting
    # deliveries.
    users = {
      TABLE_NAME                 = aws_dynamodb_table.main.name
      JWT_PRIVATE_KEY_SECRET_ARN = var.jwt_private_key_secret_arn
      JWT_TTL_SECONDS            = tostring(var.jwt_ttl_seconds)
      WEBHOOK_QUEUE_URL          = aws_sqs_queue.webhook_deliveries.url
    }
    # Photos: the bucket its upload URLs point into, and the base of the
    # derivatives' public URLs (no trailing slash).
    properties = {
      TABLE_NAME     = aws_dynamodb_table.main.name
      MEDIA_BUCKET   = aws_s3_bucket.media.id
      MEDIA_BASE_URL = "https://${aws_cloudfront_distribution.media.domain_name}"
    }
    rooms = {
      TABLE_NAME = aws_dynamodb_table.main.name
    }
    authorizer = {}
    media = {
      TABLE_NAME   = aws_dynamodb_table.main.name
      MEDIA_BUCKET = aws_s3_bucket.media.id
    }
    webhooks = {
      TABLE_NAME        = aws_dynamodb_table.main.name
      WEBHOOK_QUEUE_URL = aws_sqs_queue.webhook_deliveries.url
    }
    # ALERTS_FROM_ADDRESS: the sender of the e-mails (a verified SES
    # identity's address); PUBLIC_BASE_URL: the base of their links.
    notifications = {
      TABLE_NAME          = aws_dynamodb_table.main.name
      ALERTS_FROM_ADDRESS = var.alerts_from_address
      PUBLIC_BASE_URL     = local.public_base_url
    }
  }

  # API routes. auth = true: the Lambda authorizer must allow the request;
  # public routes have no authorizer. "$default" catches unknown routes so
  # they get the application's problem+json 404, not API Gateway's.
  routes = [
    { method = "GET", path = "/health", function = "users", auth = false },
    { method = "GET", path = "/openapi.json", function = "users", auth = false },
    { method = "POST", path = "/users", function = "users", auth = false },
    { method = "POST", path = "/auth/token", function = "users", auth = false },
    { method = "POST", path = "/auth/refresh", function = "users", auth = false },
    { method = "POST", path = "/auth/sign-out", function = "users", auth = false },
    { method = "GET", path = "/users/{id}", function = "users", auth = false },
    { method = "GET", path = "/users/me", function = "users", auth = true },
    { method = "PATCH", path = "/users/me", function = "users", auth = true },
    { method = "PUT", path = "/users/me/password", function = "users", auth = true },
    { method = "DELETE", path = "/users/me", function = "users", auth = true },
    { method = "DELETE", path = "/users/me/sessions", function = "users", auth = true },
    { method = "POST", path = "/webhooks", function = "users", auth = true },
    { method = "GET", path = "/webhooks", function = "users", auth = true },
    { method = "GET", path = "/webhooks/{id}", function = "users", auth = true },
    { method = "PATCH", path = "/webhooks/{id}", function = "users", auth = true },
    { method = "DELETE", path = "/webhooks/{id}", function = "users", auth = true },
    { method = "POST", path = "/webhooks/{id}/rotate-secret", function = "users", auth = true },
    { method = "POST", path = "/webhooks/{id}/test", function = "users", auth = true },
    { method = "GET", path = "/webhooks/{id}/deliveries", function = "users", auth = true },
    { method = "GET", path = "/users/me/saved-searches", function = "users", auth = true },
    { method = "POST", path = "/users/me/saved-searches", function = "users", auth = true },
    { method = "GET", path = "/users/me/saved-searches/{id}", function = "users", auth = true },
    { method = "PATCH", path = "/users/me/saved-searches/{id}", function = "users", auth = true },
    { method = "DELETE", path = "/users/me/saved-searches/{id}", function = "users", auth = true },
    { method = "GET", path = "/users/me/notifications", function = "users", auth = true },
    { method = "POST", path = "/users/me/notifications/read", function = "users", auth = true },
    # An e-mail's unsubscribe link: its ?token= is the credential.
    { method = "GET", path = "/unsubscribe", function = "users", auth = false },
    { method = "POST", path = "/unsubscribe", function = "users", auth = false },
    { method = "GET", path = "/property-types", function = "properties", auth = false },
    { method = "GET", path = "/properties", function = "properties", auth = false },
    { method = "GET", path = "/properties/clusters", function = "properties", auth = false },
    { method = "POST", path = "/properties", function = "properties", auth = true },
    { method = "GET", path = "/properties/{id}", function = "properties", auth = false },
    { method = "GET", path = "/properties/{id}/price-history", function = "properties", auth = false },
    { method = "GET", path = "/properties/{id}/photos", function = "properties", auth = false },
    { method = "GET", path = "/properties/{id}/photos/{photo_id}", function = "properties", auth = false },
    { method = "POST", path = "/properties/{id}/photos", function = "properties", auth = true },
    { method = "PATCH", path = "/properties/{id}/photos/{photo_id}", function = "properties", auth = true },
    { method = "DELETE", path = "/properties/{id}/photos/{photo_id}", function = "properties", auth = true },
    { method = "PATCH", path = "/properties/{id}", function = "properties", auth = true },
    { method = "DELETE", path = "/properties/{id}", function = "properties", auth = true },
    { method = "GET", path = "/users/me/properties", function = "properties", auth = true },
    { method = "GET", path = "/changes", function = "properties", auth = false },
    { method = "GET", path = "/changes/snapshot", function = "properties", auth = false },
    { method = "GET", path = "/users/me/favourites", function = "properties", auth = true },
    { method = "PUT", path = "/users/me/favourites/{property_id}", function = "properties", auth = true },
    { method = "DELETE", path = "/users/me/favourites/{property_id}", function = "properties", auth = true },
    { method = "GET", path = "/users/me/saved-searches/{id}/results", function = "properties", auth = true },
    { method = "GET", path = "/properties/{id}/rooms", function = "rooms", auth = false },
    { method = "GET", path = "/properties/{id}/rooms/{room_id}", function = "rooms", auth = false },
    { method = "POST", path = "/properties/{id}/rooms", function = "rooms", auth = true },
    { method = "PATCH", path = "/properties/{id}/rooms/{room_id}", function = "rooms", auth = true },
    { method = "DELETE", path = "/properties/{id}/rooms/{room_id}", function = "rooms", auth = true },
    { method = "ANY", path = "$default", function = "users", auth = false },
  ]

  # Route key => route; "$default" is a route key on its own (no method).
  routes_by_key = {
    for r in local.routes : (r.path == "$default" ? r.path : "${r.method} ${r.path}") => r
  }
}
