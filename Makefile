# Developer commands. The two that matter most are in the README:
#   cargo run -p local   the whole API on http://127.0.0.1:3000, embedded store
#   make test            every check and test, as CI runs them

.PHONY: run seed watch test

run:
	cargo run -p local

# The local server with the demo data set loaded (any store: see README).
seed:
	cargo run -p local -- --seed

# The Lambda functions under `cargo lambda watch`, on a local DynamoDB-API server.
watch:
	bash scripts/watch.sh

test:
	bash scripts/test.sh
