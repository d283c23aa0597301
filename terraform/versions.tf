terraform {
  # 1.6+: `terraform test`, strcontains() in validations and
  # `terraform workspace select -or-create` used by the Makefile.
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State is local by default (one workspace per environment, see the
  # Makefile). For a team, keep it in S3 instead: create the bucket once
  # (versioning on, public access blocked), uncomment, then run
  # `terraform init -migrate-state`. use_lockfile needs Terraform >= 1.10
  # (S3-native locking, no DynamoDB lock table).
  #
  # backend "s3" {
  #   bucket       = "my-org-terraform-state"
  #   key          = "real-estate/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}
