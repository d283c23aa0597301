# Developer commands. The two that matter most are in the README:
#   cargo run -p local   the whole API on http://127.0.0.1:3000, embedded store
#   make test            every check and test, as CI runs them

.PHONY: run test

run:
	cargo run -p local

test:
	bash scripts/test.sh
