# Alerts: the table's stream gives the notifications function the change
# feed's new items (partition CHANGES#<shard>), which it matches against the
# saved searches' alert subscriptions and the listings' favourites: a
# notification in the inbox, an e-mail now (SES) or a line of a daily
# digest. An EventBridge Scheduler schedule invokes it every hour to send
# the digests that are due. What it keeps failing waits in the dead-letter
# queue, and an alarm says so (docs/deploy.md#alerts-and-e-mails).
# The same resources, with the same names, as template.yaml.

# Where what the notifications function kept failing waits to be looked at:
# the descriptions of the stream batches of feed items its mapping gave up
# on, and the digest runs whose asynchronous invocation kept failing. 14
# days, the longest SQS keeps a message.
resource "aws_sqs_queue" "notification_dead_letters" {
  name                      = "${local.name}-notification-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Anything in the dead-letter queue is a batch of the feed, or a digest run,
# that was given up on: alarm as soon as one is there, as for the webhooks'.
# No data (the queue idle and empty) is fine. No action: subscribe to the
# alarm's state changes where your account's alarms go (docs/deploy.md).
resource "aws_cloudwatch_metric_alarm" "notification_dead_letters" {
  alarm_name          = "${local.name}-notification-dead-letters"
  alarm_description   = "Change-feed batches or digest runs of the notifications function were given up on and wait in ${aws_sqs_queue.notification_dead_letters.name}: see docs/deploy.md, alerts and e-mails."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  dimensions = {
    QueueName = aws_sqs_queue.notification_dead_letters.name
  }
}

resource "aws_lambda_event_source_mapping" "notifications_feed_items" {
  event_source_arn  = aws_dynamodb_table.main.stream_arn
  function_name     = aws_lambda_function.fn["notifications"].arn
  starting_position = "LATEST"
  batch_size        = 10

  # Only the change feed's new items (partition CHANGES#<shard>), as for
  # webhooks: every other record is dropped by the filter, at no invocation.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT"]
        dynamodb  = { Keys = { pk = { S = [{ prefix = "CHANGES#" }] } } }
      })
    }
  }

  # The function names the records it failed; the batch is retried from the
  # first of them, halved when it keeps failing, a bounded number of times
  # and well within the stream's 24 h retention; then its description goes
  # to the dead-letter queue.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 5
  maximum_record_age_in_seconds  = 21600

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.notification_dead_letters.arn
    }
  }

  # The mapping is checked against the role's stream and queue permissions
  # when it is created.
  depends_on = [
    aws_iam_role_policy.notifications_stream,
    aws_iam_role_policy.notification_dead_letters,
  ]
}

# The schedule's invocations are asynchronous: retried twice, never past the
# next run's hour, then kept in the dead-letter queue with their error.
resource "aws_lambda_function_event_invoke_config" "notifications" {
  function_name                = aws_lambda_function.fn["notifications"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.notification_dead_letters.arn
    }
  }

  # Lambda checks that the role may send to the destination.
  depends_on = [aws_iam_role_policy.notification_dead_letters]
}

# EventBridge Scheduler, every hour: the daily digests due at that hour in
# their time zones. It invokes the function with a role of its own, which
# may invoke this function only (SAM makes the same role for template.yaml's
# ScheduleV2 event).
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    sid     = "SchedulerAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # Only schedules of this account.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "notification_digests_schedule" {
  name               = "${local.name}-notification-digests-schedule"
  description        = "Role the ${local.name} notification digests schedule invokes the notifications function with"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "invoke_notifications" {
  statement {
    sid       = "InvokeNotifications"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.fn["notifications"].arn]
  }
}

# A policy of its own, attached (not an aws_iam_role_policy: those are the
# functions' execution roles' policies, which lib/tests/api reads).
resource "aws_iam_policy" "invoke_notifications" {
  name        = "${local.name}-invoke-notifications"
  description = "Invoke the ${local.name} notifications function only (its digests schedule)"
  policy      = data.aws_iam_policy_document.invoke_notifications.json
}

resource "aws_iam_role_policy_attachment" "notification_digests_schedule" {
  role       = aws_iam_role.notification_digests_schedule.name
  policy_arn = aws_iam_policy.invoke_notifications.arn
}

resource "aws_scheduler_schedule" "notification_digests" {
  #checkov:skip=CKV_AWS_297:The schedule's only data is its constant input {"digests": true}, encrypted at rest with an AWS owned key; a customer managed key would add cost and key-policy management for nothing secret.
  name                = "${local.name}-notification-digests"
  description         = "Sends the daily alert digests that are due (${local.name})"
  schedule_expression = "rate(1 hour)"
  state               = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.fn["notifications"].arn
    role_arn = aws_iam_role.notification_digests_schedule.arn
    input    = jsonencode({ digests = true })

    # A run not handed to Lambda within the hour is the next run's.
    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }
  }

  depends_on = [aws_iam_role_policy_attachment.notification_digests_schedule]
}
