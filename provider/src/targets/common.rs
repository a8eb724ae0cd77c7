//! What the targets share: a hash that never changes (for names and priorities), the policy for flows a firewall
//! cannot express and the errors it ends in, rule descriptions, resource names built from tier and endpoint names,
//! and the direction of security group rules.

use crate::catalog::Protocol;
use crate::engine::{Peer, Reason, Rule, RulePorts};
use crate::spelled::spelled;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::target::{output_struct, Options, Setting, Shape, TargetError, TargetOption};

/// The option that says what to do with flows a firewall cannot express.
pub(crate) const UNSUPPORTED_FLOWS: &str = "unsupported_flows";

/// The `unsupported_flows` option: `cases` says which flows the firewall cannot express, `widen` what the wider
/// rules open.
pub(crate) fn unsupported_flows_option(cases: &str, widen: &str) -> TargetOption {
    TargetOption::optional(
        UNSUPPORTED_FLOWS,
        Shape::Text,
        Some("error"),
        format!(
            "What to do with flows the firewall cannot express exactly. {cases} `error` (default) fails, listing \
             each flow with its platform and purpose; `widen` writes the nearest wider rule ({widen}) and lists \
             each in `widened`; `skip` leaves them out and lists each in `warnings`."
        ),
    )
}

/// The warning for a flow `unsupported_flows = "skip"` left out.
pub fn skipped_warning(flow: &dyn fmt::Display) -> String {
    format!(
        "{} left out {flow}",
        Setting::text(UNSUPPORTED_FLOWS, "skip")
    )
}

/// `text` as a sentence: capital first, full stop last.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// The `unsupported_flows` policy given, or the error for a bad one.
pub(crate) fn unsupported_policy(options: &Options) -> Result<UnsupportedPolicy, TargetError> {
    match options.text(UNSUPPORTED_FLOWS) {
        None => Ok(UnsupportedPolicy::default()),
        Some(text) => text
            .parse()
            .map_err(|detail: String| TargetError::invalid(UNSUPPORTED_FLOWS, detail)),
    }
}

output_struct! {
    /// The `widened` output of the targets with `unsupported_flows`, flattened into their outputs.
    pub struct WidenedField<'a> {
        /// Rules wider than the catalogs ask, only with `unsupported_flows = "widen"`: the `rule` key, the `flow`
        /// as the catalogs ask for it (tiers, protocol, ports, platform and purpose) and what the rule `opened`
        /// instead.
        pub widened: &'a [Widening],
    }
}

impl From<OptionError> for TargetError {
    fn from(error: OptionError) -> Self {
        TargetError {
            location: super::target::Location::Option {
                name: error.option,
                key: error.key,
                index: None,
            },
            summary: error.summary,
            detail: error.detail,
        }
    }
}

/// FNV-1a over 64 bits. Its output is fixed by its definition, so names and priorities derived from it are the
/// same on every machine and in every release; the standard library's hashers promise neither.
pub(crate) fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What to do with a flow the firewall cannot express exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnsupportedPolicy {
    /// Fail, listing the flows and the other choices.
    #[default]
    Error,
    /// Open the narrowest rule the firewall can express that contains the flow, and list it in `widened`.
    Widen,
    /// Leave the flow out and say so in `warnings`.
    Skip,
}

spelled! {
    parse UnsupportedPolicy {
        Error => "error",
        Widen => "widen",
        Skip => "skip",
    }
    else |other| format!(
        "{other:?} is not a choice: write \"error\" (the default: fail and list the flows), \"widen\" (open \
         the narrowest rule the firewall can express, listed in `widened`) or \"skip\" (leave the flows out, \
         listed in `warnings`)"
    )
}

/// A catalog need that the firewall cannot express as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedFlow {
    /// Sending tier or endpoint.
    pub source: String,
    /// Receiving tier or endpoint.
    pub destination: String,
    /// The protocol as the catalog names it (`icmp`, `4`, ...).
    pub protocol: String,
    /// Ports or ICMP type as the rule states them.
    pub ports: String,
    /// Platforms and purposes behind it, as `platform: purpose` lines.
    pub origins: Vec<String>,
    /// What the firewall lacks.
    pub why: String,
}

impl fmt::Display for UnsupportedFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} {} {} ({}): {}",
            self.source,
            self.destination,
            self.protocol,
            self.ports,
            self.origins.join("; "),
            self.why
        )
    }
}

impl UnsupportedFlow {
    /// The flow of a rule's `(source, destination, protocol, ports)` with `why`.
    pub fn new(
        source: &Peer,
        destination: &Peer,
        protocol: Protocol,
        ports: RulePorts,
        reasons: &BTreeSet<&Reason>,
        why: impl Into<String>,
    ) -> Self {
        let ports = match ports {
            RulePorts::IcmpType(Some(icmp_type)) => format!("type {icmp_type}"),
            RulePorts::IcmpType(None) => "every type".to_string(),
            other => other.to_string(),
        };
        let origins: BTreeSet<String> = reasons
            .iter()
            .map(|r| format!("{}: {}", r.platform, r.purpose))
            .collect();
        UnsupportedFlow {
            source: source.name().to_string(),
            destination: destination.name().to_string(),
            protocol: protocol.to_string(),
            ports,
            origins: origins.into_iter().collect(),
            why: why.into(),
        }
    }

    /// The flow of `rule`, whose reasons are `reasons`, with `why`.
    pub(crate) fn of(rule: &Rule, reasons: &BTreeSet<&Reason>, why: impl Into<String>) -> Self {
        UnsupportedFlow::new(
            &rule.source,
            &rule.destination,
            rule.protocol,
            rule.ports,
            reasons,
            why,
        )
    }
}

/// The flows a firewall cannot express, sorted by the `unsupported_flows` policy while the rules are shaped; under
/// `"widen"`, with the groups of rules (`G`) each widened flow is written in, for the rules' `widened` entries.
pub(crate) struct Inexpressible<G = ()> {
    policy: UnsupportedPolicy,
    /// The flows `"error"` fails on.
    flows: Vec<UnsupportedFlow>,
    /// The widened flows and what their wider rules open, by group.
    widened: BTreeMap<G, Vec<(String, String)>>,
}

impl<G: Ord> Inexpressible<G> {
    /// None yet, under `policy`.
    pub(crate) fn new(policy: UnsupportedPolicy) -> Self {
        Inexpressible {
            policy,
            flows: Vec::new(),
            widened: BTreeMap::new(),
        }
    }

    /// `flow` under the policy: `error` keeps it to fail on and `skip` warns of it in `warnings`, both leaving it
    /// out (`None`); `widen` gives it back, to be written wider.
    pub(crate) fn widen(
        &mut self,
        flow: UnsupportedFlow,
        warnings: &mut Vec<String>,
    ) -> Option<UnsupportedFlow> {
        match self.policy {
            UnsupportedPolicy::Error => self.flows.push(flow),
            UnsupportedPolicy::Skip => warnings.push(skipped_warning(&flow)),
            UnsupportedPolicy::Widen => return Some(flow),
        }
        None
    }

    /// `flow` under the policy as [`Inexpressible::widen`] sorts it; when it is written wider, in each of
    /// `groups` by a rule that opens `opened`. Whether it is written.
    pub(crate) fn widen_in(
        &mut self,
        flow: UnsupportedFlow,
        groups: impl IntoIterator<Item = G>,
        opened: &str,
        warnings: &mut Vec<String>,
    ) -> bool {
        let Some(flow) = self.widen(flow, warnings) else {
            return false;
        };
        for group in groups {
            self.widened
                .entry(group)
                .or_default()
                .push((flow.to_string(), opened.to_string()));
        }
        true
    }

    /// The flows written wider in `group`, as `widened` entries of its rule keyed `rule`.
    pub(crate) fn widenings<'a>(
        &'a self,
        group: &G,
        rule: &'a str,
    ) -> impl Iterator<Item = Widening> + 'a {
        self.widened
            .get(group)
            .into_iter()
            .flatten()
            .map(move |(flow, opened)| Widening {
                rule: rule.to_string(),
                flow: flow.clone(),
                opened: opened.clone(),
            })
    }

    /// The error listing the flows `error` fails on, if there are any; `firewall` and `widen` as in
    /// [`UnsupportedFlowsError`].
    pub(crate) fn error(
        &mut self,
        firewall: &'static str,
        widen: &'static str,
    ) -> Option<UnsupportedFlowsError> {
        (!self.flows.is_empty()).then(|| UnsupportedFlowsError {
            firewall,
            flows: std::mem::take(&mut self.flows),
            widen,
        })
    }
}

/// Flows the firewall cannot express while `unsupported_flows` is `"error"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedFlowsError {
    /// The firewall, as the message names it (`GCP firewall rules`).
    pub firewall: &'static str,
    /// The flows, in rule order.
    pub flows: Vec<UnsupportedFlow>,
    /// What `"widen"` opens instead, for the message.
    pub widen: &'static str,
}

impl fmt::Display for UnsupportedFlowsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} cannot express {} flow(s) the selected platforms need:",
            self.firewall,
            self.flows.len()
        )?;
        for flow in &self.flows {
            writeln!(f, "  - {flow}")?;
        }
        write!(
            f,
            "Set {} to {}, each listed in `widened`; or {} to leave them out, each listed in `warnings`; or change \
             the platform options that ask for them.",
            Setting::text(UNSUPPORTED_FLOWS, "widen"),
            self.widen,
            Setting::text(UNSUPPORTED_FLOWS, "skip")
        )
    }
}

/// Inbound or outbound, as security groups (AWS, Neutron) name the rules of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Rules of the destination's group.
    Ingress,
    /// Rules of the source's group.
    Egress,
}

spelled!(Direction {
    Ingress => "ingress",
    Egress => "egress",
});

/// The rule set of a whole cluster, for the targets whose rules are named (GCP, Azure): rules `R` by name, every
/// tier with its `T`, and what was widened or not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRuleSet<R, T> {
    /// Rules by name.
    pub rules: BTreeMap<String, R>,
    /// Every tier.
    pub tiers: BTreeMap<String, T>,
    /// Rules wider than the catalogs ask (only with `unsupported_flows = "widen"`).
    pub widened: Vec<Widening>,
    /// Flows that were not written, and why.
    pub warnings: Vec<String>,
}

// By hand: a derived `Default` would ask `R` and `T` to have one.
impl<R, T> Default for NamedRuleSet<R, T> {
    fn default() -> Self {
        NamedRuleSet {
            rules: BTreeMap::new(),
            tiers: BTreeMap::new(),
            widened: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Why no rule set could be written, for the targets whose only failures are a bad option and flows they cannot
/// express (GCP, Azure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// An option is invalid.
    Option(OptionError),
    /// Flows the firewall cannot express, with `unsupported_flows = "error"`.
    Unsupported(UnsupportedFlowsError),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Option(error) => error.fmt(f),
            RuleError::Unsupported(error) => error.fmt(f),
        }
    }
}

/// The target errors of `errors`: flows the firewall cannot express are an error on `unsupported_flows` with
/// `summary` (`Flows GCP firewall rules cannot express`).
pub(crate) fn rule_errors(errors: Vec<RuleError>, summary: &str) -> Vec<TargetError> {
    errors
        .into_iter()
        .map(|error| match error {
            RuleError::Option(option) => option.into(),
            RuleError::Unsupported(unsupported) => unsupported_error(summary, &unsupported),
        })
        .collect()
}

/// An error on `unsupported_flows`: `summary` names the flows the firewall cannot express, `detail` lists them.
pub(crate) fn unsupported_error(summary: &str, detail: &dyn fmt::Display) -> TargetError {
    TargetError::option(UNSUPPORTED_FLOWS, summary, detail.to_string())
}

/// The platforms behind a count over a limit, the biggest share first (ties by name): each of `shares` is the
/// platforms of one rule and what the rule adds to the count of each.
pub(crate) fn contributors<'a, P>(
    shares: impl IntoIterator<Item = (P, usize)>,
) -> Vec<(String, usize)>
where
    P: IntoIterator<Item = &'a String>,
{
    let mut by_platform: BTreeMap<&str, usize> = BTreeMap::new();
    for (platforms, share) in shares {
        for platform in platforms {
            *by_platform.entry(platform).or_default() += share;
        }
    }
    let mut contributors: Vec<(String, usize)> = by_platform
        .into_iter()
        .map(|(platform, n)| (platform.to_string(), n))
        .collect();
    contributors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    contributors
}

/// `contributors` for a message: `calico (12 rules), cilium (9 rules)` with `unit` ` rules`.
pub(crate) fn contributors_text(contributors: &[(String, usize)], unit: &str) -> String {
    let texts: Vec<String> = contributors
        .iter()
        .map(|(platform, n)| format!("{platform} ({n}{unit})"))
        .collect();
    texts.join(", ")
}

/// A target option that cannot give valid rules: which attribute to fix, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The argument to fix (`name_prefix`, `tier_ranges`, ...).
    pub option: &'static str,
    /// The map key within the argument, when the problem is one entry.
    pub key: Option<String>,
    /// One line saying what is wrong.
    pub summary: String,
    /// How to fix it.
    pub detail: String,
}

impl OptionError {
    /// An error on the whole argument.
    pub fn new(
        option: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        OptionError {
            option,
            key: None,
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    /// An error on one map entry of the argument.
    pub(crate) fn at_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary, self.detail)
    }
}

/// The option giving the prefix of every rule name, `name_prefix`.
pub(crate) const NAME_PREFIX: &str = "name_prefix";

/// The `name_prefix` option of a firewall whose rule names read `pattern`, cut when over `limit` (`Azure's 80
/// characters`) with prefixes of at most `max` characters; `after` ends the description (empty, or sentences
/// after a space).
pub(crate) fn name_prefix_option(
    pattern: &str,
    limit: &str,
    max: usize,
    after: &str,
) -> TargetOption {
    TargetOption::optional(
        NAME_PREFIX,
        Shape::Text,
        Some("pm-"),
        format!(
            "Prefix of every rule name (default `pm-`): 1 to {max} characters, a lower-case letter first, then \
             lower-case letters, digits and `-`. Names read `{pattern}`; a name over {limit} (or clashing with \
             another) is cut and ends with 8 hex digits of a stable hash.{after}"
        ),
    )
}

/// The `name_prefix` given (`default` when not), checked against `max` characters; a bad one is added to
/// `errors`.
pub(crate) fn name_prefix(
    options: &Options,
    default: &str,
    max: usize,
    errors: &mut Vec<TargetError>,
) -> String {
    let prefix = options.text(NAME_PREFIX).unwrap_or(default).to_string();
    if let Err(error) = check_name_prefix(NAME_PREFIX, &prefix, max) {
        errors.push(error.into());
    }
    prefix
}

/// Checks a resource-name prefix: 1 to `max` characters, a lower-case letter first, then lower-case letters,
/// digits and `-`.
pub(crate) fn check_name_prefix(
    option: &'static str,
    prefix: &str,
    max: usize,
) -> Result<(), OptionError> {
    let valid = (1..=max).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(OptionError::new(
            option,
            format!("Invalid {} {prefix:?}", Setting::option(option)),
            format!(
                "Write 1 to {max} characters: a lower-case letter first, then lower-case letters, digits and '-' \
                 (for example \"prod-\")."
            ),
        ))
    }
}

output_struct! {
    /// A rule opened wider than the catalogs ask, because the firewall has nothing narrower.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Widening {
        /// The key of the rule that holds the wider permission.
        pub rule: String,
        /// The flow as the catalogs ask for it.
        pub flow: String,
        /// What the rule opens instead.
        pub opened: String,
    }
}

/// `portmatrix <platforms>: <purposes>`, cut to `max` characters with `...`.
pub fn description(reasons: &BTreeSet<&Reason>, max: usize) -> String {
    let text = format!("portmatrix {}", origins_text(reasons.iter().copied()));
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", cut.trim_end())
}

/// `<platforms>: <purposes>` of `reasons`, each sorted once (`kublr: Kubelet API; kubelet health`).
pub(crate) fn origins_text<'a>(reasons: impl IntoIterator<Item = &'a Reason>) -> String {
    let mut platforms = BTreeSet::new();
    let mut purposes = BTreeSet::new();
    for reason in reasons {
        platforms.insert(reason.platform.as_str());
        purposes.insert(reason.purpose.as_str());
    }
    format!(
        "{}: {}",
        platforms.into_iter().collect::<Vec<_>>().join(","),
        purposes.into_iter().collect::<Vec<_>>().join("; ")
    )
}

/// Sorted platforms and purposes of a set of reasons.
pub(crate) fn platforms_and_purposes(reasons: &BTreeSet<&Reason>) -> (Vec<String>, Vec<String>) {
    let platforms: BTreeSet<String> = reasons.iter().map(|r| r.platform.clone()).collect();
    let purposes: BTreeSet<String> = reasons.iter().map(|r| r.purpose.clone()).collect();
    (
        platforms.into_iter().collect(),
        purposes.into_iter().collect(),
    )
}

/// A tier or endpoint name as a piece of a resource name: lower-case letters, digits and `-`; anything else
/// (`_`, the `/` of `platform/name`) becomes `-`.
pub(crate) fn name_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Resource names for rule identities. Each identity gets its readable name when that is unique, at most `max`
/// characters and ends with a letter or digit; otherwise the readable name cut short, `-`, and eight hex digits of
/// the identity's [`stable_hash`]. Names depend only on the identity and on which readable names collide, never
/// on the order of the rules.
pub(crate) fn unique_names(
    readable: &BTreeMap<String, String>,
    max: usize,
) -> BTreeMap<String, String> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for name in readable.values() {
        *uses.entry(name.as_str()).or_default() += 1;
    }
    readable
        .iter()
        .map(|(identity, name)| {
            let fits = name.len() <= max
                && name
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if fits && uses.get(name.as_str()) == Some(&1) {
                return (identity.clone(), name.clone());
            }
            let suffix = format!("-{:08x}", stable_hash(identity) & 0xffff_ffff);
            let keep = max.saturating_sub(suffix.len());
            let head: String = name.chars().take(keep).collect();
            (
                identity.clone(),
                format!("{}{suffix}", head.trim_end_matches('-')),
            )
        })
        .collect()
}

/// The position of a rule's first platform in the user's `platform` blocks: rules are placed in this order, so a
/// platform appended later never displaces the rules of the platforms before it.
pub(crate) fn owner_index(reasons: &BTreeSet<&Reason>, platform_order: &[String]) -> usize {
    reasons
        .iter()
        .filter_map(|r| platform_order.iter().position(|p| *p == r.platform))
        .min()
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_as_published() {
        // Test vectors of the FNV reference (draft-eastlake-fnv): "" and "a" and "foobar".
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn names_stay_readable_unless_too_long_or_colliding() {
        let readable: BTreeMap<String, String> = [
            ("id-a", "pm-in-a-b-to-c"),
            ("id-b", "pm-in-a-b-to-c"),
            ("id-c", "pm-in-x-to-y"),
            ("id-d", "pm-in-trailing-"),
            (
                "id-e",
                "pm-in-a-very-long-tier-name-to-another-very-long-tier-name-v6",
            ),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let names = unique_names(&readable, 40);
        assert_eq!(names["id-c"], "pm-in-x-to-y");
        assert_ne!(names["id-a"], names["id-b"]);
        for name in names.values() {
            assert!(name.len() <= 40, "{name}");
            assert!(!name.ends_with('-'), "{name}");
        }
        assert!(names["id-e"].starts_with("pm-in-a-very-long-tier-name-to"));
        assert_eq!(names, unique_names(&readable, 40), "deterministic");
    }

    #[test]
    fn descriptions_are_cut_with_an_ellipsis() {
        let reason = |purpose: &str| Reason {
            platform: "k8s".into(),
            versions: "*".into(),
            from_role: "a".into(),
            to_role: "b".into(),
            purpose: purpose.into(),
            document: String::new(),
            url: String::new(),
            rows: vec![],
        };
        let (api, kubelet) = (reason("API"), reason("kubelet   API"));
        let reasons: BTreeSet<&Reason> = [&api, &kubelet].into();
        assert_eq!(
            description(&reasons, 140),
            "portmatrix k8s: API; kubelet API"
        );
        let short = description(&reasons, 20);
        assert_eq!(short.chars().count(), 20);
        assert!(short.ends_with("..."));
    }

    #[test]
    fn policies_parse_and_errors_list_the_choices() {
        assert_eq!("widen".parse(), Ok(UnsupportedPolicy::Widen));
        assert_eq!("skip".parse(), Ok(UnsupportedPolicy::Skip));
        assert_eq!("error".parse(), Ok(UnsupportedPolicy::Error));
        let message = "any".parse::<UnsupportedPolicy>().unwrap_err();
        assert!(message.contains("\"widen\"") && message.contains("\"skip\""));
    }
}
