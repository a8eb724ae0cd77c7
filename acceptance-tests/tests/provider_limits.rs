//! Bounded work: a selection whose output grows beyond any firewall is refused with a diagnostic that names
//! the limit and the largest contributors, quickly, instead of taking gigabytes and ending in a transport error.

use portmatrix_acceptance_tests::{terraforms, Workspace};
use std::time::Instant;

/// 200 tiers running both Kubernetes roles: every flow between them multiplies 200 x 200.
const HUNDREDS_OF_TIERS: &str = r#"
data "portmatrix_aws_security_group_rules" "pools" {
  platform {
    name = "kubernetes"
  }
  dynamic "tier" {
    for_each = range(200)
    content {
      name  = format("pool%03d", tier.value)
      roles = ["kubernetes/control-plane", "kubernetes/worker"]
    }
  }
}
"#;

#[test]
fn hundreds_of_tiers_get_a_diagnostic_naming_the_limit() {
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, HUNDREDS_OF_TIERS);
        let started = Instant::now();
        let error = workspace.plan_error();
        println!(
            "terraform {}: refused in {:?}",
            terraform.version,
            started.elapsed()
        );
        let error = error.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            error.contains("The selection would produce")
                && error.contains("more than the limit of 20000")
                && error.contains("200 tiers here"),
            "terraform {}: {error}",
            terraform.version
        );
        assert!(
            !error.contains("Plugin error"),
            "terraform {}: {error}",
            terraform.version
        );
    }
}
