//! Tests of parsing, validation and selection against fixture documents: `testdata/*.toml` and variants of them.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// A small valid document. Line numbers matter to the validation tests: 52 lines, flows[0] starts on line 45.
pub(super) const MINIMAL: &str = include_str!("testdata/minimal.toml");

/// The body of a second flow appended to MINIMAL by [`with_flow`]: `[[flows]]` on line 54, `from` on 55,
/// `to` 56, `protocol` 57, `ports` 58, `purpose` 59, `source` 60, `rows` 61; added keys start on line 62.
const FLOW: &str = r#"from = "agent"
to = "node"
protocol = "tcp"
ports = ["8500"]
purpose = "x"
source = "doc"
rows = ["r"]"#;

fn with_flow(body: &str) -> String {
    format!("{MINIMAL}\n[[flows]]\n{body}\n")
}

fn flow_with(replace: &str, by: &str) -> String {
    assert!(FLOW.contains(replace), "fixture has no {replace:?}");
    with_flow(&FLOW.replace(replace, by))
}

fn minimal_with(replace: &str, by: &str) -> String {
    assert!(MINIMAL.contains(replace), "fixture has no {replace:?}");
    MINIMAL.replace(replace, by)
}

/// A release with every field of the format in use.
const STORE_OLD: &str = include_str!("testdata/store-1.2.toml");

/// The next release of the same platform.
const STORE_NEW: &str = include_str!("testdata/store-1.5.toml");

/// A catalog of the two `store` releases.
pub(crate) fn store_catalog() -> Catalog {
    let old = Catalog::parse_release(STORE_OLD, "store-1.2.toml").unwrap();
    let new = Catalog::parse_release(STORE_NEW, "store-1.5.toml").unwrap();
    Catalog::from_releases(vec![new, old]).unwrap()
}

fn lines(flows: &[&Flow]) -> Vec<String> {
    flows.iter().flat_map(|f| flow_lines(f)).collect()
}

/// A selection of `platform` at `version` with the options `options`.
fn selection(platform: &str, version: Option<&str>, options: &[(&str, &str)]) -> Selection {
    Selection {
        platform: platform.into(),
        version: version.map(str::to_owned),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn select(
    catalog: &Catalog,
    version: Option<&str>,
    options: &[(&str, &str)],
) -> Result<Vec<String>, SelectionError> {
    catalog
        .select(&selection("store", version, options))
        .map(|s| lines(&s.flows))
}

/// The origins of the releases of `store` in `catalog`, in order.
fn store_origins(catalog: &Catalog) -> Vec<&str> {
    catalog
        .platform("store")
        .unwrap()
        .releases
        .iter()
        .map(|r| r.origin.as_str())
        .collect()
}

#[test]
fn minimal_fixture_is_valid() {
    let release = Catalog::parse_release(MINIMAL, "demo.toml").unwrap();
    assert_eq!(release.flows.len(), 1);
    assert_eq!(MINIMAL.lines().count(), 52);
    assert!(Catalog::parse_release(&with_flow(FLOW), "demo.toml").is_ok());
}

#[test]
fn parses_every_field() {
    let r = Catalog::parse_release(STORE_OLD, "store-1.2.toml").unwrap();
    assert_eq!(r.origin, "store-1.2.toml");
    assert_eq!(r.platform.name, "store");
    assert_eq!(r.platform.title, "Store");
    assert_eq!(r.platform.versions.text(), ">=1.2.0, <1.5.0");
    assert_eq!(
        r.platform.version_note.as_deref(),
        Some("Pages for 1.2 to 1.4 share one table apart from the flows marked with versions.")
    );
    assert_eq!(r.platform.summary, "Block storage.");

    assert_eq!(
        r.sources,
        [
            Source {
                id: "networking".into(),
                document: "Store docs: Networking".into(),
                url: "https://example.org/store/1.4/networking".into(),
                version: "v1.2.0 to v1.4.4".into(),
                date: "2024-05-01".into(),
                seed: Some("000_example.txt".into()),
            },
            Source {
                id: "advisory".into(),
                document: "Store security advisory".into(),
                url: "https://example.org/store/advisory".into(),
                version: "v1.1".into(),
                date: "2021-12".into(),
                seed: None,
            },
        ]
    );
    assert_eq!(
        r.parameters,
        [
            Parameter {
                name: "apiserver_port".into(),
                description: "Port of the Kubernetes API server.".into(),
                default: Some(6443),
            },
            Parameter {
                name: "backupstore_port".into(),
                description: "User defined.".into(),
                default: None
            },
        ]
    );
    assert_eq!(
        r.endpoints,
        [Endpoint {
            name: "backupstore".into(),
            title: "External Backupstore".into(),
            description: "Backup target (S3, NFS, ...).".into(),
            formerly: vec![],
        }]
    );
    assert_eq!(r.options.len(), 2);
    assert_eq!(
        r.options[0],
        OptionSpec {
            name: "cni".into(),
            description: "CNI plugin of the cluster.".into(),
            values: vec!["canal".into(), "calico".into(), "flannel".into()],
            default: "canal".into(),
        }
    );
    assert_eq!(r.options[1].values, ["true", "false"]);
    assert_eq!(r.options[1].default, "false");

    assert_eq!(
        r.roles[0],
        Role {
            name: "manager".into(),
            title: "Store Manager".into(),
            network: Network::Pod,
            tiers: vec![Tier::Master, Tier::Worker],
            namespace: Some("store-system".into()),
            selector: BTreeMap::from([
                ("app".to_owned(), "store-manager".to_owned()),
                ("app.kubernetes.io/part-of".to_owned(), "store".to_owned()),
            ]),
            every_pod: false,
            description: "Control plane of the store.".into(),
        }
    );
    assert_eq!(r.roles[1].namespace, None);
    assert!(r.roles[1].selector.is_empty());
    assert_eq!(r.roles[2].network, Network::Host);
    assert_eq!(
        r.roles[2].tiers,
        [Tier::Master, Tier::Worker, Tier::Lb, Tier::External]
    );

    assert_eq!(r.flows.len(), 9);
    let f = &r.flows[0];
    assert_eq!(
        (f.from.as_str(), f.to.as_str(), f.protocol),
        ("manager", "instance-manager", Protocol::Tcp)
    );
    assert_eq!(
        f.ports,
        PortSpec::Ranges(vec![
            PortRange {
                from: 8500,
                to: 8500
            },
            PortRange {
                from: 8501,
                to: 8501
            }
        ])
    );
    assert!(f.icmp_types.is_empty());
    assert_eq!(f.purpose, "process-manager service");
    assert_eq!(f.source, "networking");
    assert_eq!(
        f.rows,
        [
            "Manager egress | Instance Manager | 8500; 8501 | TCP",
            "Instance Manager ingress | Manager | 8500; 8501 | TCP",
        ]
    );
    assert!(f.when.is_empty());
    assert_eq!(f.versions, None);
    assert_eq!(
        f.note.as_deref(),
        Some("Both directions of the table agree.")
    );
    assert_eq!(
        r.flows[1].ports,
        PortSpec::Parameter("backupstore_port".into())
    );
    assert_eq!(
        (r.flows[2].protocol, &r.flows[2].ports),
        (Protocol::Number(4), &PortSpec::All)
    );
    assert_eq!(
        r.flows[2].when,
        BTreeMap::from([(
            "cni".to_owned(),
            vec!["calico".to_owned(), "canal".to_owned()]
        )])
    );
    assert_eq!(
        (r.flows[3].protocol, r.flows[3].icmp_types.as_slice()),
        (Protocol::Icmp, [0u8, 8].as_slice())
    );
    assert_eq!(
        r.flows[4].ports,
        PortSpec::Ranges(vec![PortRange {
            from: 10000,
            to: 30000
        }])
    );
    assert_eq!(
        r.flows[4].versions.as_ref().map(VersionRange::text),
        Some("<1.3.0")
    );
    assert_eq!(
        r.flows[5].versions.as_ref().map(VersionRange::text),
        Some(">=1.3.0, <1.3.2")
    );

    assert_eq!(
        r.loopback,
        [Loopback {
            role: "manager".into(),
            protocol: Protocol::Tcp,
            ports: PortSpec::Ranges(vec![PortRange {
                from: 6060,
                to: 6060
            }]),
            purpose: "pprof".into(),
            source: "networking".into(),
            rows: vec!["Manager | 127.0.0.1:6060 | TCP".into()],
        }]
    );
    assert_eq!(
        r.disagreements,
        [Disagreement {
            topic: "Webhook rows".into(),
            text: "The webhook row is self-referential; the caller is the API server.".into(),
        }]
    );
}

#[test]
fn flow_lines_of_a_parsed_release() {
    let r = Catalog::parse_release(STORE_OLD, "store-1.2.toml").unwrap();
    let all: Vec<&Flow> = r.flows.iter().collect();
    assert_eq!(
        lines(&all),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> backupstore tcp ${backupstore_port}",
            "node -> node 4 all",
            "node -> node icmp all types=0,8",
            "manager -> instance-manager tcp 10000-30000",
            "manager -> manager tcp 9443",
            "node -> node udp 8472",
            "manager -> node tcp ${apiserver_port}",
            "manager -> instance-manager tcp 9600",
        ]
    );
}

/// (document, line, field, part of the message)
fn validation_cases() -> Vec<(String, usize, &'static str, &'static str)> {
    vec![
        // Errors found by the TOML parser / serde.
        (format!("bogus = 1\n{MINIMAL}"), 1, "bogus", "unknown field `bogus`"),
        (with_flow(&format!("{FLOW}\nprot = 1")), 62, "flows[1].prot", "unknown field `prot`"),
        (flow_with("ports = [\"8500\"]", "ports = [8500]"), 58, "flows[1].ports[0]", "invalid type: integer"),
        (minimal_with("network = \"pod\"", "network = \"pdo\""), 41, "roles[1].network", "unknown variant `pdo`"),
        (minimal_with("tiers = [\"worker\"]", "tiers = [\"wrker\"]"), 42, "roles[1].tiers[0]", "unknown variant `wrker`"),
        (flow_with("purpose = \"x\"\n", ""), 54, "flows[1]", "missing field `purpose`"),
        // An unclosed array continues on the next line, where the comma is missing.
        (flow_with("ports = [\"8500\"]", "ports = [\"8500\""), 59, "", "missing comma between array elements"),
        (flow_with("ports = [\"8500\"]", "ports = [\"8500\"]\nports = [\"8501\"]"), 59, "", "duplicate key"),
        (minimal_with("default = \"canal\"", "default = 1"), 20, "options[0].default", "invalid type: integer"),
        // The document and platform.
        (minimal_with("format = 1", "format = 2"), 1, "format", "format 2 is not supported"),
        (minimal_with("name = \"demo\"", "name = \"Demo\""), 4, "platform.name", "\"Demo\" is not a valid name"),
        (minimal_with("name = \"demo\"", "name = \"de_mo\""), 4, "platform.name", "[a-z0-9][a-z0-9-]*"),
        (minimal_with("title = \"Demo\"", "title = \" \""), 5, "platform.title", "must not be empty"),
        (minimal_with("versions = \">=1.0.0\"", "versions = \"1.x and up\""), 6, "platform.versions", "invalid version range"),
        (minimal_with("versions = \">=1.0.0\"", "versions = \">=2.0.0, <1.0.0\""), 6, "platform.versions", "covers no version"),
        (minimal_with("summary = \"A demo platform.\"", "summary = \"A\"\nversion_note = \"\""), 8, "platform.version_note", "must not be empty"),
        (minimal_with("summary = \"A demo platform.\"", "summary = \"A\"\nnewest_read = \"v1.2\""), 8, "platform.newest_read", "write the newest version read"),
        (minimal_with("summary = \"A demo platform.\"", "summary = \"A\"\nnewest_read = \"0.9\""), 8, "platform.newest_read", "lies outside the release's versions \">=1.0.0\""),
        // Sources.
        (minimal_with("url = \"https://example.org/demo\"", "url = \"example.org\""), 12, "sources[0].url", "not an http(s) address"),
        (minimal_with("id = \"doc\"", "id = \"Doc\""), 10, "sources[0].id", "not a valid name"),
        (minimal_with("date = \"2024-01-01\"", "date = \"\""), 14, "sources[0].date", "must not be empty"),
        (minimal_with("date = \"2024-01-01\"", "date = \"2024\"\nseed = \"\""), 15, "sources[0].seed", "must not be empty"),
        (
            format!("{MINIMAL}\n[[sources]]\nid = \"doc\"\ndocument = \"d\"\nurl = \"https://x\"\nversion = \"1\"\ndate = \"2024\"\n"),
            55,
            "sources[1].id",
            "duplicate source id \"doc\" (first at sources[0])",
        ),
        // Options and parameters.
        (minimal_with("default = \"canal\"", "default = \"weave\""), 20, "options[0].default", "default \"weave\" is not among the values: canal, flannel"),
        (minimal_with("values = [\"canal\", \"flannel\"]", "values = [\"canal\", \"canal\"]"), 19, "options[0].values[1]", "duplicate option value \"canal\""),
        (minimal_with("values = [\"canal\", \"flannel\"]", "values = []"), 19, "options[0].values", "at least one value"),
        (minimal_with("description = \"API server port.\"", "description = \"API server port.\"\ndefault = 70000"), 25, "parameters[0].default", "default 70000 is not a port"),
        (minimal_with("description = \"API server port.\"", "description = \"API server port.\"\ndefault = 0"), 25, "parameters[0].default", "not a port"),
        (minimal_with("name = \"api_port\"", "name = \"api port\""), 23, "parameters[0].name", "not a valid name"),
        // Endpoints and roles.
        (minimal_with("description = \"Backup target.\"", "description = \"Backup target.\"\ntiers = [\"external\"]"), 30, "endpoints[0].tiers", "endpoints take no tiers"),
        (minimal_with("name = \"backupstore\"", "name = \"node\""), 32, "roles[0].name", "duplicate role or endpoint name \"node\" (first at endpoints[0])"),
        (minimal_with("name = \"agent\"", "name = \"node\""), 39, "roles[1].name", "duplicate role or endpoint name \"node\" (first at roles[0])"),
        (minimal_with("network = \"host\"", "network = \"host\"\nnamespace = \"kube-system\""), 35, "roles[0].namespace", "namespace is for pod roles only"),
        (minimal_with("network = \"host\"", "network = \"host\"\nselector = { app = \"x\" }"), 35, "roles[0].selector", "selector is for pod roles only"),
        (minimal_with("network = \"host\"", "network = \"host\"\nevery_pod = true"), 35, "roles[0].every_pod", "every_pod is for pod roles only"),
        (minimal_with("network = \"pod\"", "network = \"pod\"\nevery_pod = true\nnamespace = \"kube-system\""), 43, "roles[1].namespace", "every_pod = true stands for the pods of every namespace and takes no namespace"),
        (minimal_with("network = \"pod\"", "network = \"pod\"\nevery_pod = true\nselector = { app = \"x\" }"), 43, "roles[1].selector", "takes no selector"),
        (minimal_with("tiers = [\"worker\"]", "tiers = []"), 42, "roles[1].tiers", "at least one tier"),
        (minimal_with("tiers = [\"worker\"]", "tiers = [\"worker\", \"worker\"]"), 42, "roles[1].tiers[1]", "tier worker is listed twice"),
        (minimal_with("network = \"pod\"", "network = \"pod\"\nnamespace = \"\""), 42, "roles[1].namespace", "must not be empty"),
        (minimal_with("description = \"The agent pod.\"", "description = \"\""), 43, "roles[1].description", "must not be empty"),
        // Flows: references.
        (flow_with("from = \"agent\"", "from = \"nobody\""), 55, "flows[1].from", "unknown role or endpoint \"nobody\"; valid: agent, backupstore, node"),
        (flow_with("to = \"node\"", "to = \"\""), 56, "flows[1].to", "unknown role or endpoint \"\""),
        (flow_with("source = \"doc\"", "source = \"docs\""), 60, "flows[1].source", "unknown source \"docs\"; valid: doc"),
        // Flows: protocol and ports.
        (flow_with("protocol = \"tcp\"", "protocol = \"ipip\""), 57, "flows[1].protocol", "unknown protocol \"ipip\"; write \"4\" for IP-in-IP"),
        (flow_with("protocol = \"tcp\"", "protocol = \"6\""), 57, "flows[1].protocol", "protocol \"6\" is tcp: write \"tcp\""),
        (flow_with("protocol = \"tcp\"", "protocol = \"17\""), 57, "flows[1].protocol", "write \"udp\""),
        (flow_with("ports = [\"8500\"]\n", ""), 54, "flows[1].ports", "protocol tcp needs ports or port_parameter"),
        (flow_with("protocol = \"tcp\"", "protocol = \"icmp\""), 58, "flows[1].ports", "protocol icmp has no ports; remove ports"),
        (flow_with("protocol = \"tcp\"", "protocol = \"50\""), 58, "flows[1].ports", "protocol 50 has no ports"),
        (
            flow_with("protocol = \"tcp\"\nports = [\"8500\"]", "protocol = \"4\"\nport_parameter = \"api_port\""),
            58,
            "flows[1].port_parameter",
            "protocol 4 has no ports; remove port_parameter",
        ),
        (with_flow(&format!("{FLOW}\nport_parameter = \"api_port\"")), 62, "flows[1].port_parameter", "either ports or port_parameter"),
        (flow_with("ports = [\"8500\"]", "port_parameter = \"apiport\""), 58, "flows[1].port_parameter", "unknown parameter \"apiport\"; valid: api_port"),
        (flow_with("ports = [\"8500\"]", "ports = [\"70000\"]"), 58, "flows[1].ports[0]", "outside 1..=65535"),
        (flow_with("ports = [\"8500\"]", "ports = [\"0\"]"), 58, "flows[1].ports[0]", "outside 1..=65535"),
        (flow_with("ports = [\"8500\"]", "ports = [\"30000-10000\"]"), 58, "flows[1].ports[0]", "ends before it starts"),
        (flow_with("ports = [\"8500\"]", "ports = [\"8500/tcp\"]"), 58, "flows[1].ports[0]", "invalid port \"8500/tcp\""),
        (flow_with("ports = [\"8500\"]", "ports = [\"8500\", \"8000-9000\"]"), 58, "flows[1].ports[1]", "8000-9000 overlaps 8500"),
        (flow_with("ports = [\"8500\"]", "ports = []"), 58, "flows[1].ports", "at least one port"),
        (with_flow(&format!("{FLOW}\nicmp_types = [8]")), 62, "flows[1].icmp_types", "icmp_types are for icmp/icmpv6 only, not tcp"),
        (
            flow_with("protocol = \"tcp\"\nports = [\"8500\"]", "protocol = \"icmpv6\"\nicmp_types = [128, 300]"),
            58,
            "flows[1].icmp_types[1]",
            "ICMP type 300 is outside 0..=255",
        ),
        (
            flow_with("protocol = \"tcp\"\nports = [\"8500\"]", "protocol = \"icmp\"\nicmp_types = [8, 8]"),
            58,
            "flows[1].icmp_types[1]",
            "ICMP type 8 is listed twice",
        ),
        (flow_with("protocol = \"tcp\"\nports = [\"8500\"]", "protocol = \"icmp\"\nicmp_types = []"), 58, "flows[1].icmp_types", "omit icmp_types"),
        // Flows: texts, rows, conditions, versions, duplicates.
        (flow_with("purpose = \"x\"", "purpose = \"  \""), 59, "flows[1].purpose", "must not be empty"),
        (flow_with("rows = [\"r\"]", "rows = []"), 61, "flows[1].rows", "cite at least one source row"),
        (flow_with("rows = [\"r\"]", "rows = [\"r\", \"\"]"), 61, "flows[1].rows[1]", "must not be empty"),
        (with_flow(&format!("{FLOW}\nnote = \"\"")), 62, "flows[1].note", "must not be empty"),
        (with_flow(&format!("{FLOW}\nwhen = {{ cnii = [\"canal\"] }}")), 62, "flows[1].when.cnii", "unknown option \"cnii\"; valid: cni"),
        (with_flow(&format!("{FLOW}\nwhen = {{ cni = [\"weave\"] }}")), 62, "flows[1].when.cni[0]", "option \"cni\" has no value \"weave\"; valid: canal, flannel"),
        (with_flow(&format!("{FLOW}\nwhen = {{ cni = [] }}")), 62, "flows[1].when.cni", "list at least one value"),
        (with_flow(&format!("{FLOW}\nwhen = {{ cni = [\"canal\", \"canal\"] }}")), 62, "flows[1].when.cni[1]", "listed twice"),
        (with_flow(&format!("{FLOW}\nversions = \"<1.0.0\"")), 62, "flows[1].versions", "\"<1.0.0\" lies outside the release's versions \">=1.0.0\""),
        (with_flow(&format!("{FLOW}\nversions = \"~~1\"")), 62, "flows[1].versions", "invalid version range"),
        (
            flow_with("from = \"agent\"\nto = \"node\"\nprotocol = \"tcp\"\nports = [\"8500\"]", "from = \"node\"\nto = \"node\"\nprotocol = \"tcp\"\nports = [\"10250\"]"),
            54,
            "flows[1]",
            "duplicates flows[0] (same from, to, protocol, ports, when and versions)",
        ),
        // Loopback and disagreements.
        (
            format!("{MINIMAL}\n[[loopback]]\nrole = \"backupstore\"\nprotocol = \"tcp\"\nports = [\"6060\"]\npurpose = \"p\"\nsource = \"doc\"\nrows = [\"r\"]\n"),
            55,
            "loopback[0].role",
            "unknown role \"backupstore\"; valid: agent, node",
        ),
        (
            format!("{MINIMAL}\n[[loopback]]\nrole = \"agent\"\nprotocol = \"tcp\"\npurpose = \"p\"\nsource = \"doc\"\nrows = [\"r\"]\n"),
            54,
            "loopback[0].ports",
            "protocol tcp needs ports",
        ),
        (
            format!("{MINIMAL}\n[[loopback]]\nrole = \"agent\"\nprotocol = \"tcp\"\nports = [\"6060\"]\nport_parameter = \"api_port\"\npurpose = \"p\"\nsource = \"doc\"\nrows = [\"r\"]\n"),
            58,
            "loopback[0].port_parameter",
            "unknown field `port_parameter`",
        ),
        (
            format!("{MINIMAL}\n[[not_flows]]\nsource = \"nope\"\nrows = [\"r\"]\nreason = \"x\"\n"),
            55,
            "not_flows[0].source",
            "unknown source \"nope\"; valid: doc",
        ),
        (format!("{MINIMAL}\n[[not_flows]]\nsource = \"doc\"\nrows = []\nreason = \"x\"\n"), 56, "not_flows[0].rows", "cite at least one source row"),
        (format!("{MINIMAL}\n[[not_flows]]\nsource = \"doc\"\nrows = [\"r\"]\nreason = \"\"\n"), 57, "not_flows[0].reason", "must not be empty"),
        (format!("{MINIMAL}\n[[not_flows]]\nsource = \"doc\"\nrows = [\"r\"]\n"), 54, "not_flows[0]", "missing field `reason`"),
        (format!("{MINIMAL}\n[[disagreements]]\ntopic = \"t\"\ntext = \"\"\n"), 56, "disagreements[0].text", "must not be empty"),
        (format!("{MINIMAL}\n[[disagreements]]\ntopic = \"t\"\n"), 54, "disagreements[0]", "missing field `text`"),
    ]
}

#[test]
fn validation_errors_name_line_and_field() {
    let mut failures = Vec::new();
    for (text, line, field, message) in validation_cases() {
        match Catalog::parse_release(&text, "demo.toml") {
            Ok(_) => failures.push(format!(
                "accepted, expected {field} at line {line}: {message}"
            )),
            Err(e) => {
                if e.origin != "demo.toml"
                    || e.line != Some(line)
                    || (!field.is_empty() && e.field != field)
                    || !e.message.contains(message)
                {
                    failures.push(format!(
                        "expected demo.toml:{line}: {field}: ...{message}...\n     got {e}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn error_display_names_file_line_and_field() {
    let e = Catalog::parse_release(
        &flow_with("protocol = \"tcp\"", "protocol = \"ipip\""),
        "longhorn-1.5.toml",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "longhorn-1.5.toml:57: flows[1].protocol: unknown protocol \"ipip\"; write \"4\" for IP-in-IP");
    let e = Catalog::parse_release("", "user_catalogs[0]").unwrap_err();
    assert!(e.to_string().starts_with("user_catalogs[0]"), "{e}");
    assert!(e.message.contains("missing field"), "{e}");
}

#[test]
fn sources_are_required() {
    let start = MINIMAL.find("[[sources]]").unwrap();
    let end = MINIMAL.find("[[options]]").unwrap();
    let text = format!("{}{}", &MINIMAL[..start], &MINIMAL[end..]);
    let e = Catalog::parse_release(&text, "demo.toml").unwrap_err();
    assert_eq!(e.field, "sources");
    assert!(e.message.contains("at least one [[sources]]"), "{e}");
}

#[test]
fn selection_evaluates_when_and_flow_versions() {
    let catalog = store_catalog();
    assert_eq!(
        select(&catalog, Some("1.2"), &[]).unwrap(),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> backupstore tcp ${backupstore_port}",
            "node -> node 4 all",
            "node -> node icmp all types=0,8",
            "manager -> instance-manager tcp 10000-30000",
            "node -> node udp 8472",
        ]
    );
    assert_eq!(
        select(&catalog, Some("1.3.1"), &[("cni", "flannel")]).unwrap(),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> backupstore tcp ${backupstore_port}",
            "node -> node icmp all types=0,8",
            "manager -> manager tcp 9443",
            "node -> node udp 8472",
        ]
    );
    assert_eq!(
        select(
            &catalog,
            Some("v1.4.4"),
            &[("cni", "calico"), ("policies", "true")]
        )
        .unwrap(),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> backupstore tcp ${backupstore_port}",
            "node -> node 4 all",
            "node -> node icmp all types=0,8",
            "manager -> node tcp ${apiserver_port}",
            "manager -> instance-manager tcp 9600",
        ]
    );
    // 1.3.2 is just past the webhook flow's range.
    assert!(!select(&catalog, Some("1.3.2"), &[])
        .unwrap()
        .contains(&"manager -> manager tcp 9443".to_owned()));
}

#[test]
fn selection_fills_defaults_and_reports_version() {
    let catalog = store_catalog();
    let selected = catalog
        .select(&selection("store", Some("1.3"), &[("policies", "true")]))
        .unwrap();
    assert_eq!(selected.release.origin, "store-1.2.toml");
    assert_eq!(selected.version, Some(semver::Version::new(1, 3, 0)));
    assert_eq!(
        selected.options,
        BTreeMap::from([
            ("cni".to_owned(), "canal".to_owned()),
            ("policies".to_owned(), "true".to_owned())
        ])
    );
    let json = serde_json::to_value(&selected).unwrap();
    assert_eq!(json["version"], "1.3.0");
    assert_eq!(json["release"]["platform"]["versions"], ">=1.2.0, <1.5.0");
}

#[test]
fn no_version_picks_the_newest_release() {
    let catalog = store_catalog();
    let selected = catalog.select(&selection("store", None, &[])).unwrap();
    assert_eq!(selected.release.origin, "store-1.5.toml");
    assert_eq!(selected.version, None);
    assert!(selected.options.is_empty());
    assert_eq!(
        lines(&selected.flows),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> instance-manager tcp 8502",
            "manager -> instance-manager tcp 8503",
            "manager -> instance-manager tcp 8504",
            "manager -> manager tcp 9501",
        ]
    );
    // Within a release, no version means its newest versions: only flow ranges reaching the top apply.
    let old_only =
        Catalog::from_releases(vec![
            Catalog::parse_release(STORE_OLD, "store-1.2.toml").unwrap()
        ])
        .unwrap();
    assert_eq!(
        select(&old_only, None, &[]).unwrap(),
        [
            "manager -> instance-manager tcp 8500",
            "manager -> instance-manager tcp 8501",
            "manager -> backupstore tcp ${backupstore_port}",
            "node -> node 4 all",
            "node -> node icmp all types=0,8",
            "node -> node udp 8472",
            "manager -> instance-manager tcp 9600",
        ]
    );
}

#[test]
fn versions_above_the_newest_read_select_the_release_with_a_warning() {
    let catalog = store_catalog();
    let warning = |version: Option<&str>| {
        let selected = catalog.select(&selection("store", version, &[])).unwrap();
        assert_eq!(selected.release.origin, "store-1.5.toml");
        selected.unread_version
    };
    assert_eq!(warning(None), None);
    assert_eq!(warning(Some("1.5")), None);
    assert_eq!(warning(Some("1.9.7")), None);
    assert_eq!(
        warning(Some("1.10")).as_deref(),
        Some(
            "store 1.10.0 is newer than the newest version whose documentation was read (1.9); the table of \
             store >=1.5.0 (store-1.5.toml) is used as read up to 1.9: compare the upstream page of 1.10.0 before \
             relying on it"
        )
    );
    assert!(warning(Some("2.0.0-rc.1")).is_some());
    let release = &catalog.platform("store").unwrap().releases[1];
    assert_eq!(release.platform.newest_read.as_ref().unwrap().text(), "1.9");
    // A release without newest_read never warns.
    let old = &catalog.platform("store").unwrap().releases[0];
    assert_eq!(
        old.unread_version_warning(&semver::Version::new(1, 4, 99)),
        None
    );
}

/// `newest_read = "none"`: read only from unreleased (main-branch) pages, so every requested version warns.
#[test]
fn a_release_read_only_from_unreleased_pages_warns_for_every_version() {
    let text = minimal_with(
        "summary = \"A demo platform.\"",
        "summary = \"A\"\nnewest_read = \"none\"",
    );
    let release = Catalog::parse_release(&text, "demo.toml").unwrap();
    assert!(release.platform.newest_read.as_ref().unwrap().is_none());
    for version in [semver::Version::new(1, 0, 0), semver::Version::new(7, 2, 1)] {
        assert_eq!(
            release.unread_version_warning(&version).as_deref(),
            Some(
                format!(
                    "demo {version}: no released documentation of demo was read; the table of demo >=1.0.0 \
                     (demo.toml) comes from unreleased (main-branch) pages: compare the upstream page of {version} \
                     before relying on it"
                )
                .as_str()
            )
        );
    }
}

#[test]
fn selection_errors_list_valid_values() {
    let catalog = store_catalog();
    let err = |platform: &str, version: Option<&str>, options: &[(&str, &str)]| {
        catalog
            .select(&selection(platform, version, options))
            .unwrap_err()
    };
    let e = err("stor", None, &[]);
    assert_eq!(
        e,
        SelectionError::UnknownPlatform {
            platform: "stor".into(),
            valid: vec!["store".into()]
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown platform \"stor\"; valid platforms: store"
    );

    let e = err("store", Some("1.1.9"), &[]);
    assert!(
        matches!(&e, SelectionError::VersionOutOfRange { releases, .. } if releases == &[">=1.2.0, <1.5.0", ">=1.5.0"])
    );
    assert_eq!(
        e.to_string(),
        "no release of store covers version 1.1.9; releases cover: >=1.2.0, <1.5.0; >=1.5.0"
    );

    let e = err("store", Some("latest"), &[]);
    assert!(matches!(&e, SelectionError::BadVersion { version, .. } if version == "latest"));
    assert!(e.to_string().contains("write e.g. \"1.5.2\""), "{e}");

    let e = err("store", Some("1.4"), &[("cnI", "canal")]);
    assert!(
        matches!(&e, SelectionError::UnknownOption { valid, .. } if valid == &["cni", "policies"])
    );
    assert_eq!(
        e.to_string(),
        "store >=1.2.0, <1.5.0 has no option \"cnI\"; valid options: cni, policies"
    );

    let e = err("store", Some("1.4"), &[("cni", "weave")]);
    assert_eq!(
        e.to_string(),
        "option \"cni\" of store >=1.2.0, <1.5.0 does not take \"weave\"; valid values: canal, calico, flannel"
    );

    let e = err("store", None, &[("cni", "canal")]);
    assert_eq!(
        e.to_string(),
        "store >=1.5.0 has no option \"cni\"; valid options: (none)"
    );
}

#[test]
fn catalogs_reject_overlapping_releases() {
    let catalog = store_catalog();
    let names: Vec<&str> = catalog.platforms().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["store"]);
    assert_eq!(
        store_origins(&catalog),
        ["store-1.2.toml", "store-1.5.toml"],
        "sorted by lower bound"
    );

    let overlapping = STORE_NEW.replace("versions = \">=1.5.0\"", "versions = \">=1.4.0\"");
    let user = Catalog::parse_release(&overlapping, "user_catalogs[0]").unwrap();
    let e = catalog.with_releases(vec![user]).unwrap_err();
    assert_eq!(e.origin, "user_catalogs[0]");
    assert_eq!(e.field, "platform.versions");
    assert!(
        e.message
            .contains("overlap versions \">=1.2.0, <1.5.0\" of store (store-1.2.toml)"),
        "{e}"
    );

    let star = STORE_NEW.replace("versions = \">=1.5.0\"", "versions = \"*\"");
    let user = Catalog::parse_release(&star, "user_catalogs[1]").unwrap();
    assert!(catalog.with_releases(vec![user]).is_err());
}

#[test]
fn with_releases_adds_user_documents() {
    let catalog = store_catalog();
    let user = Catalog::parse_release(MINIMAL, "user_catalogs[0]").unwrap();
    let older = STORE_NEW
        .replace("versions = \">=1.5.0\"", "versions = \"<1.2.0\"")
        .replace("newest_read = \"1.9\"\n", "");
    let older = Catalog::parse_release(&older, "user_catalogs[1]").unwrap();
    let bigger = catalog.with_releases(vec![user, older]).unwrap();
    let names: Vec<&str> = bigger.platforms().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["demo", "store"]);
    assert_eq!(
        store_origins(&bigger),
        ["user_catalogs[1]", "store-1.2.toml", "store-1.5.toml"]
    );
    assert!(bigger.select(&selection("demo", None, &[])).is_ok());
    // The original catalog is unchanged.
    assert!(catalog.platform("demo").is_none());
}

/// Pieces of catalog documents, so that generated texts reach deep into parsing and validation.
const FRAGMENTS: &[&str] = &[
    "format = 1",
    "format = 2",
    "[platform]",
    "name = \"p\"",
    "title = \"P\"",
    "versions = \">=1.0.0\"",
    "versions = \"*\"",
    "summary = \"s\"",
    "[[sources]]",
    "id = \"s\"",
    "document = \"d\"",
    "url = \"https://x\"",
    "version = \"1\"",
    "date = \"2024\"",
    "[[roles]]",
    "network = \"pod\"",
    "tiers = [\"worker\"]",
    "description = \"d\"",
    "[[flows]]",
    "from = \"p\"",
    "to = \"p\"",
    "protocol = \"tcp\"",
    "protocol = \"icmp\"",
    "ports = [\"1-2\", \"3\"]",
    "icmp_types = [0, 999]",
    "when = { a = [\"b\"] }",
    "versions = \"<1\"",
    "rows = [\"r\"]",
    "purpose = \"x\"",
    "source = \"s\"",
    "[[options]]",
    "values = [\"a\"]",
    "default = \"a\"",
    "[[loopback]]",
    "role = \"p\"",
    "x = ",
    "\"unterminated",
    "[[",
    "]]",
    "= =",
    "a.b.c = 1",
    "\u{feff}",
    "é = 1",
];

proptest! {
    #[test]
    fn garbage_never_panics(text in any::<String>()) {
        let _ = Catalog::parse_release(&text, "fuzz");
    }

    #[test]
    fn fragment_soup_never_panics(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40)) {
        let _ = Catalog::parse_release(&parts.join("\n"), "fuzz");
    }

    #[test]
    fn damaged_documents_never_panic(cut in 0..STORE_OLD.len(), insert in any::<char>()) {
        let mut damaged: String = STORE_OLD.chars().take(cut).collect();
        damaged.push(insert);
        damaged.extend(STORE_OLD.chars().skip(cut + 1));
        let _ = Catalog::parse_release(&damaged, "fuzz");
        let _ = Catalog::parse_release(&STORE_OLD.chars().take(cut).collect::<String>(), "fuzz");
    }
}
