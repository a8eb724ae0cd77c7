//! The comparison on a hand-made rule set and hand-made group rules.

use super::*;
use crate::catalog::Protocol;
use crate::targets::aws::{AwsProtocol, TierCounts};
use crate::test_support::assert_contains;

const MASTER: &str = "sg-0master";
const WORKER: &str = "sg-0worker";
const LB: &str = "sg-0lb";

fn required_rule(
    tier: &str,
    direction: Direction,
    peer: AwsPeer,
    protocol: AwsProtocol,
    ports: (Option<i64>, Option<i64>),
) -> AwsRule {
    AwsRule {
        tier: tier.into(),
        direction,
        endpoints: Vec::new(),
        peer,
        protocol,
        from_port: ports.0,
        to_port: ports.1,
        description: "portmatrix test".into(),
        platforms: vec!["kubernetes".into()],
        purposes: vec!["test".into()],
    }
}

fn tier(name: &str) -> AwsPeer {
    AwsPeer::Tier(name.into())
}

fn tcp(from: i64, to: i64) -> (AwsProtocol, (Option<i64>, Option<i64>)) {
    (AwsProtocol::Catalog(Protocol::Tcp), (Some(from), Some(to)))
}

/// master holds the API server (6443 from workers), etcd (2379-2380 among masters), IP-in-IP from workers and
/// ping from an admin network; worker holds the kubelet (10250 from masters); lb takes 443 from the internet.
/// master's egress reaches the kubelets.
fn rule_set() -> AwsRuleSet {
    let mut set = AwsRuleSet::default();
    let ingress = [
        ("master", tier("worker"), tcp(6443, 6443)),
        ("master", tier("master"), tcp(2379, 2380)),
        (
            "master",
            tier("worker"),
            (AwsProtocol::Catalog(Protocol::Number(4)), (None, None)),
        ),
        (
            "master",
            AwsPeer::Ipv4("10.1.0.0/16".into()),
            (AwsProtocol::Catalog(Protocol::Icmp), (Some(8), Some(-1))),
        ),
        ("worker", tier("master"), tcp(10250, 10250)),
        ("lb", AwsPeer::Ipv4("0.0.0.0/0".into()), tcp(443, 443)),
    ];
    for (on, peer, (protocol, ports)) in ingress {
        let rule = required_rule(on, Direction::Ingress, peer, protocol, ports);
        set.ingress.insert(rule.key(), rule);
    }
    let (protocol, ports) = tcp(10250, 10250);
    let rule = required_rule("master", Direction::Egress, tier("worker"), protocol, ports);
    set.egress.insert(rule.key(), rule);
    for name in ["lb", "master", "worker"] {
        set.tiers.insert(name.into(), TierCounts::default());
    }
    set
}

fn groups() -> BTreeMap<String, String> {
    [("lb", LB), ("master", MASTER), ("worker", WORKER)]
        .into_iter()
        .map(|(t, g)| (t.to_string(), g.to_string()))
        .collect()
}

/// An ingress rule of security group `sg` as EC2 reports it.
fn ingress(id: &str, sg: &str, proto: &str, ports: (i64, i64), peer: ObservedPeer) -> ObservedRule {
    ObservedRule {
        rule_id: id.into(),
        group_id: sg.into(),
        direction: Direction::Ingress,
        ip_protocol: proto.into(),
        from_port: Some(ports.0),
        to_port: Some(ports.1),
        peer,
    }
}

/// An egress rule of security group `sg` as EC2 reports it.
fn egress(id: &str, sg: &str, proto: &str, ports: (i64, i64), peer: ObservedPeer) -> ObservedRule {
    let rule = ingress(id, sg, proto, ports, peer);
    ObservedRule {
        direction: Direction::Egress,
        ..rule
    }
}

fn group(id: &str) -> ObservedPeer {
    ObservedPeer::Group(id.into())
}

fn v4(cidr: &str) -> ObservedPeer {
    ObservedPeer::Ipv4(cidr.into())
}

/// The group rules that apply `rule_set` exactly, spelled as moto and AWS return them (IP-in-IP comes back as
/// protocol "4" with ports -1).
fn applied() -> Vec<ObservedRule> {
    vec![
        ingress("sgr-01", MASTER, "tcp", (6443, 6443), group(WORKER)),
        ingress("sgr-02", MASTER, "tcp", (2379, 2380), group(MASTER)),
        ingress("sgr-03", MASTER, "4", (-1, -1), group(WORKER)),
        ingress("sgr-04", MASTER, "icmp", (8, -1), v4("10.1.0.0/16")),
        ingress("sgr-05", WORKER, "tcp", (10250, 10250), group(MASTER)),
        ingress("sgr-06", LB, "tcp", (443, 443), v4("0.0.0.0/0")),
        egress("sgr-07", MASTER, "tcp", (10250, 10250), group(WORKER)),
    ]
}

fn audit(observed: &[ObservedRule]) -> AuditReport {
    compare(&rule_set(), &groups(), observed, &AuditOptions::default())
}

/// The observed rules but those with the IDs `ids`.
fn without(observed: Vec<ObservedRule>, ids: &[&str]) -> Vec<ObservedRule> {
    let kept = observed.into_iter();
    kept.filter(|r| !ids.contains(&r.rule_id.as_str()))
        .collect()
}

/// The one finding of `report`: its tier, kind and finding.
fn only_finding(report: &AuditReport) -> (String, &'static str, &Finding) {
    let mut findings = all_findings(report);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    findings.remove(0)
}

fn all_findings(report: &AuditReport) -> Vec<(String, &'static str, &Finding)> {
    let mut out = Vec::new();
    for (tier, findings) in &report.tiers {
        for (kind, list) in findings.by_kind() {
            out.extend(list.iter().map(|f| (tier.clone(), kind, f)));
        }
    }
    out
}

#[test]
fn rules_applied_exactly_give_no_finding() {
    let report = audit(&applied());
    assert!(all_findings(&report).is_empty(), "{report:#?}");
    assert!(report.compliant);
    assert_eq!(
        report.summary,
        Summary {
            required: 7,
            observed: 7,
            ..Summary::default()
        }
    );
    assert_eq!(report.tiers["master"].security_group_id, MASTER);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn a_removed_rule_is_exactly_that_missing_rule() {
    let observed = without(applied(), &["sgr-05"]);
    let report = audit(&observed);
    let (tier, kind, finding) = only_finding(&report);
    assert_eq!((tier.as_str(), kind), ("worker", "missing"));
    assert_eq!(finding.key.as_deref(), Some("worker:tcp:10250:master"));
    assert_eq!(finding.direction, "ingress");
    assert_eq!(finding.peer, "master");
    assert_eq!(
        (
            finding.ip_protocol.as_str(),
            finding.from_port,
            finding.to_port
        ),
        ("tcp", Some(10250), Some(10250))
    );
    assert_eq!(finding.rule_id, None);
    assert_contains(&finding.detail, "tier master (sg-0master)");
    assert!(!report.compliant);
    assert_eq!(report.summary.missing, 1);
}

#[test]
fn the_kubelet_port_open_to_the_world_is_over_broad() {
    let mut observed = applied();
    observed.push(observed_rule_world("sgr-99", "0.0.0.0/0"));
    let report = audit(&observed);
    let (tier, kind, finding) = only_finding(&report);
    assert_eq!((tier.as_str(), kind), ("worker", "over-broad"));
    assert_eq!(finding.rule_id.as_deref(), Some("sgr-99"));
    assert_eq!(finding.peer, "0.0.0.0/0");
    assert_eq!(finding.key, None);
    assert_contains(&finding.detail, "worker:tcp:10250:master");
    assert!(!report.compliant);

    // ::/0 is over-broad as well.
    let mut observed = applied();
    observed.push(ObservedRule {
        peer: ObservedPeer::Ipv6("::/0".into()),
        ..observed_rule_world("sgr-98", "0.0.0.0/0")
    });
    let report = audit(&observed);
    assert_eq!(report.summary.over_broad, 1, "{report:#?}");
}

fn observed_rule_world(id: &str, cidr: &str) -> ObservedRule {
    ingress(id, WORKER, "tcp", (10250, 10250), v4(cidr))
}

#[test]
fn only_the_world_rule_covers_a_missing_internal_rule_and_is_still_over_broad() {
    let mut observed = without(applied(), &["sgr-05"]);
    let world = ingress("sgr-90", WORKER, "tcp", (10000, 11000), v4("0.0.0.0/0"));
    observed.push(world);
    let report = audit(&observed);
    let worker = &report.tiers["worker"];
    assert!(worker.missing.is_empty(), "{worker:#?}");
    assert_eq!(worker.covered.len(), 1);
    assert_eq!(worker.covered[0].covered_by, vec!["sgr-90".to_string()]);
    assert_eq!(worker.over_broad.len(), 1);
    assert!(worker.excess.is_empty());
    assert!(!report.compliant);

    // ::/0 alone does not let IPv4 traffic from the masters through.
    let mut observed = without(applied(), &["sgr-05"]);
    observed.push(ObservedRule {
        peer: ObservedPeer::Ipv6("::/0".into()),
        ..observed_rule_world("sgr-91", "0.0.0.0/0")
    });
    let report = audit(&observed);
    let worker = &report.tiers["worker"];
    assert_eq!(worker.missing.len(), 1, "{worker:#?}");
    assert_eq!(worker.over_broad.len(), 1);
}

#[test]
fn a_wider_rule_covers_and_is_named() {
    let mut observed = without(applied(), &["sgr-02", "sgr-04"]);
    observed.extend([
        ingress("sgr-20", MASTER, "tcp", (2000, 3000), group(MASTER)),
        ingress("sgr-21", MASTER, "icmp", (-1, -1), v4("10.0.0.0/8")),
    ]);
    let report = audit(&observed);
    let master = &report.tiers["master"];
    let covered: Vec<(Option<&str>, Vec<String>)> = master
        .covered
        .iter()
        .map(|f| (f.key.as_deref(), f.covered_by.clone()))
        .collect();
    assert_eq!(
        covered,
        vec![
            (
                Some("master:icmp:8:10.1.0.0/16"),
                vec!["sgr-21".to_string()]
            ),
            (
                Some("master:tcp:2379-2380:master"),
                vec!["sgr-20".to_string()]
            ),
        ]
    );
    assert!(master.missing.is_empty() && master.excess.is_empty() && master.over_broad.is_empty());
    assert!(report.compliant, "covered rules keep a group compliant");
    assert_eq!(report.summary.covered, 2);
}

#[test]
fn adjoining_rules_cover_together() {
    let mut observed = without(applied(), &["sgr-02"]);
    for (id, port) in [("sgr-31", 2380), ("sgr-30", 2379)] {
        observed.push(ingress(id, MASTER, "tcp", (port, port), group(MASTER)));
    }
    let report = audit(&observed);
    let master = &report.tiers["master"];
    assert_eq!(master.covered.len(), 1, "{master:#?}");
    assert_eq!(
        master.covered[0].covered_by,
        vec!["sgr-30".to_string(), "sgr-31".to_string()]
    );
    assert!(master.excess.is_empty());

    // A gap leaves the rule missing, and the pieces are then excess.
    let observed = without(observed, &["sgr-31"]);
    let report = audit(&observed);
    let master = &report.tiers["master"];
    assert_eq!(master.missing.len(), 1, "{master:#?}");
    assert_eq!(
        master
            .excess
            .iter()
            .map(|f| f.rule_id.clone())
            .collect::<Vec<_>>(),
        vec![Some("sgr-30".to_string())]
    );
}

#[test]
fn all_protocols_between_tiers_is_over_broad_elsewhere_it_is_excess() {
    let mut observed = applied();
    observed.push(ingress("sgr-40", MASTER, "-1", (-1, -1), group(WORKER)));
    observed.push(ingress("sgr-41", LB, "-1", (-1, -1), group(LB)));
    let report = audit(&observed);
    let master = &report.tiers["master"];
    assert_eq!(master.over_broad.len(), 1, "{master:#?}");
    assert_eq!(master.over_broad[0].ip_protocol, "-1");
    assert_eq!(master.over_broad[0].peer, "worker");
    assert_eq!(
        (master.over_broad[0].from_port, master.over_broad[0].to_port),
        (None, None)
    );
    assert!(master.over_broad[0].detail.contains("all protocols"));
    let lb = &report.tiers["lb"];
    assert_eq!(lb.excess.len(), 1, "{lb:#?}");
    assert_eq!(lb.excess[0].rule_id.as_deref(), Some("sgr-41"));
    assert_eq!(lb.excess[0].peer, "lb");
}

#[test]
fn excess_counts_against_compliance_only_when_asked() {
    let mut observed = applied();
    observed.push(ingress("sgr-50", LB, "tcp", (22, 22), v4("192.0.2.0/24")));
    let lenient = compare(&rule_set(), &groups(), &observed, &AuditOptions::default());
    assert_eq!(lenient.summary.excess, 1);
    assert!(lenient.compliant);
    let strict = compare(
        &rule_set(),
        &groups(),
        &observed,
        &AuditOptions {
            fail_on_excess: true,
            ..AuditOptions::default()
        },
    );
    assert!(!strict.compliant);
}

#[test]
fn aws_spellings_compare_equal() {
    let observed: Vec<ObservedRule> = applied()
        .into_iter()
        .map(|mut rule| {
            match rule.rule_id.as_str() {
                "sgr-01" => rule.ip_protocol = "6".into(),
                "sgr-05" => rule.ip_protocol = "TCP".into(),
                // moto stores protocol 4 with the ports it was sent.
                "sgr-03" => (rule.from_port, rule.to_port) = (Some(0), Some(0)),
                "sgr-04" => rule.peer = v4("10.1.7.9/16"),
                _ => {}
            }
            rule
        })
        .collect();
    let report = audit(&observed);
    assert!(all_findings(&report).is_empty(), "{report:#?}");
}

#[test]
fn the_default_allow_all_egress_is_over_broad_unless_egress_is_left_out() {
    let mut observed = applied();
    observed.push(egress("sgr-60", MASTER, "-1", (-1, -1), v4("0.0.0.0/0")));
    observed.push(egress("sgr-61", WORKER, "-1", (-1, -1), v4("0.0.0.0/0")));
    let report = audit(&observed);
    assert_eq!(report.tiers["master"].over_broad.len(), 1, "{report:#?}");
    assert_eq!(report.tiers["master"].over_broad[0].direction, "egress");
    // worker needs no outbound rule between tiers, so its allow-all egress is merely excess.
    assert_eq!(report.tiers["worker"].excess.len(), 1);

    let mut without_egress = without(observed, &["sgr-07"]);
    without_egress.sort_by(|a, b| b.rule_id.cmp(&a.rule_id));
    let options = AuditOptions {
        audit_egress: false,
        ..AuditOptions::default()
    };
    let report = compare(&rule_set(), &groups(), &without_egress, &options);
    assert!(all_findings(&report).is_empty(), "{report:#?}");
    assert!(report.compliant);
    assert_eq!(report.summary.required, 6);
    assert_eq!(report.warnings.len(), 1);
}

#[test]
fn tiers_left_out_are_named_and_not_audited() {
    let mut partial = groups();
    partial.remove("lb");
    let report = compare(&rule_set(), &partial, &applied(), &AuditOptions::default());
    assert!(!report.tiers.contains_key("lb"));
    assert!(all_findings(&report).is_empty(), "{report:#?}");
    assert_eq!(
        report.warnings,
        vec![
            "tier \"lb\" has required rules but no entry in security_groups: its group was not audited"
                .to_string()
        ]
    );
}

#[test]
fn unusable_group_maps_are_refused_with_the_fix() {
    let options = AuditOptions::default();
    assert_eq!(check_groups(&rule_set(), &groups(), &options), Ok(()));
    assert_eq!(
        check_groups(&rule_set(), &BTreeMap::new(), &options),
        Err(vec![GroupsError::Empty])
    );

    let mut map = groups();
    map.insert("workers".into(), "sg-0other".into());
    map.insert("lb".into(), WORKER.into());
    map.remove("master");
    let errors = check_groups(&rule_set(), &map, &options).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "the selection has no tier \"workers\"; its tiers are lb, master, worker.".to_string(),
            "tiers lb, worker all map to sg-0worker; each tier needs a security group of its own."
                .to_string(),
            "rules of tier \"worker\" reference tier \"master\", whose security group is not given: give \
             it too, so that rules referencing its group can be recognised."
                .to_string(),
        ]
    );
}

#[test]
fn findings_are_ordered_and_repeatable() {
    let mut observed = applied();
    observed.push(observed_rule_world("sgr-99", "0.0.0.0/0"));
    observed.push(ingress("sgr-50", LB, "tcp", (22, 22), v4("192.0.2.0/24")));
    let forward = audit(&observed);
    observed.reverse();
    assert_eq!(audit(&observed), forward);
}
