#!/usr/bin/env bash
# Offline checks of the deployment infrastructure (template.yaml, terraform/),
# with the pinned tools that scripts/tools.sh installs under .venv/:
#   1. sam validate --lint -t template.yaml
#   2. cfn-lint template.yaml
#   3. checkov on terraform/ and on template.yaml: 0 failed checks (each skip
#      is justified next to its resource)
#   4. scripts/check_hcl.py: every .tf file parses (python-hcl2) and is laid
#      out as `terraform fmt` would (plus `terraform fmt -check` when a
#      terraform binary happens to exist)
# No AWS credentials are used: dummy ones are set for the AWS tooling.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/tools.sh infra checkov
VENV=.venv/infra
CHECKOV_VENV=.venv/checkov

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ncheck-infra: FAILED: %s\n' "$*" >&2; exit 1; }

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

step "python scripts/check_hcl.py"
"$VENV/bin/python" scripts/check_hcl.py --self-test || fail "check_hcl.py self-test"
"$VENV/bin/python" scripts/check_hcl.py || fail "check_hcl.py"

if command -v terraform >/dev/null 2>&1; then
  step "terraform fmt -check -diff terraform ($(terraform version 2>/dev/null | head -n 1))"
  terraform fmt -check -diff terraform 2>/dev/null || fail "terraform fmt"
  echo "terraform fmt: no changes needed"
else
  step "terraform fmt: skipped (no terraform binary; check_hcl.py covers the layout rules)"
fi

printf '\ncheck-infra: OK (sam validate --lint, cfn-lint, checkov x2, HCL parse + fmt)\n'
