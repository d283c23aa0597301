# The change feed's webhooks. The table's stream gives the webhooks function
# the feed's new items (partition CHANGES#<shard>); for each, the endpoints
# subscribed to its type get one message each on the delivery queue, which
# the same function consumes (one signed POST per message). What it keeps
# failing waits in the dead-letter queue, and an alarm says so
# (docs/deploy.md#the-change-feed-and-webhooks).
# The same resources, with the same names, as template.yaml.

# Where what the webhooks function kept failing waits to be looked at (and
# redriven): the deliveries received 5 times, and the descriptions of the
# stream batches of feed items its mapping gave up on. 14 days, the longest
# SQS keeps a message.
resource "aws_sqs_queue" "webhook_dead_letters" {
  name                      = "${local.name}-webhook-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# One message per delivery (an endpoint, a feed item). A message received 5
# times without being deleted moves to the dead-letter queue.
resource "aws_sqs_queue" "webhook_deliveries" {
  name = "${local.name}-webhook-deliveries"
  # Lambda's advice for a queue it polls: at least 6 times the function's
  # timeout (30 s), so that a batch being retried after throttling is not
  # received again meanwhile.
  visibility_timeout_seconds = 180
  # 4 days (SQS's default, written out): a message moved to the dead-letter
  # queue keeps its first enqueue time, so the dead-letter queue's retention
  # must be longer for it to be kept there at all.
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.webhook_dead_letters.arn
    maxReceiveCount     = 5
  })
}

# Anything in the dead-letter queue is a delivery, or a batch of the feed,
# that was given up on: alarm as soon as one is there. No data (the queue
# idle and empty) is fine. No action: subscribe to the alarm's state changes
# where your account's alarms go (docs/deploy.md).
resource "aws_cloudwatch_metric_alarm" "webhook_dead_letters" {
  alarm_name          = "${local.name}-webhook-dead-letters"
  alarm_description   = "Webhook deliveries or change-feed batches were given up on and wait in ${aws_sqs_queue.webhook_dead_letters.name}: see docs/deploy.md, the change feed and webhooks."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  dimensions = {
    QueueName = aws_sqs_queue.webhook_dead_letters.name
  }
}

resource "aws_lambda_event_source_mapping" "webhooks_feed_items" {
  event_source_arn  = aws_dynamodb_table.main.stream_arn
  function_name     = aws_lambda_function.fn["webhooks"].arn
  starting_position = "LATEST"
  batch_size        = 10

  # Only the change feed's new items (partition CHANGES#<shard>): every other
  # record is dropped by the filter, at no invocation.
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
      destination_arn = aws_sqs_queue.webhook_dead_letters.arn
    }
  }

  # The mapping is checked against the role's stream and queue permissions
  # when it is created.
  depends_on = [
    aws_iam_role_policy.webhooks_stream,
    aws_iam_role_policy.webhook_queues,
  ]
}

resource "aws_lambda_event_source_mapping" "webhook_deliveries" {
  event_source_arn = aws_sqs_queue.webhook_deliveries.arn
  function_name    = aws_lambda_function.fn["webhooks"].arn
  batch_size       = 10

  # Only the messages the function names go back to the queue (for another
  # try, after their visibility timeout); the others are deleted.
  function_response_types = ["ReportBatchItemFailures"]

  # Lambda checks that the role may receive from the queue.
  depends_on = [aws_iam_role_policy.webhook_queues]
}
