#!/usr/bin/env bash
# Offline checks of the deployment infrastructure (template.yaml, terraform/),
# with the pinned tools that scripts/tools.sh installs under .venv/:
#   1. sam validate --lint -t template.yaml
#   2. cfn-lint template.yaml
#   3. checkov on terraform/ and on template.yaml: 0 failed checks (each skip
#      is justified next to its resource)
#   4. terraform fmt -check -diff -recursive terraform: every .tf (and
#      .tfvars) file parses and is laid out as terraform's own formatter
#      lays it out; the .tfvars.example files, which fmt skips by name, go
#      through `terraform fmt -` the same way
# The terraform binary is not a Python tool: it must be on PATH (it is on
# the project's machine image). Without it the run fails, CI or not.
# No AWS credentials are used: dummy ones are set for the AWS tooling.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ncheck-infra: FAILED: %s\n' "$*" >&2; exit 1; }

# First, so a machine without it fails before the slow steps.
command -v terraform >/dev/null 2>&1 ||
  fail "no terraform binary on PATH; the HCL check is \`terraform fmt\`. Install Terraform >= 1.6\
 (a release zip or HashiCorp's apt repository: https://developer.hashicorp.com/terraform/install),\
 put \`terraform\` on PATH and run again"

bash scripts/tools.sh infra checkov
VENV=.venv/infra
CHECKOV_VENV=.venv/checkov

# Offline, credential-free environment for the AWS tooling: dummy keys, fixed
# region, no profile, no instance-metadata lookups, no telemetry.
aws_offline=(
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=dummy-secret-for-offline-validation
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  SAM_CLI_TELEMETRY=0
)

step "sam validate --lint -t template.yaml ($("$VENV/bin/sam" --version))"
"${aws_offline[@]}" "$VENV/bin/sam" validate --lint -t template.yaml || fail "sam validate --lint"

step "cfn-lint template.yaml (cfn-lint $("$VENV/bin/cfn-lint" --version | awk '{print $2}'))"
"${aws_offline[@]}" "$VENV/bin/cfn-lint" template.yaml || fail "cfn-lint"
echo "cfn-lint: no findings"

# run_checkov LABEL ARGS...: must exit 0 and report "Failed checks: 0" with at
# least one passed check (guards against scanning nothing).
run_checkov() {
  local label="$1" out rc=0
  shift
  step "checkov $* ($label, checkov $("$CHECKOV_VENV/bin/checkov" --version))"
  out="$("${aws_offline[@]}" "$CHECKOV_VENV/bin/checkov" "$@" --quiet --compact --skip-download 2>&1)" || rc=$?
  printf '%s\n' "$out"
  [[ $rc -eq 0 ]] || fail "checkov ($label) exited $rc"
  grep -Eq 'Passed checks: [1-9][0-9]*, Failed checks: 0,' <<<"$out" ||
    fail "checkov ($label) did not report 'Failed checks: 0' with passed checks"
}

run_checkov "Terraform" -d terraform --framework terraform
run_checkov "SAM/CloudFormation" -f template.yaml --framework cloudformation

# terraform ARGS...: without update checks, and without the warning terraform
# prints when TF_CLI_CONFIG_FILE names a missing file (fmt needs no CLI
# configuration).
tf() {
  if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -e "$TF_CLI_CONFIG_FILE" ]]; then
    env -u TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 terraform "$@"
  else
    CHECKPOINT_DISABLE=1 terraform "$@"
  fi
}
# fmt_failed WHAT RC FIX: says what terraform fmt's exit code means.
fmt_failed() {
  case $2 in
    2) fail "terraform fmt ($1) exited 2: a syntax error, the HCL does not parse (the error is above)" ;;
    3) fail "terraform fmt ($1) exited 3: a layout difference (the diff is above): $3" ;;
    *) fail "terraform fmt ($1) exited $2" ;;
  esac
}

step "terraform fmt -check -diff -recursive terraform ($(tf version | head -n 1))"
rc=0
tf fmt -no-color -check -diff -recursive terraform || rc=$?
[[ $rc -eq 0 ]] || fmt_failed terraform/ "$rc" '`terraform fmt -recursive terraform` rewrites the files'
formatted=$(mktemp)
trap 'rm -f "$formatted"' EXIT
for example in terraform/*.tfvars.example; do
  [[ -e $example ]] || continue
  rc=0
  tf fmt -no-color -check - <"$example" || rc=$?
  if [[ $rc -eq 3 ]]; then
    tf fmt -no-color - <"$example" >"$formatted"
    diff -u --label "$example" --label "$example (terraform fmt)" "$example" "$formatted" || true
  fi
  [[ $rc -eq 0 ]] || fmt_failed "$example" "$rc" "\`terraform fmt - <$example\` prints it as it should be"
done
echo "terraform fmt: every file parses, no layout changes needed"

printf '\ncheck-infra: OK (sam validate --lint, cfn-lint, checkov x2, terraform fmt)\n'
