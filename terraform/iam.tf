# One execution role per function, least privilege:
# - logs: CreateLogStream/PutLogEvents on the function's own pre-created log
#   group only (no CreateLogGroup);
# - X-Ray: the AWS managed write-only policy (PutTraceSegments and
#   PutTelemetryRecords have no resource-level scoping anyway);
# - DynamoDB: least privilege by key, see local.dynamodb_statements below; the
#   authorizer gets none;
# - Secrets Manager: users only, on exactly the JWT signing-key secret;
# - S3: properties (PutObject under uploads/, which the upload URLs it
#   presigns carry) and media only, each on the media bucket's prefixes it
#   uses; media also reads the table's stream and writes to its failure
#   queue (lib/tests/api/infrastructure.rs holds both stacks to that);
# - webhooks reads the table's stream too, and uses the webhook delivery
#   queue (send, and its event source mapping's receive and delete) and
#   sends to its dead-letter queue (the stream mapping's failures);
# - notifications reads the table's stream too, sends to its dead-letter
#   queue (the stream mapping's failures, and the digest runs that kept
#   failing) and sends e-mail with SES from var.alerts_from_address only.
#   The role its schedule invokes it with is in notifications.tf.

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

locals {
  # Least privilege by key, the same statements as template.yaml: each grants
  # only the actions a function calls, on one resource (index = null: the
  # table; else that index), and only on the partitions it touches:
  # ForAllValues:StringLike on dynamodb:LeadingKeys, the partition key value of
  # the item, or of the index for a Query on an index (the prefixes of
  # lib/src/store/dynamodb/schema.rs). TransactWriteItems is authorised item
  # by item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem). No Scan,
  # and no batch action but BatchGetItem (properties: the listings of a
  # user's favourites), which IAM authorises item by item too, each
  # requested key's partition tested against LeadingKeys: every granted
  # action names its partitions. The authorizer is absent: no DynamoDB access
  # at all. lib/tests/api/permissions.rs holds these to the calls each
  # function makes; one action and one pattern per line.
  dynamodb_statements = {
    # Accounts and credentials (user and email-claim items), the sessions in
    # each user's partition, the attempt counters, the account deletion that
    # purges the user's properties and their rooms (Query owner-index, read
    # each property collection, delete its items) and the answers kept for
    # the account, the answers kept under a registration's Idempotency-Key,
    # the caller's webhook endpoints (their items and delivery records,
    # WEBHOOK#) and their subscriptions by city (HOOKS#), the caller's saved
    # searches (SEARCHES#) and the alert subscriptions they index (ALERTS#),
    # the caller's notifications (INBOX#), and, for the account deletion, the
    # caller's favourites (FAVOURITES#, FAVOURED#) and what they were
    # notified of (NOTIFIED#).
    users = [
      {
        sid   = "UserAndEmailItems"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "USER#*",
          "EMAIL#*",
        ]
      },
      {
        sid   = "UpdateUserItems"
        index = null
        actions = [
          "dynamodb:UpdateItem",
        ]
        leading_keys = [
          "USER#*",
        ]
      },
      {
        sid   = "PurgePropertyCollections"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "PROPERTY#*",
        ]
      },
      {
        sid   = "FindOwnedProperties"
        index = "owner-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "OWNER#*",
        ]
      },
      {
        sid   = "UserPartitions"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:ConditionCheckItem",
        ]
        leading_keys = [
          "USER#*",
        ]
      },
      {
        sid   = "AttemptCounters"
        index = null
        actions = [
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "ATTEMPTS#*",
        ]
      },
      {
        sid   = "KeptAnswers"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "KEPT#EMAIL#*",
        ]
      },
      {
        sid   = "PurgeKeptAnswers"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "KEPT#EMAIL#*",
          "KEPT#USER#*",
        ]
      },
      {
        sid   = "WebhookEndpoints"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "HOOKS#USER#*",
        ]
      },
      {
        sid   = "WebhookSubscriptions"
        index = null
        actions = [
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "HOOKS#CITY#*",
          "HOOKS#ALL",
        ]
      },
      {
        sid   = "WebhookDeliveries"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "WEBHOOK#*",
        ]
      },
      {
        sid   = "ChangeFeed"
        index = null
        actions = [
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "CHANGES#*",
        ]
      },
      {
        sid   = "SavedSearches"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "SEARCHES#*",
        ]
      },
      {
        sid   = "AlertSubscriptions"
        index = null
        actions = [
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "ALERTS#*",
        ]
      },
      {
        sid   = "Notifications"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:GetItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "INBOX#*",
        ]
      },
      {
        # Account deletion: the caller's favourites, and their entries under
        # each listing.
        sid   = "PurgeFavourites"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "FAVOURITES#*",
        ]
      },
      {
        sid   = "PurgeFavouredBy"
        index = null
        actions = [
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "FAVOURED#*",
        ]
      },
      {
        sid   = "PurgeNotified"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "NOTIFIED#*",
        ]
      },
    ]
    # The property collections (property, room and price history items), the
    # check that the owner's user item exists when publishing, the answers
    # kept under an Idempotency-Key, one pattern per listing index, the map
    # clusters' counters (on the table, which the media function keeps from
    # the stream), the change feed's items (on the table: CHANGES#<shard>,
    # not the feed-index's partitions), the caller's favourites (FAVOURITES#)
    # and their entries under each listing (FAVOURED#), the favourite
    # listings read in batches, and a saved search's filter (SEARCHES#) for
    # its results.
    properties = [
      {
        sid   = "PropertyCollections"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "PROPERTY#*",
        ]
      },
      {
        sid   = "CheckOwnerExists"
        index = null
        actions = [
          "dynamodb:ConditionCheckItem",
        ]
        leading_keys = [
          "USER#*",
        ]
      },
      {
        sid   = "KeptAnswers"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "KEPT#USER#*",
        ]
      },
      {
        sid   = "ListByCity"
        index = "city-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "CITY#*",
        ]
      },
      {
        sid   = "ListByOwner"
        index = "owner-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "OWNER#*",
        ]
      },
      {
        sid   = "ListFeed"
        index = "feed-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "FEED#*",
        ]
      },
      {
        sid   = "ListByType"
        index = "type-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "TYPE#*",
        ]
      },
      {
        sid   = "ListByCityPrice"
        index = "city-price-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "CITY#*",
        ]
      },
      {
        sid   = "ListByCityArea"
        index = "city-area-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "CITY#*",
        ]
      },
      {
        sid   = "ListByGeo"
        index = "geo-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "GEO#*",
        ]
      },
      {
        sid   = "ListByGeoPrice"
        index = "geo-price-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "GEO#*",
        ]
      },
      {
        sid   = "ListByGeoCell"
        index = "geo-cell-index"
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "GEO#*",
        ]
      },
      {
        sid   = "ListClusters"
        index = null
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "CLUSTERS#*",
        ]
      },
      {
        sid   = "ChangeFeed"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "CHANGES#*",
        ]
      },
      {
        sid   = "Favourites"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "FAVOURITES#*",
        ]
      },
      {
        sid   = "FavouredBy"
        index = null
        actions = [
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "FAVOURED#*",
        ]
      },
      {
        # The listings of a page of favourites, in one BatchGetItem: IAM
        # tests each requested key's partition.
        sid   = "FavouriteListings"
        index = null
        actions = [
          "dynamodb:BatchGetItem",
        ]
        leading_keys = [
          "PROPERTY#*",
        ]
      },
      {
        sid   = "SavedSearchFilters"
        index = null
        actions = [
          "dynamodb:GetItem",
        ]
        leading_keys = [
          "SEARCHES#*",
        ]
      },
    ]
    # Rooms live in their property's collection (base table only); plus the
    # answers kept under an Idempotency-Key, and the check that a refused
    # caller's account still exists (a deleted one gets 401).
    rooms = [
      {
        sid   = "PropertyCollections"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "PROPERTY#*",
        ]
      },
      {
        sid   = "KeptAnswers"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "KEPT#USER#*",
        ]
      },
      {
        sid   = "CheckCallerExists"
        index = null
        actions = [
          "dynamodb:ConditionCheckItem",
        ]
        leading_keys = [
          "USER#*",
        ]
      },
      {
        sid   = "ChangeFeed"
        index = null
        actions = [
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "CHANGES#*",
        ]
      },
    ]
    # Reads a photo's property item, records the processing's outcome by
    # rewriting that item under the owner's condition (a TransactWriteItems,
    # authorised item by item: its Put), and, when that write is refused,
    # checks that the owner's account still exists. For each property record
    # of the stream, it moves the listing in the map clusters: reads the
    # listing's CLUSTERED item (consistent read), then one TransactWriteItems,
    # authorised item by item: the Put of that item and the Updates of the
    # cluster counters.
    media = [
      {
        # The listing (its collection), then the photo's outcome put on the
        # property item under the owner's condition.
        sid   = "PropertyItems"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
        ]
        leading_keys = [
          "PROPERTY#*",
        ]
      },
      {
        # What the clusters last counted for a listing: read, then put under
        # the condition that it is still as read.
        sid   = "ClusteredRecords"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "CLUSTERED#*",
        ]
      },
      {
        # The cluster counters the change moves the listing between.
        sid   = "ClusterCounters"
        index = null
        actions = [
          "dynamodb:UpdateItem",
        ]
        leading_keys = [
          "CLUSTERS#*",
        ]
      },
      {
        sid   = "ChangeFeed"
        index = null
        actions = [
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "CHANGES#*",
        ]
      },
    ]
    # The change feed's items come from the table's stream; for each, the
    # endpoints subscribed to its city and type get a delivery on the
    # delivery queue, which the same function consumes (one signed POST per
    # message). Its items: the endpoints and their subscriptions by city (HOOKS#),
    # the deliveries waiting and their log (WEBHOOK#); the feed's changes
    # come from the stream.
    webhooks = [
      {
        sid   = "Subscriptions"
        index = null
        actions = [
          "dynamodb:Query",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "HOOKS#CITY#*",
          "HOOKS#ALL",
        ]
      },
      {
        sid   = "Endpoints"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "HOOKS#USER#*",
        ]
      },
      {
        sid   = "Deliveries"
        index = null
        actions = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "WEBHOOK#*",
        ]
      },
    ]
    # The change feed's new items come from the table's stream; each is
    # matched against the alert subscriptions of saved searches (ALERTS#)
    # and the favourites of its listing (FAVOURED#); a match becomes a
    # notification in the user's inbox (INBOX#), recorded once per user,
    # listing and event (NOTIFIED#), and an e-mail (SES, to the address of
    # the user's item, USER#), or held for a daily digest (DIGEST#, due in
    # DIGESTS#), which the hourly run sends (reading its search, SEARCHES#).
    notifications = [
      {
        sid   = "AlertSubscriptions"
        index = null
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "ALERTS#*",
        ]
      },
      {
        sid   = "FavouredBy"
        index = null
        actions = [
          "dynamodb:Query",
        ]
        leading_keys = [
          "FAVOURED#*",
        ]
      },
      {
        sid   = "Notifications"
        index = null
        actions = [
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "INBOX#*",
        ]
      },
      {
        sid   = "Notified"
        index = null
        actions = [
          "dynamodb:PutItem",
        ]
        leading_keys = [
          "NOTIFIED#*",
        ]
      },
      {
        sid   = "Recipients"
        index = null
        actions = [
          "dynamodb:GetItem",
        ]
        leading_keys = [
          "USER#*",
        ]
      },
      {
        sid   = "Digests"
        index = null
        actions = [
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:DeleteItem",
        ]
        leading_keys = [
          "DIGEST#*",
          "DIGESTS#*",
        ]
      },
      {
        sid   = "DigestSearches"
        index = null
        actions = [
          "dynamodb:GetItem",
        ]
        leading_keys = [
          "SEARCHES#*",
        ]
      },
    ]
  }
}

data "aws_iam_policy_document" "dynamodb" {
  for_each = local.dynamodb_statements

  dynamic "statement" {
    for_each = each.value

    content {
      sid     = statement.value.sid
      actions = statement.value.actions
      resources = [
        statement.value.index == null
        ? aws_dynamodb_table.main.arn
        : "${aws_dynamodb_table.main.arn}/index/${statement.value.index}"
      ]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = statement.value.leading_keys
      }
    }
  }
}

resource "aws_iam_role_policy" "dynamodb" {
  for_each = local.dynamodb_statements

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

# The upload URLs the properties function presigns carry its credentials:
# PutObject under uploads/ only, so an upload can never land on a derivative.
data "aws_iam_policy_document" "photo_uploads" {
  statement {
    sid       = "PresignedUploads"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.media.arn}/uploads/*"]
  }
}

resource "aws_iam_role_policy" "photo_uploads" {
  name   = "photo-uploads"
  role   = aws_iam_role.fn["properties"].id
  policy = data.aws_iam_policy_document.photo_uploads.json
}

# The media, webhooks and notifications functions' event source mappings
# poll the table's stream with their roles. ListStreams takes no single stream: the table's
# streams.
data "aws_iam_policy_document" "table_stream" {
  statement {
    sid = "ReadTableStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]
    resources = [aws_dynamodb_table.main.stream_arn]
  }

  statement {
    sid       = "ListTableStreams"
    actions   = ["dynamodb:ListStreams"]
    resources = ["${aws_dynamodb_table.main.arn}/stream/*"]
  }
}

resource "aws_iam_role_policy" "media_stream" {
  name   = "dynamodb-stream"
  role   = aws_iam_role.fn["media"].id
  policy = data.aws_iam_policy_document.table_stream.json
}

resource "aws_iam_role_policy" "webhooks_stream" {
  name   = "dynamodb-stream"
  role   = aws_iam_role.fn["webhooks"].id
  policy = data.aws_iam_policy_document.table_stream.json
}

resource "aws_iam_role_policy" "notifications_stream" {
  name   = "dynamodb-stream"
  role   = aws_iam_role.fn["notifications"].id
  policy = data.aws_iam_policy_document.table_stream.json
}

# Uploads are read then deleted; derivatives written, and deleted with their
# photo. Listing (to delete a photo's files by prefix) is limited to those
# two prefixes.
data "aws_iam_policy_document" "media_files" {
  statement {
    sid = "ReadAndDeleteUploads"
    actions = [
      "s3:GetObject",
      "s3:DeleteObject",
    ]
    resources = ["${aws_s3_bucket.media.arn}/uploads/*"]
  }

  statement {
    sid = "WriteAndDeleteDerivatives"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
    ]
    resources = ["${aws_s3_bucket.media.arn}/photos/*"]
  }

  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["uploads/*", "photos/*"]
    }
  }
}

resource "aws_iam_role_policy" "media_files" {
  name   = "media-files"
  role   = aws_iam_role.fn["media"].id
  policy = data.aws_iam_policy_document.media_files.json
}

# The stream records the mapping gives up on, and the uploads whose
# asynchronous invocation kept failing, are kept in the failure queue.
data "aws_iam_policy_document" "media_failures" {
  statement {
    sid       = "KeepFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.media_failures.arn]
  }
}

resource "aws_iam_role_policy" "media_failures" {
  name   = "failure-queue"
  role   = aws_iam_role.fn["media"].id
  policy = data.aws_iam_policy_document.media_failures.json
}

# The delivery queue: the webhooks function sends to it (fan-out, retries
# later); its event source mapping receives and deletes with this role.
# The dead-letter queue only receives the stream batches the feed's mapping
# gave up on (the delivery queue's redrive is SQS's own, no grant needed).
data "aws_iam_policy_document" "webhook_queues" {
  statement {
    sid = "DeliverWebhooks"
    actions = [
      "sqs:SendMessage",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.webhook_deliveries.arn]
  }

  statement {
    sid       = "KeepFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_dead_letters.arn]
  }
}

resource "aws_iam_role_policy" "webhook_queues" {
  name   = "webhook-queues"
  role   = aws_iam_role.fn["webhooks"].id
  policy = data.aws_iam_policy_document.webhook_queues.json
}

# Re-enabling an endpoint queues its waiting deliveries again.
data "aws_iam_policy_document" "webhook_requeue" {
  statement {
    sid       = "RequeueDeliveries"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_deliveries.arn]
  }
}

resource "aws_iam_role_policy" "webhook_requeue" {
  name   = "webhook-queue"
  role   = aws_iam_role.fn["users"].id
  policy = data.aws_iam_policy_document.webhook_requeue.json
}

# What the notifications function gave up on: the stream batches its
# mapping gave up on, and the digest runs whose asynchronous invocation kept
# failing.
data "aws_iam_policy_document" "notification_dead_letters" {
  statement {
    sid       = "KeepFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.notification_dead_letters.arn]
  }
}

resource "aws_iam_role_policy" "notification_dead_letters" {
  name   = "notification-dead-letters"
  role   = aws_iam_role.fn["notifications"].id
  policy = data.aws_iam_policy_document.notification_dead_letters.json
}

# The alert e-mails and digests, from the one sender address only. Any
# identity of the account and region: SES authorises the sender's identity
# (its address, or its domain, whichever is verified) and, while the
# account is in the SES sandbox, each recipient's too.
data "aws_iam_policy_document" "alert_emails" {
  statement {
    sid       = "SendAlertEmails"
    actions   = ["ses:SendEmail"]
    resources = ["arn:${data.aws_partition.current.partition}:ses:${var.aws_region}:${data.aws_caller_identity.current.account_id}:identity/*"]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.alerts_from_address]
    }
  }
}

resource "aws_iam_role_policy" "alert_emails" {
  name   = "alert-emails"
  role   = aws_iam_role.fn["notifications"].id
  policy = data.aws_iam_policy_document.alert_emails.json
}
