//! Bad input through real Terraform (every version the machine has): configurations a careless or hostile user
//! writes, each with the diagnostic the product owes them, its summary and the source line Terraform points at
//! (the attribute, or the element of it, that is wrong).
//!
//! Every case is one `data` block (or one aliased `provider` block and a data source using it), all cases of a
//! phase in one configuration, so the suite costs one `terraform validate -json` and one `terraform plan -json`
//! per Terraform. Diagnostics are mapped back to their case by the line their `range` starts on, and checked
//! against the block's `address` where Terraform gives one. A case passes when each of its errors has the
//! expected summary and at least one of them points at a line holding the expected text; where a case gives a
//! detail, one of its errors says it. Settings the pure layers mention are spelled as Terraform writes them
//! (`widen_to_fit = true`), never as the command line does (`--widen-to-fit`): no diagnostic names a flag.
//!
//! The expectations were written from what a user should be told, not from the provider's output.

use portmatrix_acceptance_tests::{terraforms, Terraform, Workspace};
use serde_json::Value;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Where a case's block goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `data "<type>"` block holding the body.
    Data(&'static str),
    /// An aliased `provider "portmatrix"` block holding the body, and a catalog data source that uses it.
    Provider,
}

/// One bad configuration: where it goes, what the user wrote, the summary Terraform must show (a substring) and
/// a substring of the source line the diagnostic must point at.
#[derive(Debug, Clone, Copy)]
struct Case {
    kind: Kind,
    body: &'static str,
    summary: &'static str,
    line: &'static str,
    /// A piece of the detail one of the case's errors must hold (empty: not checked).
    detail: &'static str,
}

const CATALOG: Kind = Kind::Data("portmatrix_catalog");
const FLOWS: Kind = Kind::Data("portmatrix_flows");
const AWS: Kind = Kind::Data("portmatrix_aws_security_group_rules");
const AUDIT: Kind = Kind::Data("portmatrix_aws_security_group_audit");
const GCP: Kind = Kind::Data("portmatrix_gcp_firewall_rules");
const AZURE: Kind = Kind::Data("portmatrix_azure_nsg_rules");
const OPENSTACK: Kind = Kind::Data("portmatrix_openstack_secgroup_rules");
const HCLOUD: Kind = Kind::Data("portmatrix_hcloud_firewall_rules");
const NFT: Kind = Kind::Data("portmatrix_nftables_ruleset");
const K8S: Kind = Kind::Data("portmatrix_kubernetes_network_policies");
const PROVIDER: Kind = Kind::Provider;

const fn case(kind: Kind, body: &'static str, summary: &'static str, line: &'static str) -> Case {
    detailed(kind, body, summary, line, "")
}

/// A case whose error must also say `detail`.
const fn detailed(
    kind: Kind,
    body: &'static str,
    summary: &'static str,
    line: &'static str,
    detail: &'static str,
) -> Case {
    Case {
        kind,
        body,
        summary,
        line,
        detail,
    }
}

/// `later`: a value `terraform validate` does not know yet.
const VALIDATE_VARIABLES: &str = "variable \"later\" {\n  type = string\n}\n";

/// Cases `terraform validate` must refuse: what is wrong is visible in the configuration alone (the variable
/// `later`, unknown to validate, stands for values known only at apply).
const VALIDATE: &[Case] = &[
    // --- portmatrix_catalog ---
    case(CATALOG, r#"platform = "longhron""#, "Unknown platform \"longhron\"", r#"platform = "longhron""#),
    case(CATALOG, r#"platform = "Longhorn""#, "Unknown platform \"Longhorn\"", r#"platform = "Longhorn""#),
    case(CATALOG, r#"platform = """#, "Unknown platform \"\"", r#"platform = """#),
    case(CATALOG, r#"platform = " kubernetes""#, "Unknown platform", r#"platform = " kubernetes""#),
    case(CATALOG, r#"user_catalogs = [null]"#, "Null element in user_catalogs", "user_catalogs = [null]"),
    case(CATALOG, r#"user_catalogs = ["not a catalog"]"#, "Invalid user catalog", r#"user_catalogs = ["not a catalog"]"#),
    case(CATALOG, r#"user_catalogs = [""]"#, "Invalid user catalog", r#"user_catalogs = [""]"#),
    case(CATALOG, "user_catalogs = [\"[platform]\\nname = \\\"x\\\"\"]", "Invalid user catalog", "user_catalogs = ["),
    case(CATALOG, r#"platfrom = "longhorn""#, "Unsupported argument", "platfrom"),
    case(CATALOG, r#"platform = ["longhorn"]"#, "Incorrect attribute value type", r#"platform = ["longhorn"]"#),
    case(CATALOG, r#"user_catalogs = "x.toml""#, "Incorrect attribute value type", r#"user_catalogs = "x.toml""#),
    // --- portmatrix_flows: the selection every rule data source shares ---
    case(FLOWS, "", "Insufficient platform blocks", "data \"portmatrix_flows\""),
    case(FLOWS, "platform {}", "Missing required argument", "platform {}"),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = { encapsulation = null }\n}", "Null value in platform[0].options", "encapsulation = null"),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = [\"vxlan\"]\n}", "Incorrect attribute value type", r#"options = ["vxlan"]"#),
    case(FLOWS, "platform {\n  name = \"kubernetes\"\n  nmae = \"x\"\n}", "Unsupported argument", "nmae"),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"control\"\n  roles = [null]\n}", "Null element in tier[0].roles", "roles = [null]"),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"control\"\n  roles = \"kubernetes/control-plane\"\n}", "Incorrect attribute value type", "roles = \"kubernetes/control-plane\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0/8\", null]\n}", "Null element in endpoint[0].cidr_ipv4", r#"cidr_ipv4 = ["10.0.0.0/8", null]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = \"10.0.0.0/8\"\n}", "Incorrect attribute value type", r#"cidr_ipv4 = "10.0.0.0/8""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint { cidr_ipv4 = [\"10.0.0.0/8\"] }", "Missing required argument", "endpoint {"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-63a5400a\"]\n}", "Unsupported argument", "prefix_list_ids"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = 9000.5 }", "is not a port", "backupstore_port = 9000.5"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = null }", "Null value in parameters", "backupstore_port = null"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = \"s3\" }", "Incorrect attribute value type", "parameters = {"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = 6443.5", "api_server_port is not a port", "api_server_port = 6443.5"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = \"https\"", "Incorrect attribute value type", "api_server_port = \"https\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\npod_network = \"tunnel\"", "Invalid pod_network", "pod_network = \"tunnel\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\npod_network = \"\"", "Invalid pod_network", "pod_network = \"\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\npod_network = \"Routed\"", "Invalid pod_network", "pod_network = \"Routed\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\nuser_catalogs = [null]", "Null element in user_catalogs", "user_catalogs = [null]"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nuser_catalogs = [\"garbage\"]", "Invalid user catalog", "user_catalogs = [\"garbage\"]"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nflows = []", "Value for unconfigurable attribute", "flows = []"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nwarnings = []", "Value for unconfigurable attribute", "warnings = []"),
    // Known mistakes are refused while the rest waits for apply.
    case(FLOWS, "platform { name = var.later }\npod_network = \"tunnel\"", "Invalid pod_network", "pod_network = \"tunnel\""),
    case(FLOWS, "platform { name = var.later }\nuser_catalogs = [null]", "Null element in user_catalogs", "user_catalogs = [null]"),
    // --- portmatrix_aws_security_group_rules ---
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"xyz\"]\n}", "Invalid prefix list ID \"xyz\"", r#"prefix_list_ids = ["xyz"]"#),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-\"]\n}", "Invalid prefix list ID \"pl-\"", r#"prefix_list_ids = ["pl-"]"#),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-ZZZ\"]\n}", "Invalid prefix list ID \"pl-ZZZ\"", r#"prefix_list_ids = ["pl-ZZZ"]"#),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-63a5400a\", \"pl-123\"]\n}", "Invalid prefix list ID \"pl-123\"", "\"pl-123\""),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"PL-63A5400A\"]\n}", "Invalid prefix list ID", "PL-63A5400A"),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-63A5400A\"]\n}", "Invalid prefix list ID", "pl-63A5400A"),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"sg-0123456789abcdef0\"]\n}", "Invalid prefix list ID", "sg-0123456789abcdef0"),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"10.0.0.0/8\"]\n}", "Invalid prefix list ID", "prefix_list_ids = [\"10.0.0.0/8\"]"),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [null]\n}", "Null element in endpoint[0].prefix_list_ids", "prefix_list_ids = [null]"),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = var.later\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-\"]\n}", "Invalid prefix list ID \"pl-\"", r#"prefix_list_ids = ["pl-"]"#),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = 0", "Invalid rules_per_group", "rules_per_group = 0"),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = -60", "Invalid rules_per_group", "rules_per_group = -60"),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = 60.5", "Invalid rules_per_group", "rules_per_group = 60.5"),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = 100000", "Invalid rules_per_group", "rules_per_group = 100000"),
    case(AWS, "platform { name = \"kubernetes\" }\nrules_per_group = \"sixty\"", "Incorrect attribute value type", "rules_per_group = \"sixty\""),
    case(AWS, "platform { name = \"kubernetes\" }\nwiden_to_fit = \"yes please\"", "Incorrect attribute value type", "widen_to_fit = \"yes please\""),
    // --- portmatrix_aws_security_group_audit ---
    case(AUDIT, "platform { name = \"kubernetes\" }", "Missing required argument", "data \"portmatrix_aws_security_group_audit\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"default\" }", "Invalid security group ID", "master = \"default\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"sg-\" }", "Invalid security group ID", "master = \"sg-\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"sg-12 34\" }", "Invalid security group ID", "master = \"sg-12 34\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"\" }", "Invalid security group ID", "master = \"\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = null }", "Null value in security_groups", "master = null"),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = [\"sg-0123456789abcdef0\"]", "Incorrect attribute value type", "security_groups = [\"sg-0123456789abcdef0\"]"),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"sg-0123456789abcdef0\" }\nrules_per_group = 0", "Invalid rules_per_group", "rules_per_group = 0"),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"sg-0123456789abcdef0\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [\"pl-ZZZ\"]\n}", "Invalid prefix list ID \"pl-ZZZ\"", "prefix_list_ids = [\"pl-ZZZ\"]"),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = \"sg-0123456789abcdef0\" }\nfail_on_excess = \"sometimes\"", "Incorrect attribute value type", "fail_on_excess = \"sometimes\""),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = var.later, worker = \"sg-x y\" }", "Invalid security group ID", "worker = \"sg-x y\""),
    // --- portmatrix_gcp_firewall_rules ---
    case(GCP, "platform { name = \"kubernetes\" }\npriority = -1", "Invalid priority", "priority = -1"),
    case(GCP, "platform { name = \"kubernetes\" }\npriority = 65536", "Invalid priority", "priority = 65536"),
    case(GCP, "platform { name = \"kubernetes\" }\npriority = 1000.5", "Invalid priority", "priority = 1000.5"),
    case(GCP, "platform { name = \"kubernetes\" }\nname_prefix = \"My_Cluster\"", "name_prefix", "name_prefix = \"My_Cluster\""),
    case(GCP, "platform { name = \"kubernetes\" }\nname_prefix = \"1cluster\"", "name_prefix", "name_prefix = \"1cluster\""),
    case(GCP, "platform { name = \"kubernetes\" }\nunsupported_flows = \"ignore\"", "Invalid unsupported_flows", "unsupported_flows = \"ignore\""),
    case(GCP, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [null] }", "Null element in tier_ranges[\"master\"]", "master = [null]"),
    case(GCP, "platform { name = \"kubernetes\" }\nservice_accounts = { master = null }", "Null value in service_accounts", "master = null"),
    // --- portmatrix_azure_nsg_rules ---
    case(AZURE, "platform { name = \"kubernetes\" }\nfirst_priority = 50", "Invalid first_priority", "first_priority = 50"),
    case(AZURE, "platform { name = \"kubernetes\" }\nlast_priority = 5000", "Invalid last_priority", "last_priority = 5000"),
    case(AZURE, "platform { name = \"kubernetes\" }\nfirst_priority = 100.5", "Invalid first_priority", "first_priority = 100.5"),
    case(AZURE, "platform { name = \"kubernetes\" }\nname_prefix = \"bad prefix!\"", "Invalid name_prefix", "name_prefix = \"bad prefix!\""),
    case(AZURE, "platform { name = \"kubernetes\" }\nunsupported_flows = \"drop\"", "Invalid unsupported_flows", "unsupported_flows = \"drop\""),
    case(AZURE, "platform { name = \"kubernetes\" }\nnsg_per_tier = \"maybe\"", "Incorrect attribute value type", "nsg_per_tier = \"maybe\""),
    // --- portmatrix_openstack_secgroup_rules ---
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = [\"IPv5\"]", "Invalid ethertype", "ethertypes = [\"IPv5\"]"),
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = [\"ipv4\"]", "Invalid ethertype", "ethertypes = [\"ipv4\"]"),
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = [\"IPv4\", \"IPv4\"]", "Duplicate ethertype", "ethertypes = [\"IPv4\", \"IPv4\"]"),
    detailed(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = []", "No ethertype", "ethertypes = []", "set ethertypes = [\"IPv4\"], ethertypes = [\"IPv6\"] or both, or leave ethertypes unset"),
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = [null]", "Null element in ethertypes", "ethertypes = [null]"),
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nunsupported_flows = \"Skip\"", "Invalid unsupported_flows", "unsupported_flows = \"Skip\""),
    case(OPENSTACK, "platform { name = \"kubernetes\" }\nethertypes = \"IPv4\"", "Incorrect attribute value type", "ethertypes = \"IPv4\""),
    // --- portmatrix_hcloud_firewall_rules ---
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"10.0.1.0/24\", null] }", "Null element in tier_ranges[\"master\"]", "master = [\"10.0.1.0/24\", null]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\nunsupported_flows = \"warn\"", "Invalid unsupported_flows", "unsupported_flows = \"warn\""),
    case(HCLOUD, "platform { name = \"kubernetes\" }\noutbound_rules = [true]", "Incorrect attribute value type", "outbound_rules = [true]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = [\"10.0.0.0/8\"]", "Incorrect attribute value type", "tier_ranges = [\"10.0.0.0/8\"]"),
    // --- portmatrix_nftables_ruleset ---
    case(NFT, "platform { name = \"kubernetes\" }", "Missing required argument", "data \"portmatrix_nftables_ruleset\""),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.7/24\"] }", "Invalid address", "master = [\"10.0.1.7/24\"]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"010.0.1.0/24\"] }", "Invalid address", "master = [\"010.0.1.0/24\"]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.010\"] }", "Invalid address", "master = [\"10.0.1.010\"]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = {\n  master = [\"10.0.1.0/24\"]\n  worker = [\"10.0.2.0/24\", \"node-1\"]\n}", "Invalid address", "worker = [\"10.0.2.0/24\", \"node-1\"]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [null] }", "Null element in tier_addresses[\"master\"]", "master = [null]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = null }", "Null value in tier_addresses", "master = null"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = \"10.0.1.0/24\" }", "Incorrect attribute value type", "tier_addresses = {"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }\npod_cidrs = [\"10.244.0.0/16\", \"10.244.1.1/16\"]", "Invalid address", "pod_cidrs = [\"10.244.0.0/16\", \"10.244.1.1/16\"]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }\npod_cidrs = [null]", "Null element in pod_cidrs", "pod_cidrs = [null]"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }\ninput_policy = \"reject\"", "Invalid input_policy", "input_policy = \"reject\""),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }\ninput_policy = \"DROP\"", "Invalid input_policy", "input_policy = \"DROP\""),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }\noutput_policy = \"deny\"", "Invalid output_policy", "output_policy = \"deny\""),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [var.later, \"10.0.1.1/24\"] }", "Invalid address", "master = [var.later, \"10.0.1.1/24\"]"),
    // --- portmatrix_kubernetes_network_policies ---
    case(K8S, "platform { name = \"longhorn\" }\nnode_cidrs = [\"10.0.0.1/16\"]", "\"10.0.0.1/16\" has host bits set", "node_cidrs = [\"10.0.0.1/16\"]"),
    case(K8S, "platform { name = \"longhorn\" }\nnode_cidrs = [\"010.0.0.0/16\"]", "has an octet with a leading zero", "node_cidrs = [\"010.0.0.0/16\"]"),
    case(K8S, "platform { name = \"longhorn\" }\nnode_cidrs = [\"nodes\"]", "\"nodes\" is not a CIDR block", "node_cidrs = [\"nodes\"]"),
    case(K8S, "platform { name = \"longhorn\" }\nnode_cidrs = [null]", "Null element in node_cidrs", "node_cidrs = [null]"),
    case(K8S, "platform { name = \"longhorn\" }\npolicy_types = [\"ingress\"]", "Unknown policy type \"ingress\"", "policy_types = [\"ingress\"]"),
    case(K8S, "platform { name = \"longhorn\" }\npolicy_types = [\"Ingress\", \"Both\"]", "Unknown policy type \"Both\"", "policy_types = [\"Ingress\", \"Both\"]"),
    case(K8S, "platform { name = \"longhorn\" }\nname_prefix = \"Longhorn_\"", "Invalid name_prefix", "name_prefix = \"Longhorn_\""),
    case(K8S, "platform { name = \"longhorn\" }\npod_selector { match_labels = { app = \"x\" } }", "Missing required argument", "pod_selector {"),
    case(K8S, "platform { name = \"longhorn\" }\ntier { name = \"master\" }", "Unsupported block type", "tier {"),
    case(K8S, "platform { name = \"longhorn\" }\npod_network = \"routed\"", "Unsupported argument", "pod_network"),
    // --- more of what people type ---
    case(CATALOG, "platform = \"kubernetes/\"", "Unknown platform", "platform = \"kubernetes/\""),
    // --- the provider block ---
    case(PROVIDER, "aws {\n  region = \"EU-CENTRAL-1\"\n}", "Invalid region", "region = \"EU-CENTRAL-1\""),
    case(PROVIDER, "aws {\n  region = \"\"\n}", "Invalid region", "region = \"\""),
    case(PROVIDER, "aws {\n  region = \"eu central 1\"\n}", "Invalid region", "region = \"eu central 1\""),
    case(PROVIDER, "aws {\n  endpoint_url = \"ec2.local\"\n}", "Invalid endpoint_url", "endpoint_url = \"ec2.local\""),
    case(PROVIDER, "aws {\n  endpoint_url = \"ftp://ec2.local\"\n}", "Invalid endpoint_url", "endpoint_url = \"ftp://ec2.local\""),
    case(PROVIDER, "aws {\n  endpoint_url = \"http://\"\n}", "Invalid endpoint_url", "endpoint_url = \"http://\""),
    case(PROVIDER, "aws {\n  endpoint_url = \"https:///ec2\"\n}", "Invalid endpoint_url", "endpoint_url = \"https:///ec2\""),
    case(PROVIDER, "aws {\n  assume_role_arn = \"audit\"\n}", "Invalid assume_role_arn", "assume_role_arn = \"audit\""),
    case(PROVIDER, "aws {\n  assume_role_arn = \"arn:aws:iam::123456789012:user/audit\"\n}", "Invalid assume_role_arn", "assume_role_arn = \"arn:aws:iam::123456789012:user/audit\""),
    case(PROVIDER, "aws {\n  assume_role_arn = \"\"\n}", "Invalid assume_role_arn", "assume_role_arn = \"\""),
    case(PROVIDER, "aws {\n  profile = \"\"\n}", "Invalid profile", "profile = \"\""),
    case(PROVIDER, "aws {\n  regoin = \"eu-central-1\"\n}", "Unsupported argument", "regoin"),
    case(PROVIDER, "aws {\n  region = [\"eu-central-1\"]\n}", "Incorrect attribute value type", "region = [\"eu-central-1\"]"),
    case(PROVIDER, "region = \"eu-central-1\"", "Unsupported argument", "region = \"eu-central-1\""),
    case(PROVIDER, "aws {}\naws {}", "Duplicate aws block", "aws {}"),
];

/// Cases only the expansion finds (platforms, versions, options, roles, tiers, endpoints, parameter and address
/// values): validation runs no expansion, so `terraform validate` passes them and `terraform plan`, which reads
/// the data sources, refuses them with the same diagnostic at the same attribute.
const READ: &[Case] = &[
    case(FLOWS, r#"platform { name = "longhron" }"#, "Unknown platform \"longhron\"", r#"name = "longhron""#),
    case(FLOWS, r#"platform { name = "" }"#, "Unknown platform \"\"", r#"name = """#),
    case(FLOWS, "platform {\n  name = \"longhorn\"\n  version = \"0.9\"\n}", "Unsupported version", r#"version = "0.9""#),
    case(FLOWS, "platform {\n  name = \"longhorn\"\n  version = \"latest\"\n}", "Unsupported version", r#"version = "latest""#),
    case(FLOWS, "platform {\n  name = \"longhorn\"\n  version = \"1.x\"\n}", "Unsupported version", r#"version = "1.x""#),
    case(FLOWS, "platform {\n  name = \"longhorn\"\n  version = \"\"\n}", "Unsupported version", r#"version = """#),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = { encapsulaton = \"vxlan\" }\n}", "Unknown option \"encapsulaton\"", "encapsulaton"),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = { encapsulation = \"gre\" }\n}", "Invalid value for option \"encapsulation\"", r#"encapsulation = "gre""#),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = { encapsulation = \"VXLAN\" }\n}", "Invalid value for option \"encapsulation\"", r#"encapsulation = "VXLAN""#),
    case(FLOWS, "platform {\n  name = \"calico\"\n  options = { apiserver_port = \"443\" }\n}", "became the setting api_server_port", "apiserver_port"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nplatform { name = \"kubernetes\" }", "Platform \"kubernetes\" is selected twice", "name = \"kubernetes\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"Master\"\n  roles = [\"kubernetes/worker\"]\n}", "Invalid tier name \"Master\"", r#"name  = "Master""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"\"\n  roles = [\"kubernetes/worker\"]\n}", "Invalid tier name \"\"", r#"name  = """#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"pl-master\"\n  roles = [\"kubernetes/worker\"]\n}", "Invalid tier name \"pl-master\"", r#"name  = "pl-master""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"web tier\"\n  roles = [\"kubernetes/worker\"]\n}", "Invalid tier name \"web tier\"", r#"name  = "web tier""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier { name = \"master\" }\ntier { name = \"master\" }", "Duplicate tier \"master\"", r#"name = "master""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier { name = \"control\" }", "Tier \"control\" has no roles", r#"tier { name = "control" }"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"control\"\n  roles = [\"kubernetes/apiserverr\"]\n}", "Unknown role \"kubernetes/apiserverr\"", r#"roles = ["kubernetes/apiserverr"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint { name = \"the-internet\" }", "Unknown endpoint \"the-internet\"", r#"name = "the-internet""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.1/8\"]\n}", "\"10.0.0.1/8\" has host bits set", r#"cidr_ipv4 = ["10.0.0.1/8"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"010.0.0.0/8\"]\n}", "\"010.0.0.0/8\" has an octet with a leading zero", r#"cidr_ipv4 = ["010.0.0.0/8"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"192.168.001.0/24\"]\n}", "has an octet with a leading zero", "192.168.001.0/24"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0\"]\n}", "\"10.0.0.0\" is not an IPv4 CIDR block", r#"cidr_ipv4 = ["10.0.0.0"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0/33\"]\n}", "\"10.0.0.0/33\" is not an IPv4 CIDR block", "10.0.0.0/33"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"any\"]\n}", "\"any\" is not an IPv4 CIDR block", r#"cidr_ipv4 = ["any"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"2001:db8::/32\"]\n}", "is not an IPv4 CIDR block", "2001:db8::/32"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv6 = [\"10.0.0.0/8\"]\n}", "\"10.0.0.0/8\" is not an IPv6 CIDR block", r#"cidr_ipv6 = ["10.0.0.0/8"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv6 = [\"2001:DB8::/32\"]\n}", "is not written in canonical form", "2001:DB8::/32"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv6 = [\"2001:db8::1/32\"]\n}", "has host bits set", "2001:db8::1/32"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name = \"api-clients\"\n  tier = \"nosuch\"\n}", "Unknown tier \"nosuch\"", r#"tier = "nosuch""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nextra_flow {\n  from        = \"master\"\n  to          = \"worker\"\n  protocol    = \"ssh\"\n  ports       = [\"22\"]\n  description = \"SSH\"\n}", "Invalid protocol \"ssh\"", r#"protocol    = "ssh""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nextra_flow {\n  from        = \"master\"\n  to          = \"wokrer\"\n  protocol    = \"tcp\"\n  ports       = [\"22\"]\n  description = \"SSH\"\n}", "Unknown end \"wokrer\"", r#"to          = "wokrer""#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nextra_flow {\n  from        = \"master\"\n  to          = \"worker\"\n  protocol    = \"icmp\"\n  ports       = [\"8\"]\n  description = \"ping\"\n}", "Invalid ports", r#"ports       = ["8"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"storage\"\n  roles = [\"longhorn/*\"]\n}", "Unknown platform \"longhorn\" in \"longhorn/*\"", r#"roles = ["longhorn/*"]"#),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0/8\"]\n}\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.1.0.0/16\"]\n}", "api-clients", r#"name      = "api-clients""#),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = 0 }", "is not a port", "backupstore_port = 0"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = 70000 }", "is not a port", "backupstore_port = 70000"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore_port = -1 }", "is not a port", "backupstore_port = -1"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { backupstore = 9000 }", "Unknown parameter \"backupstore\"", "backupstore = 9000"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = 0", "is not a port", "api_server_port = 0"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = 65536", "is not a port", "api_server_port = 65536"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = 443\nparameters = { apiserver_port = 6443 }", "Two API server ports", "apiserver_port = 6443"),
    case(AWS, "platform {\n  name = \"rke2\"\n  options = { cni = \"weave\" }\n}", "Invalid value for option \"cni\"", "cni = \"weave\""),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"0.0.0.0/0\", \"10.0.0.1/8\"]\n}", "\"10.0.0.1/8\" has host bits set", "10.0.0.1/8"),
    case(AWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"masters\"\n  roles = [\"kubernetes/nosuch\"]\n}", "Unknown role \"kubernetes/nosuch\"", "roles = [\"kubernetes/nosuch\"]"),
    case(GCP, "platform { name = \"kubernetes\" }\ntag_prefix = \"Tag_\"", "Invalid tag_prefix", "tag_prefix = \"Tag_\""),
    case(GCP, "platform { name = \"kubernetes\" }\ntier_ranges = { nosuch = [\"10.0.0.0/24\"] }", "Unknown tier \"nosuch\"", "nosuch = [\"10.0.0.0/24\"]"),
    case(GCP, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"10.0.0.1/24\"] }", "Invalid range for tier \"master\"", "master = [\"10.0.0.1/24\"]"),
    case(GCP, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"010.0.0.0/24\"] }", "Invalid range for tier \"master\"", "master = [\"010.0.0.0/24\"]"),
    case(GCP, "platform { name = \"kubernetes\" }\nservice_accounts = {\n  master = \"m@p.iam.gserviceaccount.com\"\n  worker = \"w@p.iam.gserviceaccount.com\"\n  lb     = \"l@p.iam.gserviceaccount.com\"\n  nosuch = \"n@p.iam.gserviceaccount.com\"\n}", "Unknown tier \"nosuch\"", "nosuch = \"n@p.iam.gserviceaccount.com\""),
    case(GCP, "platform { name = \"kubernetes\" }\ntier {\n  name = \"my_tier\"\n  roles = [\"kubernetes/control-plane\"]\n}\ntier {\n  name = \"my-tier\"\n  roles = [\"kubernetes/worker\"]\n}", "share the network tag", "data \"portmatrix_gcp_firewall_rules\""),
    case(GCP, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0/8\"]\n  cidr_ipv6 = [\"10.0.0.0/8\"]\n}", "is not an IPv6 CIDR block", "cidr_ipv6 = [\"10.0.0.0/8\"]"),
    detailed(AZURE, "platform { name = \"kubernetes\" }\nfirst_priority = 3000\nlast_priority  = 2000", "Empty priority range", "last_priority  = 2000", "last_priority (2000) is below first_priority (3000)."),
    case(AZURE, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.00.0.0/16\"]\n}", "has an octet with a leading zero", "10.00.0.0/16"),
    case(AZURE, "platform {\n  name = \"kublr\"\n  options = { nosuch = \"x\" }\n}", "Unknown option \"nosuch\"", "nosuch = \"x\""),
    case(OPENSTACK, "platform {\n  name = \"etcd\"\n  version = \"2.3\"\n}", "Unsupported version", "version = \"2.3\""),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { nosuch = [\"10.0.0.0/24\"] }", "Unknown tier \"nosuch\"", "nosuch = [\"10.0.0.0/24\"]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"10.0.1.7/24\"] }", "Invalid range for tier \"master\"", "master = [\"10.0.1.7/24\"]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"10.0.1.007/32\"] }", "Invalid range for tier \"master\"", "master = [\"10.0.1.007/32\"]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"nope\"] }", "Invalid range for tier \"master\"", "master = [\"nope\"]"),
    case(K8S, "platform { name = \"longhorn\" }\npod_selector { role = \"longhorn/nosuch\" }", "Unknown pod role", "role = \"longhorn/nosuch\""),
    case(K8S, "platform { name = \"longhorn\" }\nendpoint {\n  name      = \"backupstore\"\n  cidr_ipv4 = [\"10.9.0.1/16\"]\n}", "\"10.9.0.1/16\" has host bits set", "cidr_ipv4 = [\"10.9.0.1/16\"]"),
    case(FLOWS, "platform { name = \"rke2\" }\nplatform { name = \"k3s\" }\ntier {\n  name  = \"servers\"\n  roles = [\"server\"]\n}", "Ambiguous role \"server\"", "roles = [\"server\"]"),
    case(FLOWS, "platform { name = \"kubernetes\" }\ntier {\n  name  = \"mäster\"\n  roles = [\"kubernetes/control-plane\"]\n}", "Invalid tier name", "mäster"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint { name = \"\" }", "Unknown endpoint \"\"", "endpoint { name = \"\" }"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint { name = \"kubernetes/api-clients/extra\" }", "Unknown endpoint", "kubernetes/api-clients/extra"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint { name = \"longhorn/backupstore\" }", "Unknown endpoint", "longhorn/backupstore"),
    case(FLOWS, "platform { name = \"longhorn\" }\nparameters = { \"\" = 9000 }", "Unknown parameter \"\"", "parameters = {"),
    case(FLOWS, "platform { name = \"kubernetes\" }\napi_server_port = 1e10", "is not a port", "api_server_port = 1e10"),
    case(FLOWS, "platform {\n  name    = \"metallb\"\n  version = \"0.12.1\"\n}", "Unsupported version", "version = \"0.12.1\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\" 10.0.0.0/8\"]\n}", "is not an IPv4 CIDR block", "\" 10.0.0.0/8\""),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [\"10.0.0.0/8,10.1.0.0/16\"]\n}", "is not an IPv4 CIDR block", "10.0.0.0/8,10.1.0.0/16"),
    case(K8S, "platform { name = \"longhorn\" }\npod_selector {\n  role         = \"longhorn/longhorn-ui\"\n  match_labels = { app = \"longhorn-ui\" }\n}\npod_selector {\n  role         = \"longhorn/longhorn-ui\"\n  match_labels = { app = \"ui\" }\n}", "Duplicate pod_selector", "role         = \"longhorn/longhorn-ui\""),
    detailed(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = {\n  master = [\"10.0.1.0/24\"]\n  worker = [\"10.0.2.0/24\"]\n  nosuch = [\"10.0.9.0/24\"]\n}", "Unknown tier", "nosuch = [\"10.0.9.0/24\"]", "tier_addresses names \"nosuch\", which is not one of your tiers (master, worker, lb). Fix the name or add a tier block named \"nosuch\"."),
    detailed(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [\"10.0.1.0/24\"] }", "Tier without addresses", "tier_addresses = { master = [\"10.0.1.0/24\"] }", "Add its machines' CIDR blocks or addresses: tier_addresses = { worker = [\"10.0.1.0/24\"] }."),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = {}", "Tier without addresses", "tier_addresses = {}"),
    detailed(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [\"10.0.1.0/24\"] }", "has no address ranges", "tier_ranges = { master = [\"10.0.1.0/24\"] }", "Add tier_ranges = { worker = [\"<CIDR>\", ...] } with the addresses its servers use."),
    detailed(AWS, "platform { name = \"kubernetes\" }\nplatform { name = \"calico\" }\nplatform { name = \"longhorn\" }\nrules_per_group = 1", "Security group rule quota exceeded", "rules_per_group = 1", "Raise the quota with AWS and set rules_per_group, set widen_to_fit = true to open the fewest extra ports instead"),
    detailed(AZURE, "platform { name = \"kubernetes\" }\nfirst_priority = 100\nlast_priority  = 101", "Not enough priorities", "last_priority  = 101", "but first_priority..last_priority (100..101) holds 2: widen the range, or set nsg_per_tier = true to give each tier its own NSG."),
    case(GCP, "platform { name = \"kubernetes\" }\nservice_accounts = { master = \"m@p.iam.gserviceaccount.com\" }", "Tiers without a service account", "service_accounts = { master = \"m@p.iam.gserviceaccount.com\" }"),
    detailed(GCP, "platform { name = \"cilium\" }\nunsupported_flows = \"error\"", "Flows GCP firewall rules cannot express", "unsupported_flows = \"error\"", "Set unsupported_flows = \"widen\" to open the whole protocol instead (every ICMP type, every SCTP port), each listed in `widened`; or unsupported_flows = \"skip\" to leave them out"),
    detailed(HCLOUD, "platform { name = \"calico\" }\nunsupported_flows = \"error\"\ntier_ranges = {\n  master = [\"10.0.1.0/24\"]\n  worker = [\"10.0.2.0/24\"]\n  lb     = [\"10.0.3.0/24\"]\n}", "Flows Hetzner firewalls cannot express", "unsupported_flows = \"error\"", "Set unsupported_flows = \"widen\" to"),
];

/// The variables the plan cases read: `terraform validate` sees them unknown, `terraform plan` knows their
/// defaults, so these mistakes are found by the read, which repeats the checks.
const PLAN_VARIABLES: &str = r#"
variable "leading_zero" {
  default = "010.0.0.0/8"
}
variable "host_bits" {
  default = "10.0.1.7/24"
}
variable "prefix_list" {
  default = "pl-ZZZ"
}
variable "platform" {
  default = "longhron"
}
variable "group_name" {
  default = "default"
}
variable "catalogs" {
  type    = list(string)
  default = [null]
}
variable "options" {
  type    = map(string)
  default = { encapsulation = "gre" }
}
"#;

/// Cases whose mistake comes from a variable, so that only the read of `terraform plan` sees it.
const PLAN: &[Case] = &[
    case(CATALOG, "platform = var.platform", "Unknown platform \"longhron\"", "platform = var.platform"),
    case(CATALOG, "user_catalogs = var.catalogs", "Null element in user_catalogs", "user_catalogs = var.catalogs"),
    case(FLOWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name      = \"api-clients\"\n  cidr_ipv4 = [var.leading_zero]\n}", "has an octet with a leading zero", "cidr_ipv4 = [var.leading_zero]"),
    case(FLOWS, "platform {\n  name    = \"calico\"\n  options = var.options\n}", "Invalid value for option \"encapsulation\"", "options = var.options"),
    case(AWS, "platform { name = \"kubernetes\" }\nendpoint {\n  name            = \"api-clients\"\n  prefix_list_ids = [var.prefix_list]\n}", "Invalid prefix list ID \"pl-ZZZ\"", "prefix_list_ids = [var.prefix_list]"),
    case(AUDIT, "platform { name = \"kubernetes\" }\nsecurity_groups = { master = var.group_name }", "Invalid security group ID", "master = var.group_name"),
    case(GCP, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [var.host_bits] }", "Invalid range for tier \"master\"", "master = [var.host_bits]"),
    case(HCLOUD, "platform { name = \"kubernetes\" }\ntier_ranges = { master = [var.leading_zero], worker = [\"10.0.2.0/24\"] }", "Invalid range for tier \"master\"", "tier_ranges = {"),
    case(NFT, "platform { name = \"kubernetes\" }\ntier_addresses = { master = [var.host_bits] }", "Invalid address", "master = [var.host_bits]"),
    case(K8S, "platform { name = \"longhorn\" }\nnode_cidrs = [var.leading_zero]", "has an octet with a leading zero", "node_cidrs = [var.leading_zero]"),
];

/// The source of a phase's configuration and the line span of each case's block.
fn configuration(cases: &[Case], variables: &str) -> (String, Vec<(usize, usize)>) {
    // Workspace::new puts REQUIRED_PROVIDERS and a blank line first.
    let mut text = format!("{variables}\n");
    let offset = portmatrix_acceptance_tests::REQUIRED_PROVIDERS
        .lines()
        .count()
        + 1;
    let mut spans = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let start = offset + text.lines().count() + 1;
        match case.kind {
            Kind::Data(kind) => {
                writeln!(text, "data \"{kind}\" \"c{index:03}\" {{").unwrap();
                for line in case.body.lines() {
                    writeln!(text, "  {line}").unwrap();
                }
                writeln!(text, "}}").unwrap();
            }
            Kind::Provider => {
                writeln!(
                    text,
                    "provider \"portmatrix\" {{\n  alias = \"c{index:03}\""
                )
                .unwrap();
                for line in case.body.lines() {
                    writeln!(text, "  {line}").unwrap();
                }
                writeln!(text, "}}").unwrap();
                writeln!(
                    text,
                    "data \"portmatrix_catalog\" \"c{index:03}\" {{\n  provider = portmatrix.c{index:03}\n}}"
                )
                .unwrap();
            }
        }
        let end = offset + text.lines().count();
        spans.push((start, end));
        text.push('\n');
    }
    (text, spans)
}

/// A diagnostic as `-json` prints it: severity, summary, detail, address, start line and the quoted source.
#[derive(Debug)]
struct Found {
    severity: String,
    summary: String,
    detail: String,
    address: Option<String>,
    line: Option<usize>,
    code: String,
}

fn found(diagnostic: &Value) -> Found {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Found {
        severity: text(&diagnostic["severity"]),
        summary: text(&diagnostic["summary"]),
        detail: text(&diagnostic["detail"]),
        address: diagnostic["address"].as_str().map(str::to_string),
        line: diagnostic["range"]["start"]["line"]
            .as_u64()
            .map(|n| n as usize),
        code: text(&diagnostic["snippet"]["code"]),
    }
}

/// `terraform validate -json` prints one document; `terraform plan -json` one message per line.
fn diagnostics(stdout: &str) -> Vec<Found> {
    if let Ok(document) = serde_json::from_str::<Value>(stdout) {
        return document["diagnostics"]
            .as_array()
            .map(|list| list.iter().map(found).collect())
            .unwrap_or_default();
    }
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["type"] == "diagnostic")
        .map(|message| found(&message["diagnostic"]))
        .collect()
}

/// Runs one phase under one Terraform; returns the problems found (empty when every case passed).
fn check(
    terraform: &Terraform,
    cases: &[Case],
    variables: &str,
    args: &[&str],
) -> (Vec<String>, Duration) {
    let (text, spans) = configuration(cases, variables);
    let workspace = Workspace::new(terraform, &text);
    let started = Instant::now();
    let run = workspace.run(args, &[]);
    let elapsed = started.elapsed();
    let mut problems = Vec::new();
    if run.success {
        problems.push(format!("terraform {} succeeded", args[0]));
    }
    let mut per_case: Vec<Vec<Found>> = cases.iter().map(|_| Vec::new()).collect();
    for diagnostic in diagnostics(&run.stdout) {
        if diagnostic.summary == "Provider development overrides are in effect" {
            continue;
        }
        let owner = diagnostic.line.and_then(|line| {
            spans
                .iter()
                .position(|(start, end)| (*start..=*end).contains(&line))
        });
        match owner {
            Some(index) => per_case[index].push(diagnostic),
            None if diagnostic.severity == "error" => problems.push(format!(
                "an error belonging to no case: {diagnostic:?}\n{}",
                run.stderr
            )),
            None => {}
        }
    }
    for (index, (case, found)) in cases.iter().zip(&per_case).enumerate() {
        let label = format!("case c{index:03} ({:?}):\n{}\n", case.kind, case.body);
        let errors: Vec<&Found> = found.iter().filter(|d| d.severity == "error").collect();
        if errors.is_empty() {
            problems.push(format!("{label}  no error (expected {:?})", case.summary));
            continue;
        }
        for error in &errors {
            if !error.summary.contains(case.summary) {
                problems.push(format!(
                    "{label}  unexpected summary {:?} (expected {:?}): {}",
                    error.summary, case.summary, error.detail
                ));
            }
            let expected = match case.kind {
                Kind::Data(kind) => format!("data.{kind}.c{index:03}"),
                Kind::Provider => format!("portmatrix\"].c{index:03}"),
            };
            if let Some(address) = &error.address {
                if !address.ends_with(&expected) {
                    problems.push(format!(
                        "{label}  address {address:?}, expected {expected:?}"
                    ));
                }
            }
        }
        if !case.detail.is_empty() && !errors.iter().any(|e| e.detail.contains(case.detail)) {
            problems.push(format!(
                "{label}  no error says {:?}; they say {:?}",
                case.detail,
                errors.iter().map(|e| &e.detail).collect::<Vec<_>>()
            ));
        }
        for error in &errors {
            let text = format!("{} {}", error.summary, error.detail);
            // A flag (` --name`) or an unrendered setting would be the command line's words, not Terraform's.
            let flag = text.match_indices(" --").any(|(at, _)| {
                text.get(at + 3..)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_lowercase()))
            });
            if flag || text.contains('\u{E000}') {
                problems.push(format!(
                    "{label}  an error in the command line's terms: {text:?}"
                ));
            }
        }
        if !errors.iter().any(|e| e.code.contains(case.line)) {
            problems.push(format!(
                "{label}  no error points at a line holding {:?}; they point at {:?}",
                case.line,
                errors.iter().map(|e| &e.code).collect::<Vec<_>>()
            ));
        }
    }
    (problems, elapsed)
}

#[test]
fn every_bad_configuration_gets_its_diagnostic_at_its_attribute_under_every_terraform() {
    assert!(
        VALIDATE.len() + PLAN.len() + READ.len() >= 150,
        "{} cases",
        VALIDATE.len() + PLAN.len() + READ.len()
    );
    let plan_cases = [PLAN, READ].concat();
    let mut problems = Vec::new();
    for terraform in terraforms() {
        let (validate, validate_time) = check(
            terraform,
            VALIDATE,
            VALIDATE_VARIABLES,
            &["validate", "-json"],
        );
        let (plan, plan_time) = check(
            terraform,
            &plan_cases,
            PLAN_VARIABLES,
            &["plan", "-json", "-input=false", "-lock=false"],
        );
        eprintln!(
            "Terraform {}: {} cases in {:.1?} (validate), {} in {:.1?} (plan)",
            terraform.version,
            VALIDATE.len(),
            validate_time,
            plan_cases.len(),
            plan_time
        );
        for problem in validate.into_iter().chain(plan) {
            problems.push(format!("Terraform {}: {problem}", terraform.version));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
