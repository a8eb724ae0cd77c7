# The two commands of the README. Each installs what it needs (toolchains aside).

.PHONY: example test lint unit acceptance

## Plan the bundled example with the freshly built provider and print what it produces.
example:
	bash examples/plan.sh examples/aws-kubernetes-cluster/rules-only

## The whole test suite: formatting, lints, unit, catalog and acceptance tests under real Terraform CLIs.
test: lint
	bash acceptance-tests/setup.sh
	cargo test --workspace --all-targets

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
