# The two commands of the README, and the release. Each installs what it needs (toolchains aside).
#
# `make test` builds with the provider's `aws-audit` feature, as releases are: it compiles aws-sdk-ec2 (about 5
# minutes and 8 GB of compiler memory for a clean debug build, 11 minutes for release). For a fast loop on
# everything else, `cargo test -p terraform-provider-portmatrix` leaves it out. `make example` leaves it out too.

AUDIT := --features terraform-provider-portmatrix/aws-audit

.PHONY: example test lint unit acceptance proof release release-check docs

## Plan the bundled example with the freshly built provider and print what it produces.
example:
	bash examples/plan.sh examples/aws-kubernetes-cluster/rules-only

## The whole test suite: formatting, lints, unit, catalog and acceptance tests under real Terraform CLIs.
## --no-fail-fast: one failing test binary never hides the results of the others.
test: lint
	bash acceptance-tests/setup.sh
	bash scripts/run-tests.sh --workspace --all-targets --no-fail-fast $(AUDIT)

## Proof by packets: six stacks' rules (nftables, AWS, GCP, OpenStack, Hetzner, Azure) and two stacks'
## NetworkPolicy objects enforced in network namespaces, every flow probed open and its neighbours, other
## platforms' ports, other protocols and wrong sources probed closed. Needs root (CI).
## Prints, per stack and target, the flows proven open and the probes proven closed. Also part of `make test`.
proof:
	bash acceptance-tests/setup.sh
	cargo test -p portmatrix-acceptance-tests --test packet_proof -- --nocapture

## Regenerates the Registry pages whose schema sections come from the provider's schemas (docs/index.md and
## docs/data-sources/*.md) from their templates in provider/docs-templates/. `make test` fails while they differ.
docs:
	PORTMATRIX_UPDATE_DOCS=1 cargo test -p terraform-provider-portmatrix --test docs_generated

## Formatting and lints, with the aws-audit feature and without it (both builds must stay warning-free).
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets $(AUDIT) -- -D warnings
	cargo clippy -p terraform-provider-portmatrix --all-targets -- -D warnings

## Reproducible release builds and their Registry packaging in dist/ (scripts/release.sh). Signs the checksums
## with the GPG key PORTMATRIX_GPG_KEY names, when set.
release:
	bash scripts/release.sh

## Builds the release a second time from a clean clone of HEAD in another directory and checks that every zip and
## checksum file is byte-identical to dist/ (run `make release` first). Costs a second cold release build.
release-check:
	bash scripts/release-check.sh
