# Single-table design: pk/sk on the base table and nine GSIs
# (lib/src/store/dynamodb/schema.rs). owner-index holds all of an owner's
# listings; the others are sparse: only public listings (active, under_offer:
# group LISTED; sold, let: group CLOSED) carry their attributes. gsisk is the
# property id, time-ordered.
#   city-index        CITY#<city>#<transaction>#<group>, by id
#   owner-index       OWNER#<owner id>, by id
#   feed-index        FEED#<transaction>#<group>#<shard>, by id
#   type-index        TYPE#<type>#<transaction>#<group>#<shard>, by id
#   city-price-index  CITY#<city>#<transaction>#<group>#<currency> (gsi5pk),
#                     by price: zero-padded hundredths#<id> (gsi5sk)
#   city-area-index   city-index's partition (gsi1pk), by total area:
#                     zero-padded hundredths#<id> (gsi6sk)
#   geo-index         GEO#<cell>#<transaction>#<group> (gsi7pk), by id
#   geo-price-index   GEO#<cell>#<transaction>#<group>#<currency> (gsi8pk),
#                     by price: zero-padded hundredths#<id> (gsi5sk)
#   geo-cell-index    geo-index's partition (gsi7pk), by location:
#                     <geohash, 12 characters>#<id> (gsi9sk), read by ranges
#                     of cells for nearest-first searches
# feed-index and type-index spread each partition over 4 shards. Only the
# public listings with a location are in the geo indexes; <cell> is the
# geohash of their location, 4 characters: a cell of about 39 x 19.5 km.
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
    name = "gsi5pk"
    type = "S"
  }

  attribute {
    name = "gsisk"
    type = "S"
  }

  attribute {
    name = "gsi5sk"
    type = "S"
  }

  attribute {
    name = "gsi6sk"
    type = "S"
  }

  attribute {
    name = "gsi7pk"
    type = "S"
  }

  attribute {
    name = "gsi8pk"
    type = "S"
  }

  attribute {
    name = "gsi9sk"
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

  global_secondary_index {
    name            = "city-price-index"
    hash_key        = "gsi5pk"
    range_key       = "gsi5sk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "city-area-index"
    hash_key        = "gsi1pk"
    range_key       = "gsi6sk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "geo-index"
    hash_key        = "gsi7pk"
    range_key       = "gsisk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "geo-price-index"
    hash_key        = "gsi8pk"
    range_key       = "gsi5sk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "geo-cell-index"
    hash_key        = "gsi7pk"
    range_key       = "gsi9sk"
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

  # The media function deletes the files of the photos a change of a
  # property item removed (a photo, the property, the owner's account), and
  # moves the listing in the map clusters: it reads the old and new images
  # of those items from this stream (media.tf).
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
}
