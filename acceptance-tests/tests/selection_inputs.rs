//! The selection's expressive inputs under real Terraform: a tier that runs every role of a platform
//! (`longhorn/*`), an endpoint that is a tier and addresses at once, and the user's own `extra_flow` blocks, cited
//! as user-defined in the AWS rules.

use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;

const CONFIG: &str = r#"
data "portmatrix_aws_security_group_rules" "this" {
  platform {
    name = "kubernetes"
  }
  platform {
    name    = "longhorn"
    version = "1.7.2"
  }

  tier {
    name = "master"
  }
  tier {
    name = "worker"
  }
  tier {
    name  = "storage"
    roles = ["longhorn/*"]
  }
  tier {
    name = "lb"
  }

  # API clients come through the load balancer tier and, for operators, straight from their network.
  endpoint {
    name      = "api-clients"
    tier      = "lb"
    cidr_ipv4 = ["198.51.100.0/24"]
  }
  endpoint {
    name      = "bastion"
    cidr_ipv4 = ["192.0.2.10/32"]
  }

  extra_flow {
    from        = "bastion"
    to          = "worker"
    protocol    = "tcp"
    ports       = ["22"]
    description = "SSH from the bastion"
  }
}

output "ingress" {
  value = data.portmatrix_aws_security_group_rules.this.ingress
}

output "tiers" {
  value = data.portmatrix_aws_security_group_rules.this.tiers
}
"#;

#[test]
fn wildcard_roles_mixed_endpoints_and_extra_flows_reach_the_rules() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let outputs = Workspace::new(terraform, CONFIG).outputs();
        let ingress = &outputs["ingress"]["value"];
        let rule = |key: &str| -> &Value {
            let rule = &ingress[key];
            assert!(
                rule.is_object(),
                "{context}: no ingress rule {key}; rules: {:?}",
                ingress.as_object().map(|m| m.keys().collect::<Vec<_>>())
            );
            rule
        };

        // The endpoint is both: the lb tier's group and the operators' CIDR reach the API.
        assert_eq!(rule("master:tcp:6443:lb")["source_tier"], "lb", "{context}");
        assert_eq!(
            rule("master:tcp:6443:198.51.100.0/24")["cidr_ipv4"],
            "198.51.100.0/24",
            "{context}"
        );

        // The extra flow: one rule, cited as user-defined, described by the user's words.
        let ssh = rule("worker:tcp:22:192.0.2.10/32");
        assert_eq!(
            ssh["platforms"],
            serde_json::json!(["user-defined"]),
            "{context}"
        );
        let description = ssh["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("SSH from the bastion"),
            "{context}: {description}"
        );

        // Every Longhorn role runs on the storage tier and nowhere else.
        let storage = outputs["tiers"]["value"]["storage"]["roles"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            storage.len() > 5
                && storage
                    .iter()
                    .all(|r| r.as_str().is_some_and(|r| r.starts_with("longhorn/"))),
            "{context}: storage roles {storage:?}"
        );
        let worker = outputs["tiers"]["value"]["worker"]["roles"].to_string();
        assert!(
            !worker.contains("longhorn/"),
            "{context}: worker roles {worker}"
        );
    }
}
