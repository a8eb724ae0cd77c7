//! Engine behaviour on small catalogs written for each case.

use super::*;
use crate::catalog::Selection;
use crate::test_support::assert_contains;

const STORAGE: &str = r#"
format = 1
platform = { name = "storage", title = "Storage", versions = ">=1.0.0", summary = "A made-up storage system." }
sources = [{ id = "doc", document = "Storage networking page", url = "https://example.invalid/storage", version = "1.0", date = "2026-01-01" }]
parameters = [{ name = "apiserver_port", description = "API server port." }]
endpoints = [
  { name = "backupstore", title = "Backupstore", description = "Where backups go." },
  { name = "kubernetes-api", title = "Kubernetes API", description = "The API server." },
]
roles = [
  { name = "manager", title = "Manager", network = "pod", tiers = ["master", "worker"], description = "Manager pods." },
  { name = "node", title = "Node", network = "host", tiers = ["master", "worker"], description = "Every node." },
  { name = "console", title = "Console", network = "host", tiers = ["external"], description = "An operator console outside the cluster." },
]
flows = [
  { from = "manager", to = "manager", protocol = "tcp", ports = ["9500"], purpose = "manager API", source = "doc", rows = ["Manager | 9500 | TCP"] },
  { from = "node", to = "manager", protocol = "tcp", ports = ["3260"], purpose = "iSCSI", source = "doc", rows = ["Node | 3260 | TCP"] },
  { from = "node", to = "node", protocol = "udp", ports = ["8472"], purpose = "VXLAN", source = "doc", rows = ["Node | 8472 | UDP"] },
  { from = "node", to = "node", protocol = "4", purpose = "IP-in-IP", source = "doc", rows = ["Node | IP-in-IP | 4"] },
  { from = "manager", to = "backupstore", protocol = "tcp", ports = ["443"], purpose = "backups", source = "doc", rows = ["Backupstore | 443 | TCP"] },
  { from = "manager", to = "kubernetes-api", protocol = "tcp", port_parameter = "apiserver_port", purpose = "Kubernetes API", source = "doc", rows = ["Kubernetes API server | Kubernetes API server port | TCP"] },
  { from = "console", to = "node", protocol = "tcp", ports = ["22"], purpose = "SSH", source = "doc", rows = ["Console | 22 | TCP"] },
]
"#;

fn catalog() -> Catalog {
    Catalog::from_releases(vec![
        Catalog::parse_release(STORAGE, "storage.toml").unwrap()
    ])
    .unwrap()
}

fn request() -> ExpansionRequest {
    ExpansionRequest {
        platforms: vec![Selection {
            platform: "storage".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A tier that takes the catalog's default placement.
fn default_tier(name: &str) -> TierSpec {
    TierSpec {
        name: name.into(),
        roles: None,
    }
}

/// A tier that lists its roles.
fn tier_with(name: &str, roles: &[&str]) -> TierSpec {
    let roles = roles.iter().map(|r| r.to_string()).collect();
    TierSpec {
        name: name.into(),
        roles: Some(roles),
    }
}

fn keys(expansion: &Expansion) -> Vec<String> {
    expansion.rules.iter().map(Rule::key).collect()
}

/// Asserts that `expansion` holds a rule with each key of `wanted`, and lists its keys when one is missing.
#[track_caller]
fn assert_has_rules(expansion: &Expansion, wanted: &[&str]) {
    let keys = keys(expansion);
    for key in wanted {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
}

fn endpoint(name: &str, ipv4: &[&str]) -> EndpointSpec {
    EndpointSpec {
        name: name.into(),
        ipv4: ipv4.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// The request of [`request`] with the endpoint blocks `endpoints`, each with its IPv4 CIDRs.
fn request_with_endpoints(endpoints: &[(&str, &[&str])]) -> ExpansionRequest {
    ExpansionRequest {
        endpoints: endpoints
            .iter()
            .map(|(name, ipv4)| endpoint(name, ipv4))
            .collect(),
        ..request()
    }
}

#[test]
fn overlay_needs_rules_only_for_host_and_outside_traffic() {
    let mut req = request_with_endpoints(&[
        ("backupstore", &["192.0.2.0/24"]),
        ("kubernetes-api", &["10.0.0.1/32"]),
    ]);
    req.api_server_port = Some(6443);
    let out = expand(&catalog(), &req).unwrap();
    assert_eq!(
        keys(&out),
        [
            // Destinations in order (tiers before endpoints), then sources, then protocols (tcp, udp, ..., numbers).
            "master->master:udp:8472",
            "master->master:4:all",
            "worker->master:udp:8472",
            "worker->master:4:all",
            "master->worker:udp:8472",
            "master->worker:4:all",
            "worker->worker:udp:8472",
            "worker->worker:4:all",
            "master->backupstore:tcp:443",
            "worker->backupstore:tcp:443",
            "master->kubernetes-api:tcp:6443",
            "worker->kubernetes-api:tcp:6443",
        ]
    );
    let not_needed: Vec<(&str, &str)> = out
        .not_needed
        .iter()
        .map(|f| (f.from_role.as_str(), f.to_role.as_str()))
        .collect();
    assert_eq!(not_needed, [("manager", "manager"), ("node", "manager")]);
    assert!(out
        .not_needed
        .iter()
        .all(|f| f.reason.contains("CNI tunnel")));
    // The external console has no endpoint block: its flow is skipped and said so.
    assert_eq!(out.skipped.len(), 1);
    assert_contains(&out.warnings[0], "role storage/console runs on no tier");
}

#[test]
fn routed_pods_need_rules_between_their_tiers() {
    let out = expand(
        &catalog(),
        &ExpansionRequest {
            pod_network: PodNetwork::Routed,
            ..request()
        },
    )
    .unwrap();
    assert_has_rules(
        &out,
        &[
            "master->worker:tcp:9500",
            "worker->master:tcp:9500",
            "worker->worker:tcp:3260",
        ],
    );
    assert!(out.not_needed.is_empty());
}

#[test]
fn missing_inputs_skip_flows_with_a_warning_naming_the_fix() {
    let out = expand(&catalog(), &request()).unwrap();
    // The engine mentions settings neutrally; here they are read as Terraform spells them.
    let text = crate::terraform_terms::in_terraform_terms(&out.warnings.join("\n"));
    assert_contains(&text, "add an endpoint block named \"backupstore\"");
    assert!(
        text.contains("the API server port has no value")
            && text.contains("set api_server_port = <port>"),
        "{text}"
    );
    assert!(!keys(&out)
        .iter()
        .any(|k| k.contains("backupstore") || k.contains("kubernetes-api")));
}

#[test]
fn an_endpoint_block_can_stand_for_an_external_role() {
    let req = request_with_endpoints(&[("console", &["198.51.100.7/32"])]);
    let out = expand(&catalog(), &req).unwrap();
    assert_has_rules(&out, &["console->master:tcp:22"]);
    assert_eq!(out.endpoints["console"].ipv4, ["198.51.100.7/32"]);
}

#[test]
fn listed_roles_override_default_placement() {
    let mut req = request();
    req.tiers = vec![
        tier_with("control", &["storage/node"]),
        default_tier("worker"),
    ];
    let out = expand(&catalog(), &req).unwrap();
    assert_eq!(
        out.tiers[0],
        ("control".to_string(), vec!["storage/node".to_string()])
    );
    assert_eq!(
        out.tiers[1],
        ("worker".to_string(), vec!["storage/manager".to_string()])
    );
    assert_has_rules(&out, &["control->control:udp:8472"]);
    assert!(
        !keys(&out).iter().any(|k| k.contains("->worker:udp")),
        "node is only on control now"
    );
}

#[test]
fn input_errors_point_at_the_attribute_and_list_valid_choices() {
    let mut req = request();
    req.tiers = vec![default_tier("frontend"), tier_with("Bad Name", &["nope"])];
    req.endpoints = vec![
        endpoint("backupstore", &["10.0.0.1/8", "not-a-cidr"]),
        endpoint("elsewhere", &[]),
    ];
    req.parameters.insert("apiserver_port".into(), 70000);
    req.parameters.insert("colour".into(), 1);
    let errors = expand(&catalog(), &req).unwrap_err();
    let found = |path: Vec<PathStep>| {
        errors
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.to_string())
    };
    let f = |s: &str| PathStep::Field(s.into());
    let i = PathStep::Index;
    let text = found(vec![f("tier"), i(0), f("roles")]).unwrap();
    assert_contains(&text, "name it master, worker or lb");
    assert!(found(vec![f("tier"), i(1), f("name")]).is_some());
    let text = found(vec![f("tier"), i(1), f("roles"), i(0)]).unwrap();
    assert_contains(&text, "storage/manager");
    let text = found(vec![f("endpoint"), i(0), f("cidr_ipv4"), i(0)]).unwrap();
    assert_contains(&text, "\"10.0.0.0/8\"");
    assert!(found(vec![f("endpoint"), i(0), f("cidr_ipv4"), i(1)]).is_some());
    let text = found(vec![f("endpoint"), i(1), f("name")]).unwrap();
    assert_contains(&text, "backupstore, console, kubernetes-api");
}

#[test]
fn parameter_and_selection_errors_name_their_entry() {
    let mut req = request();
    req.parameters.insert("apiserver_port".into(), 70000);
    req.parameters.insert("colour".into(), 1);
    let errors = expand(&catalog(), &req).unwrap_err();
    let paths: Vec<&[PathStep]> = errors.iter().map(|e| e.path.as_slice()).collect();
    assert!(paths.contains(
        &&[
            PathStep::Field("parameters".into()),
            PathStep::Key("colour".into())
        ][..]
    ));
    assert!(paths.contains(
        &&[
            PathStep::Field("parameters".into()),
            PathStep::Key("apiserver_port".into())
        ][..]
    ));

    let mut req = request();
    req.platforms[0].options.insert("cni".into(), "x".into());
    req.platforms.push(Selection {
        platform: "nope".into(),
        ..Default::default()
    });
    let errors = expand(&catalog(), &req).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path.last(), Some(&PathStep::Key("cni".into())));
    assert_eq!(errors[1].summary, "Unknown platform \"nope\"");
    assert_eq!(errors[1].detail, "Valid platforms: storage.");
}

#[test]
fn same_input_same_output() {
    let req = request_with_endpoints(&[("backupstore", &["192.0.2.0/24", "198.51.100.0/24"])]);
    assert_eq!(expand(&catalog(), &req), expand(&catalog(), &req));
}

#[test]
fn builtin_stack_expands_without_inventing_protocol_4_ports() {
    let req = ExpansionRequest {
        platforms: ["kubernetes", "calico", "longhorn"]
            .iter()
            .map(|p| Selection {
                platform: p.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let out = expand(Catalog::builtin(), &req).unwrap();
    assert!(!out.rules.is_empty());
    for rule in &out.rules {
        if let Protocol::Number(_) = rule.protocol {
            assert_eq!(rule.ports, RulePorts::All, "{}", rule.key());
        }
        assert!(!rule.reasons.is_empty());
    }
    assert!(
        out.rules.iter().any(|r| r.key() == "worker->master:4:all"),
        "IP-in-IP between tiers"
    );
}

#[test]
fn an_endpoint_can_be_one_of_the_users_tiers() {
    let mut req = request();
    req.endpoints = vec![EndpointSpec {
        name: "kubernetes-api".into(),
        tier: Some("master".into()),
        ..Default::default()
    }];
    req.api_server_port = Some(6443);
    let out = expand(&catalog(), &req).unwrap();
    assert_has_rules(
        &out,
        &["master->master:tcp:6443", "worker->master:tcp:6443"],
    );
    assert!(
        !out.endpoints.contains_key("kubernetes-api")
            || out.endpoints["kubernetes-api"].ipv4.is_empty()
    );

    req.endpoints[0].tier = Some("control".into());
    req.endpoints[0].ipv4 = vec!["10.0.0.0/8".into()];
    let errors = expand(&catalog(), &req).unwrap_err();
    assert_contains(&errors[0].detail, "master, worker, lb");
}

#[test]
fn an_endpoint_can_be_a_tier_and_addresses_at_once() {
    let mut req = request();
    req.api_server_port = Some(6443);
    // Clients of the API through the lb tier, and an operator's network directly.
    req.endpoints = vec![EndpointSpec {
        name: "kubernetes-api".into(),
        tier: Some("lb".into()),
        ipv4: vec!["198.51.100.0/24".into()],
        ..Default::default()
    }];
    let out = expand(&catalog(), &req).unwrap();
    let api: Vec<String> = keys(&out)
        .into_iter()
        .filter(|k| k.ends_with(":tcp:6443"))
        .collect();
    // The manager (a pod role) reaches the API on the lb tier and at the addresses, from both tiers it runs on.
    assert_eq!(
        api,
        [
            "master->lb:tcp:6443",
            "worker->lb:tcp:6443",
            "master->kubernetes-api:tcp:6443",
            "worker->kubernetes-api:tcp:6443",
        ],
        "{:?}",
        keys(&out)
    );
    assert_eq!(out.endpoints["kubernetes-api"].ipv4, ["198.51.100.0/24"]);
}

#[test]
fn tier_roles_take_every_role_of_a_platform_with_a_wildcard() {
    let mut req = request();
    req.tiers = vec![tier_with("storage", &["storage/*"]), default_tier("master")];
    let out = expand(&catalog(), &req).unwrap();
    // Every cluster role of the platform; the external console stays outside.
    assert_eq!(
        out.tiers,
        [
            (
                "storage".to_string(),
                vec!["storage/manager".to_string(), "storage/node".to_string()]
            ),
            ("master".to_string(), Vec::new()),
        ]
    );
    req.tiers[0].roles = Some(vec!["nosuch/*".into()]);
    let errors = expand(&catalog(), &req).unwrap_err();
    assert_eq!(
        errors[0].summary,
        "Unknown platform \"nosuch\" in \"nosuch/*\""
    );
    assert_contains(&errors[0].detail, "selected: storage");
}

fn extra(from: &str, to: &str, protocol: &str, ports: &[&str]) -> ExtraFlowSpec {
    ExtraFlowSpec {
        from: from.into(),
        to: to.into(),
        protocol: protocol.into(),
        ports: ports.iter().map(|p| p.to_string()).collect(),
        description: "SSH from the bastion".into(),
    }
}

#[test]
fn extra_flows_become_rules_cited_as_user_defined() {
    let mut req = request_with_endpoints(&[("bastion", &["192.0.2.10/32"])]);
    req.extra_flows = vec![
        extra("bastion", "worker", "tcp", &["22"]),
        extra("master", "worker", "tcp", &["8000-8100", "9000"]),
        extra("storage/node", "master", "icmp", &[]),
        extra("worker", "bastion", "4", &[]),
    ];
    let out = expand(&catalog(), &req).unwrap();
    assert_has_rules(
        &out,
        &[
            "bastion->worker:tcp:22",
            "master->worker:tcp:8000-8100",
            "master->worker:tcp:9000",
            "master->master:icmp:all",
            "worker->master:icmp:all",
            "worker->bastion:4:all",
        ],
    );
    let ssh = out
        .rules
        .iter()
        .find(|r| r.key() == "bastion->worker:tcp:22")
        .unwrap();
    assert_eq!(ssh.platforms(), ["user-defined"]);
    assert_eq!(ssh.reasons[0].purpose, "SSH from the bastion");
    assert_eq!(
        ssh.reasons[0].rows,
        ["extra_flow[0]: bastion -> worker tcp 22"]
    );

    // Without the extra flows, none of these rules.
    req.extra_flows.clear();
    req.endpoints.clear();
    let plain = expand(&catalog(), &req).unwrap();
    assert!(plain
        .rules
        .iter()
        .all(|r| r.platforms() != ["user-defined"]));
}

#[test]
fn extra_flows_to_pods_in_an_overlay_need_no_rule() {
    let mut req = request();
    req.extra_flows = vec![extra("master", "storage/manager", "tcp", &["9600"])];
    let out = expand(&catalog(), &req).unwrap();
    assert!(keys(&out).iter().all(|k| !k.ends_with(":tcp:9600")));
    assert!(out
        .not_needed
        .iter()
        .any(|f| f.platform == "user-defined" && f.to_role == "storage/manager"));
    req.pod_network = PodNetwork::Routed;
    let out = expand(&catalog(), &req).unwrap();
    assert_has_rules(&out, &["master->worker:tcp:9600"]);
}

#[test]
fn bad_extra_flows_are_named_with_the_fix() {
    let mut req = request_with_endpoints(&[
        ("bastion", &["192.0.2.10/32"]),
        ("backupstore", &["192.0.2.0/24"]),
    ]);
    let mut empty = extra("bastion", "worker", "tcp", &["22"]);
    empty.description = " ".into();
    req.extra_flows = vec![
        extra("bastion", "worker", "ssh", &["22"]),
        extra("bastion", "worker", "tcp", &[]),
        extra("bastion", "worker", "icmp", &["8"]),
        extra("bastion", "worker", "tcp", &["70000"]),
        extra("bastion", "wokrer", "tcp", &["22"]),
        extra("bastion", "backupstore", "tcp", &["22"]),
        extra("bastion", "worker", "6", &[]),
        empty,
    ];
    let errors = expand(&catalog(), &req).unwrap_err();
    let found: Vec<(String, String)> = errors
        .iter()
        .map(|e| (format!("{:?}", e.path), e.summary.clone()))
        .collect();
    let at =
        |i: usize, field: &str| format!("[Field(\"extra_flow\"), Index({i}), Field(\"{field}\")]");
    assert_eq!(
        found,
        [
            (at(0, "protocol"), "Invalid protocol \"ssh\"".to_string()),
            (at(1, "ports"), "Invalid ports".to_string()),
            (at(2, "ports"), "Invalid ports".to_string()),
            (at(3, "ports"), "Invalid ports".to_string()),
            (at(4, "to"), "Unknown end \"wokrer\"".to_string()),
            (at(5, "to"), "Both ends are outside your tiers".to_string()),
            (at(6, "protocol"), "Invalid protocol \"6\"".to_string()),
            (at(7, "description"), "Empty description".to_string()),
        ]
    );
    assert_contains(&errors[4].detail, "master, worker, lb");
    assert_contains(&errors[6].detail, "write \"tcp\"");
    assert_contains(&errors[3].detail, "outside 1..=65535");
}

#[test]
fn an_endpoint_block_named_like_a_tier_is_unknown() {
    let mut req = request_with_endpoints(&[("worker", &["192.0.2.0/24"])]);
    req.extra_flows = vec![extra("worker", "master", "tcp", &["22"])];
    let errors = expand(&catalog(), &req).unwrap_err();
    assert_eq!(errors[0].summary, "Unknown endpoint \"worker\"");
    assert_eq!(
        errors[0].path,
        [field("endpoint"), PathStep::Index(0), field("name")]
    );
}

/// The built-in catalogs with `platforms` (default options) and `api_server_port`.
fn builtin(platforms: &[&str], api_server_port: Option<i64>) -> ExpansionRequest {
    ExpansionRequest {
        platforms: platforms
            .iter()
            .map(|name| Selection {
                platform: (*name).to_string(),
                version: None,
                options: BTreeMap::new(),
            })
            .collect(),
        api_server_port,
        ..Default::default()
    }
}

fn api_rules(out: &Expansion) -> Vec<String> {
    keys(out)
        .into_iter()
        .filter(|k| k.ends_with(":tcp:443") || k.ends_with(":tcp:6443"))
        .collect()
}

#[test]
fn one_api_server_port_serves_every_platform() {
    let catalog = Catalog::builtin();
    // Defaults from the sources: Kubernetes "6443 | Kubernetes API server" (Calico states none).
    let out = expand(catalog, &builtin(&["kubernetes", "calico"], None)).unwrap();
    assert_eq!(
        api_rules(&out),
        ["master->master:tcp:6443", "worker->master:tcp:6443"]
    );
    assert!(
        out.warnings.iter().all(|w| !w.contains("API server port")),
        "{:?}",
        out.warnings
    );
    // EKS, kOps and Kublr serve 443: one setting moves Kubernetes' and Calico's rows together.
    let out = expand(catalog, &builtin(&["kubernetes", "calico"], Some(443))).unwrap();
    assert_eq!(
        api_rules(&out),
        ["master->master:tcp:443", "worker->master:tcp:443"]
    );
    let reasons: BTreeSet<&str> = out
        .rules
        .iter()
        .filter(|r| r.key() == "worker->master:tcp:443")
        .flat_map(|r| r.reasons.iter().map(|reason| reason.platform.as_str()))
        .collect();
    assert_eq!(reasons, BTreeSet::from(["calico", "kubernetes"]));
    // Kublr's table gives 443.
    let out = expand(catalog, &builtin(&["kublr"], None)).unwrap();
    assert!(api_rules(&out).contains(&"worker->master:tcp:443".to_string()));
}

#[test]
fn platforms_that_disagree_on_the_api_server_port_need_the_setting() {
    let catalog = Catalog::builtin();
    let errors = expand(catalog, &builtin(&["kubernetes", "kublr"], None)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, [PathStep::Field("api_server_port".into())]);
    assert!(
        errors[0].detail.contains("kublr 443; kubernetes 6443")
            || errors[0].detail.contains("kubernetes 6443; kublr 443"),
        "{}",
        errors[0]
    );
    assert!(expand(catalog, &builtin(&["kubernetes", "kublr"], Some(443))).is_ok());
    let errors = expand(catalog, &builtin(&["kubernetes"], Some(0))).unwrap_err();
    assert_eq!(errors[0].path, [PathStep::Field("api_server_port".into())]);
}

#[test]
fn old_spellings_of_the_api_server_port_migrate() {
    let catalog = Catalog::builtin();
    // parameters.apiserver_port still works, with a warning naming the new setting.
    let mut req = builtin(&["kubernetes", "longhorn"], None);
    req.parameters.insert("apiserver_port".into(), 443);
    let out = expand(catalog, &req).unwrap();
    assert!(api_rules(&out).contains(&"worker->master:tcp:443".to_string()));
    assert!(
        crate::terraform_terms::in_terraform_terms(&out.warnings[0])
            .contains("replace it with api_server_port = 443"),
        "{:?}",
        out.warnings
    );
    // Both spellings with different ports: an error on the old one.
    req.api_server_port = Some(6443);
    let errors = expand(catalog, &req).unwrap_err();
    assert_eq!(
        errors[0].path,
        [
            PathStep::Field("parameters".into()),
            PathStep::Key("apiserver_port".into())
        ]
    );
    assert_eq!(
        crate::terraform_terms::in_terraform_terms(&errors[0].detail),
        "api_server_port is 6443 but parameters.apiserver_port is 443: remove parameters.apiserver_port."
    );
    // Calico's former option says where the setting went.
    let mut req = builtin(&["kubernetes", "calico"], None);
    req.platforms[1]
        .options
        .insert("apiserver_port".into(), "443".into());
    let errors = expand(catalog, &req).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        crate::terraform_terms::in_terraform_terms(&errors[0].detail)
            .contains("set api_server_port = 443"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_split_clients_endpoint_names_its_successors() {
    let catalog = Catalog::builtin();
    let clients = EndpointSpec {
        name: "clients".into(),
        ipv4: vec!["203.0.113.0/24".into()],
        ..Default::default()
    };
    let mut req = builtin(&["kubernetes"], None);
    req.endpoints = vec![clients.clone()];
    let errors = expand(catalog, &req).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].summary, "Unknown endpoint \"clients\"");
    assert!(
        errors[0].detail.contains("kubernetes/api-clients")
            && errors[0].detail.contains("kubernetes/nodeport-clients"),
        "{}",
        errors[0]
    );
    // ingress-nginx keeps an endpoint named clients: the block reaches it, and the kubernetes rows that used it
    // are skipped with a warning that says why.
    let mut req = builtin(&["kubernetes", "ingress-nginx"], None);
    req.endpoints = vec![clients];
    let out = expand(catalog, &req).unwrap();
    let api = out
        .warnings
        .iter()
        .find(|w| w.starts_with("endpoint \"api-clients\" of kubernetes has no addresses"))
        .expect("api-clients warning");
    assert_contains(api, "it was part of the endpoint \"clients\" before");
    assert!(!keys(&out).iter().any(|k| k.starts_with("clients->master")));
    // Without a clients block the history is noise: the warning only says what to add.
    let out = expand(catalog, &builtin(&["kubernetes", "ingress-nginx"], None)).unwrap();
    let missing: Vec<&String> = out
        .warnings
        .iter()
        .filter(|w| w.contains("-clients\" of kubernetes has no addresses"))
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", out.warnings);
    assert!(missing.iter().all(|w| !w.contains("before")), "{missing:?}");
}

/// RKE2's option `cni` chooses among CNIs that are platforms of their own: left at its default `canal` beside the
/// calico platform, the rules would open both CNIs' ports, so a warning names both ways out. Chosen to match, or
/// `none` (bring your own), there is nothing to say.
#[test]
fn a_platform_beside_an_option_that_chose_another_is_warned_of() {
    let catalog = Catalog::builtin();
    let overlap = |warnings: &[String]| -> Vec<String> {
        warnings
            .iter()
            .filter(|w| w.contains("is selected too"))
            .map(|w| crate::terraform_terms::in_terraform_terms(w))
            .collect()
    };
    let out = expand(catalog, &builtin(&["rke2", "calico"], None)).unwrap();
    assert_eq!(
        overlap(&out.warnings),
        ["rke2's option cni is \"canal\" (its default), yet the platform calico is selected too: the rules open \
          the ports of both. If calico is what runs, set options = { cni = \"calico\" } in the platform block \"rke2\"; if \
          canal is, remove platform { name = \"calico\" }"]
    );
    for value in ["calico", "none"] {
        let mut req = builtin(&["rke2", "calico"], None);
        req.platforms[0].options.insert("cni".into(), value.into());
        let out = expand(catalog, &req).unwrap();
        assert!(
            overlap(&out.warnings).is_empty(),
            "{value}: {:?}",
            out.warnings
        );
    }
    let mut req = builtin(&["rke2", "calico"], None);
    req.platforms[0]
        .options
        .insert("cni".into(), "cilium".into());
    let out = expand(catalog, &req).unwrap();
    assert_contains(&overlap(&out.warnings).join("\n"), "cni is \"cilium\", yet");
}

/// `count` tiers, each running every Kubernetes and Calico role.
fn many_tiers(count: usize) -> ExpansionRequest {
    let mut request = builtin(&["kubernetes", "calico"], None);
    request.tiers = (0..count)
        .map(|i| {
            let roles = ["kubernetes/control-plane", "kubernetes/worker"];
            tier_with(&format!("pool{i:03}"), &roles)
        })
        .collect();
    request
}

#[test]
fn a_selection_too_large_for_any_firewall_is_refused_naming_the_limit_and_the_largest_flows() {
    let catalog = Catalog::builtin();
    // Dozens of tiers are large but real (node pools): they expand.
    let fine = expand(catalog, &many_tiers(20)).expect("20 tiers expand");
    assert!(fine.rules.len() > 400, "{}", fine.rules.len());
    let errors = expand(catalog, &many_tiers(200)).expect_err("200 tiers are refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, vec![field("tier")]);
    assert_contains(&errors[0].summary, "more than the limit of 20000");
    // Every flow between all tiers contributes 200 x 200 rules per port range.
    assert!(
        errors[0].detail.contains("200 tiers here")
            && errors[0].detail.contains("40000 from kubernetes:")
            && errors[0]
                .detail
                .contains("(200 source tier(s) x 200 destination tier(s))"),
        "{}",
        errors[0].detail
    );
}

#[test]
fn a_bare_role_name_two_platforms_share_is_ambiguous_not_unknown() {
    let mut request = builtin(&["rke2", "k3s"], None);
    request.tiers = vec![tier_with("servers", &["server"])];
    let errors = expand(Catalog::builtin(), &request).expect_err("ambiguous");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].summary, "Ambiguous role \"server\"");
    assert!(
        errors[0].detail.contains("k3s/server") && errors[0].detail.contains("rke2/server"),
        "{}",
        errors[0].detail
    );
}

/// kubeadm with Calico without encapsulation (routed pods), CoreDNS and metrics-server at their defaults: routed
/// pods turn the add-ons' pod flows into rules that an overlay leaves to the tunnel. Expected from the documents:
/// kubeadm's CoreDNS manifests (53/UDP and 53/TCP; the Deployment tolerates the control-plane taint, so CoreDNS runs
/// on both node tiers) with every pod and host-network pod as clients ("DNS for Services and Pods"), and
/// metrics-server's README ("Control plane to Metrics Server ... pod IP and port 10250").
#[test]
fn routed_pods_add_the_cluster_add_ons_rules_that_an_overlay_leaves_to_the_tunnel() {
    let catalog = Catalog::builtin();
    let mut request = builtin(&["kubernetes", "calico"], None);
    request.platforms[1]
        .options
        .insert("encapsulation".into(), "none".into());
    let overlay = expand(catalog, &request).unwrap();
    request.pod_network = PodNetwork::Routed;
    let routed = expand(catalog, &request).unwrap();

    let (overlay_keys, routed_keys): (BTreeSet<String>, BTreeSet<String>) = (
        keys(&overlay).into_iter().collect(),
        keys(&routed).into_iter().collect(),
    );
    assert!(overlay_keys.is_subset(&routed_keys));
    let added: Vec<&String> = routed_keys.difference(&overlay_keys).collect();
    let mut want = Vec::new();
    for from in ["master", "worker"] {
        for to in ["master", "worker"] {
            for protocol in ["tcp", "udp"] {
                want.push(format!("{from}->{to}:{protocol}:53"));
            }
        }
    }
    want.sort();
    assert_eq!(added, want.iter().collect::<Vec<_>>());
    // Each DNS rule serves both client kinds.
    let dns = routed
        .rules
        .iter()
        .find(|r| r.key() == "worker->worker:udp:53")
        .unwrap();
    let purposes: Vec<&str> = dns.reasons.iter().map(|r| r.purpose.as_str()).collect();
    assert_eq!(
        purposes,
        [
            "cluster DNS (CoreDNS), queries of every pod",
            "cluster DNS (CoreDNS), queries of host-network pods"
        ]
    );
    // The API server's call to metrics-server's pods joins the kubelet rules from the control plane.
    for key in ["master->master:tcp:10250", "master->worker:tcp:10250"] {
        let rule = routed.rules.iter().find(|r| r.key() == key).unwrap();
        assert!(
            rule.reasons
                .iter()
                .any(|r| r.purpose == "kube-apiserver to metrics-server (aggregated Metrics API)"),
            "{key}: {rule:?}"
        );
    }
    // In the overlay the same flows are listed as not needed, and nothing else is.
    let not_needed: BTreeSet<(&str, &str, &str, &str)> = overlay
        .not_needed
        .iter()
        .map(|f| {
            (
                f.from_role.as_str(),
                f.to_role.as_str(),
                f.protocol.as_str(),
                f.ports.as_str(),
            )
        })
        .collect();
    let want: BTreeSet<(&str, &str, &str, &str)> = [
        ("control-plane", "coredns", "tcp", "53"),
        ("control-plane", "coredns", "udp", "53"),
        (
            "control-plane",
            "metrics-server",
            "tcp",
            "${metrics_server_port}",
        ),
        ("pods", "coredns", "tcp", "53"),
        ("pods", "coredns", "udp", "53"),
        ("worker", "coredns", "tcp", "53"),
        ("worker", "coredns", "udp", "53"),
    ]
    .into_iter()
    .collect();
    assert_eq!(not_needed, want);
    assert!(routed.not_needed.is_empty(), "{:?}", routed.not_needed);

    // coredns = "false" and metrics_server = "false": routed and overlay give the same rules again.
    for (option, value) in [("coredns", "false"), ("metrics_server", "false")] {
        request.platforms[0]
            .options
            .insert(option.into(), value.into());
    }
    let routed_bare = expand(catalog, &request).unwrap();
    request.pod_network = PodNetwork::Overlay;
    let overlay_bare = expand(catalog, &request).unwrap();
    assert_eq!(keys(&routed_bare), keys(&overlay_bare));
}

/// metrics_server_port moves the API server's call for metrics-server releases whose manifests serve on 4443
/// (v0.3.7, v0.4.x, v0.5.2-v0.6.4); the kubelet flows stay on 10250.
#[test]
fn the_metrics_server_port_follows_its_parameter() {
    let catalog = Catalog::builtin();
    let mut request = builtin(&["kubernetes"], None);
    request.pod_network = PodNetwork::Routed;
    request
        .parameters
        .insert("metrics_server_port".into(), 4443);
    let out = expand(catalog, &request).unwrap();
    let keys = keys(&out);
    for key in ["master->master:tcp:4443", "master->worker:tcp:4443"] {
        assert!(keys.contains(&key.to_string()), "{key}: {keys:?}");
    }
    assert!(keys.contains(&"worker->master:tcp:10250".to_string()));
}
