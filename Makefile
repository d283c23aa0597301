# Developer commands. The two that matter most are in the README:
#   cargo run -p local   the whole API on http://127.0.0.1:3000, embedded store
#   make test            every check and test, as CI runs them
# Deployment (see docs/deploy.md): make build, make deploy-sam,
# make deploy-tf, make destroy-sam, make destroy-tf; ENV=dev|prod.

.PHONY: run seed watch test bench e2e build check-infra deploy-sam deploy-tf destroy-sam destroy-tf jwt-inputs

run:
	cargo run -p local

# The local server with the demo data set loaded (any store: docs/development.md#the-demo-data-set).
seed:
	cargo run -p local -- --seed

# The Lambda functions under `cargo lambda watch`, on a local DynamoDB-API server.
watch:
	bash scripts/watch.sh

test:
	bash scripts/test.sh

# Cold starts against a local Lambda Runtime API, warm latency per route,
# the local server under wrk: one table, target/bench/report.json
# (BENCH_RUNS=N cold starts per binary, 20 by default).
bench:
	bash scripts/bench.sh

# The deployed shape locally (Docker, no registry needed): sam local start-api
# and sam local invoke on template.yaml, and cargo lambda watch
# (docs/development.md#lambda-tooling).
e2e:
	bash scripts/e2e.sh

# The seven arm64 zips, target/lambda/<function>/bootstrap.zip, within budget.
build:
	bash scripts/build.sh

# Offline checks of template.yaml and terraform/.
check-infra:
	bash scripts/check-infra.sh

# ---------------------------------------------------------------- deployment
ENV                       ?= dev
AWS_REGION                ?= us-east-1
STACK_NAME                ?= real-estate-$(ENV)
JWT_PUBLIC_KEY_FILE       ?= jwt-public.pem
# The next public key, only during a key rotation (docs/deploy.md#rotating-the-key). Always
# passed, empty when unset, so a deploy without it ends the rotation (sam
# deploy would otherwise keep the parameter's previous value).
JWT_NEXT_PUBLIC_KEY_FILE  ?=
JWT_SECRET_NAME           ?= real-estate/$(ENV)/jwt-private-key
TABLE_DELETION_PROTECTION ?= true
# More of the template's parameters for `make deploy-sam`, as sam's
# Name=value pairs: SAM_PARAMETERS='AlertsFromAddress=alerts@example.org
# PublicBaseUrl=https://api.example.org' (docs/deploy.md#sam-parameters-templateyaml).
# A parameter left out keeps the value of the previous deploy.
SAM_PARAMETERS            ?=
TF_APPLY_FLAGS            ?=
# The pinned SAM CLI of `bash scripts/tools.sh infra` when present.
SAM                       ?= $(if $(wildcard .venv/infra/bin/sam),.venv/infra/bin/sam,sam)
TERRAFORM                 ?= terraform
TF                        := $(TERRAFORM) -chdir=terraform

# The next key's PEM for the shell of a recipe: `$(cat file)` or nothing.
next_public_key_pem = $(if $(JWT_NEXT_PUBLIC_KEY_FILE),$$(cat $(JWT_NEXT_PUBLIC_KEY_FILE)),)

# Looked up from the secret's name, only when a recipe uses it.
JWT_SECRET_ARN ?= $(shell aws secretsmanager describe-secret --region $(AWS_REGION) \
	--secret-id $(JWT_SECRET_NAME) --query ARN --output text 2>/dev/null)

TF_VARS = -var 'environment=$(ENV)' -var 'aws_region=$(AWS_REGION)' \
	-var 'jwt_private_key_secret_arn=$(JWT_SECRET_ARN)' \
	-var 'table_deletion_protection=$(TABLE_DELETION_PROTECTION)' \
	-var "jwt_public_key_pem=$$(cat $(JWT_PUBLIC_KEY_FILE))" \
	-var "jwt_next_public_key_pem=$(next_public_key_pem)"

jwt-inputs:
	@test -f '$(JWT_PUBLIC_KEY_FILE)' || { echo "missing $(JWT_PUBLIC_KEY_FILE): see docs/deploy.md#1-create-the-signing-key-once-per-environment" >&2; exit 1; }
	@test -z '$(JWT_NEXT_PUBLIC_KEY_FILE)' || test -f '$(JWT_NEXT_PUBLIC_KEY_FILE)' || { echo "missing $(JWT_NEXT_PUBLIC_KEY_FILE) (JWT_NEXT_PUBLIC_KEY_FILE)" >&2; exit 1; }
	@test -n '$(JWT_SECRET_ARN)' || { echo "secret $(JWT_SECRET_NAME) not found in $(AWS_REGION): see docs/deploy.md#1-create-the-signing-key-once-per-environment" >&2; exit 1; }

# sam build runs cargo-lambda per function in this workspace (it reuses target/).
deploy-sam: jwt-inputs
	bash scripts/tools.sh build
	PATH="$(CURDIR)/.venv/build/bin:$$PATH" $(SAM) build --template-file template.yaml
	$(SAM) deploy \
		--stack-name $(STACK_NAME) \
		--region $(AWS_REGION) \
		--resolve-s3 \
		--capabilities CAPABILITY_IAM \
		--no-confirm-changeset \
		--no-fail-on-empty-changeset \
		--tags project=real-estate environment=$(ENV) \
		--parameter-overrides \
			Environment=$(ENV) \
			JwtPrivateKeySecretArn=$(JWT_SECRET_ARN) \
			TableDeletionProtection=$(TABLE_DELETION_PROTECTION) \
			"JwtPublicKeyPem=\"$$(cat $(JWT_PUBLIC_KEY_FILE))\"" \
			"JwtNextPublicKeyPem=\"$(next_public_key_pem)\"" \
			$(SAM_PARAMETERS)

deploy-tf: build jwt-inputs
	$(TF) init -input=false
	$(TF) workspace select -or-create $(ENV)
	$(TF) apply -input=false $(TF_APPLY_FLAGS) $(TF_VARS)

# Turn TABLE_DELETION_PROTECTION off (redeploy) before destroying.
destroy-sam:
	$(SAM) delete --stack-name $(STACK_NAME) --region $(AWS_REGION) --no-prompts

destroy-tf: jwt-inputs
	$(TF) init -input=false
	$(TF) workspace select $(ENV)
	$(TF) destroy -input=false $(TF_APPLY_FLAGS) $(TF_VARS)
