#!/usr/bin/env python3
"""Benchmark of the portmatrix provider core under real Terraform CLIs.

Usage (from anywhere; takes about two minutes once the release build is done):

    python3 acceptance-tests/bench/run.py [--handshake-runs 30] [--plan-runs 10] [--warmups 2] [--rss-runs 3]

This is a benchmark, not a test: it is run by hand, prints figures and fails only when something cannot run at
all. It is not part of `cargo test`. It needs Python 3.11 (standard library only), cargo and bash; openssl is
used when present.

What it does:
 1. Builds the provider in release mode and runs acceptance-tests/setup.sh (Terraform 1.0.3 into .tools/bin).
    It then uses that Terraform and the `terraform` on PATH, when that is a different version.
 2. Handshake: it spawns the provider with the environment Terraform gives it and times how long the first
    stdout line takes to arrive (the go-plugin handshake line). It does the same for /bin/echo, which is the
    floor that spawning any process and reading a pipe costs.
 3. Plan wall time under each Terraform for three configurations: no provider at all (`output "x" { value = 1 }`),
    one `portmatrix_catalog` data source, and 100 of them (count = 100, each filtered to a platform). There are
    warm-ups, then the timed runs go round-robin through the configurations, so drift on a shared machine hits
    all three alike. The ratios compare each configuration with the no-provider plan under the same Terraform.
 4. Peak RSS of the provider: separate plans run through a wrapper executable that is put where dev_overrides
    looks. The wrapper starts the real binary and reads its ru_maxrss with wait4. Terraform launches the
    provider several times per plan, so every launch is reported. The wrapper also records the provider's CPU
    time per plan, which shows whether a slower plan is spent in the provider or in Terraform. The wall-time
    runs do not use the wrapper, so it cannot skew them. Terraform's own peak RSS for the no-provider plan
    comes from wait4 on the terraform process and gives the denominator of the ratio.
 5. Prints a table and writes JSON to target/bench/provider-core-<UTC time>.json, also copied to
    provider-core-latest.json, so later runs can be compared.

Reading the numbers: the machine is usually shared and noisy. Compare medians with their IQR, and compare runs
from the same machine only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
PROVIDER_NAME = "terraform-provider-portmatrix"
PROVIDER_ADDRESS = "registry.terraform.io/portmatrix/portmatrix"
PINNED_TERRAFORM = ROOT / ".tools/bin/terraform-1.0.3"

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

# Used only when openssl is missing: a self-signed ECDSA P-521/SHA-512 CA certificate for localhost, valid
# until 2126 and shaped like the one Terraform's AutoMTLS sends. The provider only pins it, so any valid
# certificate gives the same start-up work.
FALLBACK_CLIENT_CERT = """\
-----BEGIN CERTIFICATE-----
MIICBjCCAWigAwIBAgIUeGfwnHqc75ruxSuxFIoohZsCOZQwCgYIKoZIzj0EAwQw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjAzMjgwOFoYDzIxMjYxMDI5
MDMyODA4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwgZswEAYHKoZIzj0CAQYFK4EE
ACMDgYYABAEuYVky6Ekuo2uF3rQACJsqmrahd2Yj7HmYIFxEqK72WUBeur4htlS5
JHW7svNrlcZ4v1V9i/s1QdpryAEJVZicwQE4WjfjrwXGhDmYWUIfTIpDW7cNjzs8
AsCZDm4P+914I42sFoCMrtWZxUj5jttwAFkCcM3aMxtgbEXJpJ8H710wZqNTMFEw
HQYDVR0OBBYEFEdBSF6bCC6zSkxwX5q35PP+9KCDMB8GA1UdIwQYMBaAFEdBSF6b
CC6zSkxwX5q35PP+9KCDMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwQDgYsA
MIGHAkIAsoKjszbI9Hi7xfE/o3dqbvVuYCEa8DwI87aYkpHfvIhOkmmjiXU7v3M8
MYaqXBm0VWgeuN21GVT2jGsCyQmqC/kCQS1YPF1oE8tiBQBN2D6cTokTb71QtRAa
q6W5bvGO1LlLOtRi9B7tSCGlLAROOpTRMgkU0v5IihnEN33ZZmAbDbhB
-----END CERTIFICATE-----
"""

REQUIRED_PROVIDERS = """\
terraform {
  required_providers {
    portmatrix = { source = "portmatrix/portmatrix" }
  }
}
"""

# Several platforms, so the 100 reads do not all hit the same filter. An unknown name fails the plan, so this
# list cannot fall out of step with the catalog without anyone noticing.
PLATFORMS = ["calico", "cilium", "deckhouse", "etcd", "kubernetes", "kublr", "longhorn", "rke2"]


@dataclass(frozen=True)
class PlanConfig:
    """A configuration to plan, and the plan-output line that proves Terraform evaluated all of it."""

    key: str
    main_tf: str
    expect: str


CONFIGS = [
    PlanConfig("none", 'output "x" {\n  value = 1\n}\n', r"\bx\s*=\s*1\b"),
    PlanConfig(
        "one",
        REQUIRED_PROVIDERS
        + 'data "portmatrix_catalog" "one" {\n  platform = "longhorn"\n}\n\n'
        + 'output "platforms" {\n  value = length(data.portmatrix_catalog.one.platforms)\n}\n',
        r"\bplatforms\s*=\s*1\b",
    ),
    PlanConfig(
        "hundred",
        REQUIRED_PROVIDERS
        + "locals {\n  platforms = " + json.dumps(PLATFORMS) + "\n}\n\n"
        + 'data "portmatrix_catalog" "many" {\n  count    = 100\n'
        + "  platform = local.platforms[count.index % length(local.platforms)]\n}\n\n"
        # The output is known at plan time only if every one of the 100 reads returned its platform.
        + 'output "reads" {\n  value = length([for d in data.portmatrix_catalog.many : d.platforms[0].name])\n}\n',
        r"\breads\s*=\s*100\b",
    ),
]

# The wrapper runs under this interpreter with -S, so it starts quickly and no site-packages can interfere.
# The real provider inherits stdin/stdout/stderr, so the handshake line and gRPC go straight to Terraform. The
# wrapper only waits, and forwards the signals Terraform might send.
RSS_WRAPPER = """\
#!{python} -S
# Written by acceptance-tests/bench/run.py: records the peak RSS of one provider launch.
import json, os, signal, subprocess, sys, time

started = time.time()
child = subprocess.Popen([{real!r}] + sys.argv[1:], close_fds=False)
for signum in (signal.SIGINT, signal.SIGTERM):
    signal.signal(signum, lambda number, _frame: os.kill(child.pid, number))
_, status, usage = os.wait4(child.pid, 0)
code = os.waitstatus_to_exitcode(status)
with open({log!r}, "a") as log:
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
    log.write(json.dumps({{"started": started, "maxrss_kib": usage.ru_maxrss, "cpu_ms": cpu_ms, "exit": code}}) + "\\n")
sys.exit(code if code >= 0 else 128 - code)
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def spread(samples: list[float]) -> dict:
    """Median and quartiles. The 'inclusive' method keeps p25/p75 inside [min, max] for small N."""
    ordered = sorted(samples)
    p25, median, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {
        "n": len(ordered),
        "min": ordered[0],
        "p25": p25,
        "median": median,
        "p75": p75,
        "max": ordered[-1],
        "samples": samples,
    }


def build_and_setup() -> Path:
    log("building the provider (release)")
    build = ["cargo", "build", "--release", "-p", PROVIDER_NAME, "--bin", PROVIDER_NAME]
    if subprocess.run(build, cwd=ROOT).returncode != 0:
        sys.exit("building the provider failed")
    binary = TARGET / "release" / PROVIDER_NAME
    if not binary.is_file():
        sys.exit(f"{binary} missing after the build")
    if subprocess.run(["bash", str(ROOT / "acceptance-tests/setup.sh")], cwd=ROOT).returncode != 0:
        sys.exit("acceptance-tests/setup.sh failed")
    return binary


def terraform_version(path: str) -> str | None:
    try:
        out = subprocess.run([path, "version", "-json"], capture_output=True, check=True, env=terraform_env(None))
        return json.loads(out.stdout)["terraform_version"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        return None


def find_terraforms() -> list[tuple[str, str]]:
    """(version, path) for the pinned 1.0.3, then the PATH one if its version differs, as the tests pick them."""
    found: list[tuple[str, str]] = []
    for candidate in [str(PINNED_TERRAFORM), shutil.which("terraform")]:
        version = candidate and terraform_version(candidate)
        if version and all(version != v for v, _ in found):
            found.append((version, candidate))
    if not any(v == "1.0.3" for v, _ in found):
        sys.exit(f"Terraform 1.0.3 not found at {PINNED_TERRAFORM}")
    if len(found) == 1:
        log("note: no other Terraform on PATH; measuring 1.0.3 only")
    return found


def client_cert(scratch: Path) -> tuple[str, str]:
    """A PEM certificate for PLUGIN_CLIENT_CERT, generated like Terraform's when openssl exists."""
    if shutil.which("openssl"):
        cert, key = scratch / "client.pem", scratch / "client.key"
        result = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-sha512",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
            capture_output=True,
        )
        if result.returncode == 0:
            return cert.read_text(), "openssl P-521"
        log("openssl failed; using the built-in certificate")
    return FALLBACK_CLIENT_CERT, "built-in P-521"


def time_to_first_line(argv: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    """Seconds from spawn to the first complete stdout line. The process is then killed."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    proc.stdout.close()
    return elapsed, line


def bench_handshake(binary: Path, cert_pem: str, scratch: Path, runs: int) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_LOG", "PLUGIN_"))}
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="5,6",
        PLUGIN_CLIENT_CERT=cert_pem,
        # Killing the provider leaves its private socket directory behind. Keep those in the scratch dir.
        TMPDIR=str(scratch),
    )
    echo = shutil.which("echo") or "/bin/echo"
    subjects = {
        "provider": [str(binary)],
        # Prints a line shaped like a handshake: what spawning a process and reading its pipe costs at least.
        "echo": [echo, "1|6|unix|/tmp/plugin/plugin.sock|grpc|"],
    }
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    # The first runs pay for cold page cache and lazy binding. Drop them.
    for _ in range(3):
        for argv in subjects.values():
            time_to_first_line(argv, env)
    for _ in range(runs):
        # Alternate the two, so machine noise hits both alike.
        for name, argv in subjects.items():
            elapsed, line = time_to_first_line(argv, env)
            if name == "provider" and not line.startswith(b"1|6|"):
                sys.exit(f"provider printed no handshake line: {line!r}")
            samples[name].append(elapsed * 1000)
    result = {name: spread(values) for name, values in samples.items()}
    result["echo_command"] = subjects["echo"]
    result["ratio_median"] = result["provider"]["median"] / result["echo"]["median"]
    result["excess_median_ms"] = result["provider"]["median"] - result["echo"]["median"]
    return result


def terraform_env(cli_config: Path | None) -> dict[str, str]:
    """The acceptance tests' environment: offline, no logs, our CLI config instead of the user's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_LOG")}
    env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    if cli_config is None:
        env.pop("TF_CLI_CONFIG_FILE", None)
    else:
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    return env


def write_cli_config(path: Path, provider_dir: Path) -> Path:
    path.write_text(
        "provider_installation {\n  dev_overrides {\n"
        f'    "{PROVIDER_ADDRESS}" = "{provider_dir}"\n'
        "  }\n  direct {}\n}\n"
    )
    return path


@dataclass(frozen=True)
class TimedPlan:
    """One `terraform plan`: wall seconds, peak RSS (KiB) of the terraform process, and the CPU (user + sys, ms)
    of terraform and every provider it launched and waited for."""

    elapsed: float
    maxrss_kib: int
    cpu_ms: float


def timed_plan(terraform: str, workdir: Path, env: dict[str, str], config: PlanConfig) -> TimedPlan:
    """Times one `terraform plan`. Exits if the plan fails or lacks its output."""
    # Output goes to files, not pipes: the plan never blocks on a full pipe, and we need no reader thread.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([terraform, "plan", "-input=false", "-no-color"], cwd=workdir, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        # wait4 instead of Popen.wait: it also returns the child's rusage, which counts the providers Terraform
        # waited for (go-plugin waits for every provider process it started).
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0 or not re.search(config.expect, stdout):
        sys.exit(f"{terraform} plan of '{config.key}' failed (exit {proc.returncode}):\n{stdout}\n{stderr}")
    return TimedPlan(elapsed, usage.ru_maxrss, (usage.ru_utime + usage.ru_stime) * 1000)


def bench_terraform(version: str, terraform: str, scratch: Path, dev_rc: Path, rss_rc: Path,
                    rss_log: Path, args: argparse.Namespace) -> dict:
    workdirs = {}
    for config in CONFIGS:
        workdir = scratch / f"tf-{version}" / config.key
        workdir.mkdir(parents=True)
        (workdir / "main.tf").write_text(config.main_tf)
        workdirs[config.key] = workdir

    log(f"Terraform {version}: plan wall time ({args.warmups} warm-ups + {args.plan_runs} runs per config)")
    env = terraform_env(dev_rc)
    for _ in range(args.warmups):
        for config in CONFIGS:
            timed_plan(terraform, workdirs[config.key], env, config)
    wall: dict[str, list[float]] = {c.key: [] for c in CONFIGS}
    maxrss: dict[str, list[int]] = {c.key: [] for c in CONFIGS}
    for _ in range(args.plan_runs):
        for config in CONFIGS:
            timed = timed_plan(terraform, workdirs[config.key], env, config)
            wall[config.key].append(timed.elapsed * 1000)
            maxrss[config.key].append(timed.maxrss_kib)

    log(f"Terraform {version}: provider peak RSS ({args.rss_runs} wrapped plans per config)")
    rss_env = terraform_env(rss_rc)
    launches: dict[str, list[list[int]]] = {}
    # CPU the provider burns per plan, summed over its launches: tells whether a slower plan is our time or
    # Terraform's.
    provider_cpu: dict[str, list[float]] = {}
    for config in CONFIGS[1:]:
        launches[config.key] = []
        provider_cpu[config.key] = []
        for _ in range(args.rss_runs):
            rss_log.write_text("")
            timed_plan(terraform, workdirs[config.key], rss_env, config)
            records = [json.loads(line) for line in rss_log.read_text().splitlines()]
            records.sort(key=lambda record: record["started"])
            if not records or any(record["exit"] != 0 for record in records):
                sys.exit(f"unexpected provider launches under Terraform {version}: {records}")
            launches[config.key].append([record["maxrss_kib"] for record in records])
            provider_cpu[config.key].append(sum(record["cpu_ms"] for record in records))

    plans = {key: spread(values) for key, values in wall.items()}
    base = plans["none"]["median"]
    provider_peak = max(value for runs in launches.values() for run in runs for value in run)
    terraform_peak = max(maxrss["none"])
    return {
        "terraform": terraform,
        "plan_ms": plans,
        "plan_ratio_vs_none": {key: plans[key]["median"] / base for key in ("one", "hundred")},
        # For plans with the provider, wait4 also counts reaped children, so these values are
        # max(terraform, provider). Only "none" is Terraform's own peak.
        "terraform_maxrss_kib": {key: spread(values) for key, values in maxrss.items()},
        "provider_maxrss_kib_per_launch": launches,
        "provider_cpu_ms_per_plan": {key: spread(values) for key, values in provider_cpu.items()},
        "provider_peak_kib": provider_peak,
        "terraform_none_peak_kib": terraform_peak,
        "provider_vs_terraform_rss": provider_peak / terraform_peak,
    }


def git_describe() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def print_report(report: dict) -> None:
    hs = report["handshake"]

    def ms(s: dict) -> str:
        return f"{s['median']:.1f} [{s['min']:.1f} {s['p25']:.1f}-{s['p75']:.1f} {s['max']:.1f}]"

    print()
    print(f"portmatrix provider core benchmark   {report['time']}   commit {report['commit']}")
    print(f"machine: {report['machine']['platform']}, {report['machine']['cpus']} CPUs, "
          f"load {report['machine']['loadavg_before']} -> {report['machine']['loadavg_after']}")
    print(f"provider: {report['provider_binary']} ({report['provider_bytes'] / 1e6:.1f} MB)")
    print()
    print(f"Handshake: spawn -> first stdout line, {hs['provider']['n']} runs, ms as median [min p25-p75 max]")
    print(f"  (same launch environment under every Terraform; PLUGIN_CLIENT_CERT from {report['client_cert']})")
    print(f"  provider  {ms(hs['provider'])}")
    print(f"  echo      {ms(hs['echo'])}")
    print(f"  provider/echo {hs['ratio_median']:.2f}x, provider-echo {hs['excess_median_ms']:+.1f} ms")
    print()
    n = next(iter(report["terraforms"].values()))["plan_ms"]["none"]["n"]
    print(f"terraform plan wall time, {n} runs after {report['settings']['warmups']} warm-ups, "
          "ms as median [min p25-p75 max]")
    for version, tf in report["terraforms"].items():
        plans, ratio = tf["plan_ms"], tf["plan_ratio_vs_none"]
        print(f"  Terraform {version}")
        print(f"    no provider  {ms(plans['none'])}")
        print(f"    1 data src   {ms(plans['one'])}   {ratio['one']:.2f}x no-provider")
        print(f"    100 data src {ms(plans['hundred'])}   {ratio['hundred']:.2f}x no-provider")
    print()
    print(f"Peak RSS, MiB ({report['settings']['rss_runs']} wrapped plans per config; "
          "per launch = largest over the runs, in launch order)")
    for version, tf in report["terraforms"].items():
        print(f"  Terraform {version}: own peak on the no-provider plan {mib(tf['terraform_none_peak_kib'])}")
        for key, label in (("one", "1 data src  "), ("hundred", "100 data src")):
            runs = tf["provider_maxrss_kib_per_launch"][key]
            width = max(len(run) for run in runs)
            per_launch = [max(run[i] for run in runs if i < len(run)) for i in range(width)]
            counts = sorted({len(run) for run in runs})
            print(f"    provider, {label}: launches/plan {'/'.join(map(str, counts))}, "
                  f"per launch {' '.join(mib(v) for v in per_launch)}")
        cpu = tf["provider_cpu_ms_per_plan"]
        print(f"    provider CPU per plan (user+sys, all launches, median ms): 1 data src "
              f"{cpu['one']['median']:.0f}, 100 data src {cpu['hundred']['median']:.0f}")
        print(f"    provider peak {mib(tf['provider_peak_kib'])} = "
              f"{tf['provider_vs_terraform_rss']:.3f}x Terraform's own peak")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handshake-runs", type=int, default=30)
    parser.add_argument("--plan-runs", type=int, default=10)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--rss-runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    if min(args.handshake_runs, args.plan_runs, args.rss_runs) < 2:
        parser.error("quartiles need at least 2 runs")

    binary = build_and_setup()
    terraforms = find_terraforms()
    scratch = Path(tempfile.mkdtemp(prefix="portmatrix-bench-"))
    loadavg_before = os.getloadavg()
    try:
        cert_pem, cert_source = client_cert(scratch)
        log(f"handshake: {args.handshake_runs} runs each of the provider and echo")
        handshake = bench_handshake(binary, cert_pem, scratch, args.handshake_runs)

        wrapper_dir = scratch / "rss-provider"
        wrapper_dir.mkdir()
        rss_log = scratch / "rss.jsonl"
        wrapper = wrapper_dir / PROVIDER_NAME
        wrapper.write_text(RSS_WRAPPER.format(python=sys.executable, real=str(binary), log=str(rss_log)))
        wrapper.chmod(0o755)
        dev_rc = write_cli_config(scratch / "dev.tfrc", binary.parent)
        rss_rc = write_cli_config(scratch / "rss.tfrc", wrapper_dir)

        results = {
            version: bench_terraform(version, path, scratch, dev_rc, rss_rc, rss_log, args)
            for version, path in terraforms
        }
    finally:
        if args.keep:
            log(f"scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    now = datetime.now(timezone.utc)
    report = {
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_describe(),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in loadavg_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": vars(args),
        "provider_binary": str(binary),
        "provider_bytes": binary.stat().st_size,
        "client_cert": cert_source,
        "handshake": handshake,
        "terraforms": results,
    }
    out_dir = TARGET / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out_file = out_dir / f"provider-core-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    shutil.copyfile(out_file, out_dir / "provider-core-latest.json")
    print_report(report)
    print(f"JSON: {out_file}")


if __name__ == "__main__":
    main()
