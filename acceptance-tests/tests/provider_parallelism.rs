//! Terraform's `-parallelism` reaches the provider: reads are served concurrently, so 1000 data sources plan
//! faster with `-parallelism=50` than with `-parallelism=1`. When the provider served one request at a time
//! (reads on the gRPC runtime's only thread), the two took the same time.
//!
//! A comparison in one run, not a timed bound: the plans alternate, and the faster of two runs of each is
//! compared, so machine load hits both alike. Measured on 2 cores with Terraform 1.11.4: the provider before
//! reads left the gRPC runtime took 1.26-1.31 times as long with `-parallelism=50` as with 1; this one takes
//! 0.44 of the time unloaded and 0.67-0.74 with the machine's other core and more busy.

use portmatrix_acceptance_tests::{terraforms, Workspace};
use std::time::{Duration, Instant};

const THOUSAND_READS: &str = r#"
data "portmatrix_flows" "many" {
  count = 1000
  platform {
    name = "etcd"
  }
}

output "reads" {
  value = length(data.portmatrix_flows.many)
}
"#;

fn plan(workspace: &Workspace, parallelism: u32) -> Duration {
    let flag = format!("-parallelism={parallelism}");
    let started = Instant::now();
    let run = workspace.run(&["plan", "-input=false", "-no-color", &flag], &[]);
    let took = started.elapsed();
    assert!(run.success, "plan {flag} failed: {}", run.failure_report());
    took
}

#[test]
fn a_thousand_reads_plan_faster_with_parallelism_50_than_with_1() {
    // The newest Terraform only: the point is the provider, and each plan costs seconds.
    let terraform = terraforms().last().expect("a Terraform");
    let workspace = Workspace::new(terraform, THOUSAND_READS);
    let (mut serial, mut parallel) = (Duration::MAX, Duration::MAX);
    for _ in 0..2 {
        serial = serial.min(plan(&workspace, 1));
        parallel = parallel.min(plan(&workspace, 50));
    }
    let ratio = parallel.as_secs_f64() / serial.as_secs_f64();
    println!(
        "terraform {}: 1000 reads, -parallelism=1 {serial:?}, -parallelism=50 {parallel:?} (ratio {ratio:.2})",
        terraform.version
    );
    assert!(
        ratio < 0.9,
        "-parallelism=50 took {parallel:?} against {serial:?} with -parallelism=1: reads are served one at a time"
    );
}
