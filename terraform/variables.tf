variable "aws_region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "environment" {
  description = "Deployment environment; suffixes every resource name so dev and prod can share an account."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\"."
  }
}

variable "architecture" {
  description = "Instruction set of every function: arm64 (the default, what make build packages) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "jwt_public_key_pem" {
  description = "Ed25519 public key (SPKI PEM) used by every function to verify access tokens. Not a secret."
  type        = string

  validation {
    condition     = can(regex("^-----BEGIN PUBLIC KEY-----", trimspace(var.jwt_public_key_pem))) && !strcontains(var.jwt_public_key_pem, "PRIVATE KEY")
    error_message = "jwt_public_key_pem must be a PEM public key (-----BEGIN PUBLIC KEY-----), never the private key."
  }
}

variable "jwt_next_public_key_pem" {
  description = "Optional Ed25519 public key (SPKI PEM) a key rotation moves to: tokens it signs are accepted too. Empty outside a rotation."
  type        = string
  default     = ""

  validation {
    condition     = var.jwt_next_public_key_pem == "" || (can(regex("^-----BEGIN PUBLIC KEY-----", trimspace(var.jwt_next_public_key_pem))) && !strcontains(var.jwt_next_public_key_pem, "PRIVATE KEY"))
    error_message = "jwt_next_public_key_pem must be empty or a PEM public key (-----BEGIN PUBLIC KEY-----), never the private key."
  }
}

variable "jwt_private_key_secret_arn" {
  description = "Full ARN (with its 6-character suffix) of the Secrets Manager secret whose SecretString is the Ed25519 private key (PKCS#8 PEM). Only the users function may read it; the key itself never enters Terraform."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.jwt_private_key_secret_arn))
    error_message = "jwt_private_key_secret_arn must be the full ARN of a Secrets Manager secret."
  }
}

variable "jwt_secret_kms_key_arn" {
  description = "Optional ARN of the customer managed KMS key that encrypts the JWT secret; null when the secret uses the default aws/secretsmanager key."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.jwt_secret_kms_key_arn))
    error_message = "jwt_secret_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "jwt_issuer" {
  description = "JWT \"iss\" claim issued and expected."
  type        = string
  default     = "real-estate-api"

  validation {
    condition     = length(var.jwt_issuer) > 0
    error_message = "jwt_issuer must not be empty."
  }
}

variable "jwt_audience" {
  description = "JWT \"aud\" claim issued and expected."
  type        = string
  default     = "real-estate-api"

  validation {
    condition     = length(var.jwt_audience) > 0
    error_message = "jwt_audience must not be empty."
  }
}

variable "jwt_ttl_seconds" {
  description = "Lifetime of issued access tokens, in seconds. May be shorter than the 300 s authorizer cache: the functions check the exp the authorizer passes on."
  type        = number
  default     = 900

  validation {
    condition     = var.jwt_ttl_seconds >= 60 && var.jwt_ttl_seconds <= 3600 && floor(var.jwt_ttl_seconds) == var.jwt_ttl_seconds
    error_message = "jwt_ttl_seconds must be a whole number between 60 and 3600."
  }
}

variable "rust_log" {
  description = "RUST_LOG filter for the functions (tracing EnvFilter syntax)."
  type        = string
  default     = "info"
}

variable "table_deletion_protection" {
  description = "DynamoDB deletion protection. Set to false and apply before destroying (see docs/deploy.md)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the function and API access log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "throttling_burst_limit" {
  description = "HTTP API stage burst limit (requests)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000
    error_message = "throttling_burst_limit must be between 1 and 5000."
  }
}

variable "throttling_rate_limit" {
  description = "HTTP API stage steady-state rate limit (requests per second)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 1 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be between 1 and 10000."
  }
}

variable "cors_allow_origins" {
  description = "Browser origins allowed by CORS (by the API, and to PUT photo uploads to the media bucket), e.g. [\"https://app.example.com\"]. Empty (default) disables CORS; \"*\" is refused."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allow_origins : can(regex("^https?://[^*,\\s]+$", o))])
    error_message = "cors_allow_origins entries must be exact http(s) origins without \"*\"."
  }
}

variable "alerts_from_address" {
  description = "Sender (From) of the alert e-mails and digests: an address of an identity (the address, or its domain) verified in SES in aws_region. The notifications function may send from this address only."
  type        = string
  default     = "alerts@example.com"

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alerts_from_address))
    error_message = "alerts_from_address must be an e-mail address."
  }
}

variable "public_base_url" {
  description = "Optional https base URL of the API as e-mail recipients reach it (a custom domain), no trailing slash: the base of the alerts' links. null (default) uses the API's own URL."
  type        = string
  default     = null

  validation {
    condition     = var.public_base_url == null || can(regex("^https://[^\\s/]+(/[^\\s]*[^\\s/])?$", var.public_base_url))
    error_message = "public_base_url must be null or an https URL without a trailing slash."
  }
}

variable "lambda_artifacts_dir" {
  description = "Directory holding <function>/bootstrap.zip as written by `cargo lambda build --release --arm64 --output-format zip`; null means ../target/lambda relative to this module."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags applied to every resource (merged into the provider default_tags)."
  type        = map(string)
  default     = {}
}
