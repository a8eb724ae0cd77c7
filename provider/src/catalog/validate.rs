//! Raw (serde) structures -> validated model, enforcing the rules of `provider/catalogs/README.md`.
//! Errors name the field path; `parse` turns the path into a line number.

use std::collections::{BTreeMap, BTreeSet};

use super::error::CatalogError;
use super::model::{
    Disagreement, Endpoint, Flow, Loopback, Network, NotFlow, OptionSpec, Parameter, PlatformInfo,
    PortRange, PortSpec, Protocol, Release, Role, Source,
};
use super::raw::{RawFlow, RawLoopback, RawPlatform, RawRelease, RawRole};
use super::version::{parse_version, NewestRead, VersionRange};

/// The only format version this program reads.
const FORMAT: i64 = 1;

type Result<T> = std::result::Result<T, CatalogError>;

/// Validates a raw document and builds the release.
pub(super) fn release(raw: RawRelease, origin: &str) -> Result<Release> {
    let c = Checker { origin };
    if raw.format != FORMAT {
        return Err(c.err(
            "format",
            format!(
                "format {} is not supported; write format = {FORMAT}",
                raw.format
            ),
        ));
    }
    let platform = c.platform(raw.platform)?;

    if raw.sources.is_empty() {
        return Err(c.err(
            "sources",
            "a release needs at least one [[sources]] entry that its flows cite",
        ));
    }
    let mut source_ids = Namespace::new("source id", Pattern::Id);
    let sources = entries(raw.sources, "sources", |s, at| {
        c.claim(&mut source_ids, at, "id", &s.id)?;
        c.text(&format!("{at}.document"), &s.document)?;
        if !(s.url.starts_with("https://") || s.url.starts_with("http://")) {
            return Err(c.err(
                format!("{at}.url"),
                format!("{:?} is not an http(s) address", s.url),
            ));
        }
        c.text(&format!("{at}.version"), &s.version)?;
        c.text(&format!("{at}.date"), &s.date)?;
        c.optional_text(&format!("{at}.seed"), s.seed.as_deref())?;
        Ok(Source {
            id: s.id,
            document: s.document,
            url: s.url,
            version: s.version,
            date: s.date,
            seed: s.seed,
        })
    })?;

    let mut parameter_names = Namespace::new("parameter name", Pattern::Name);
    let parameters = entries(raw.parameters, "parameters", |p, at| {
        c.claim(&mut parameter_names, at, "name", &p.name)?;
        c.text(&format!("{at}.description"), &p.description)?;
        let default =
            match p.default {
                None => None,
                Some(d) => Some(u16::try_from(d).ok().filter(|&port| port >= 1).ok_or_else(
                    || {
                        c.err(
                            format!("{at}.default"),
                            format!("default {d} is not a port 1..=65535"),
                        )
                    },
                )?),
            };
        Ok(Parameter {
            name: p.name,
            description: p.description,
            default,
        })
    })?;

    // Roles and endpoints share one namespace: flows name either.
    let mut places = Namespace::new("role or endpoint name", Pattern::Name);
    let endpoints = entries(raw.endpoints, "endpoints", |e, at| {
        c.claim(&mut places, at, "name", &e.name)?;
        if e.tiers.is_some() {
            return Err(c.err(
                format!("{at}.tiers"),
                "endpoints take no tiers: they are outside the cluster and the user gives their CIDRs",
            ));
        }
        c.text(&format!("{at}.title"), &e.title)?;
        c.text(&format!("{at}.description"), &e.description)?;
        for (j, old) in e.formerly.iter().enumerate() {
            c.name(&format!("{at}.formerly[{j}]"), old, Pattern::Name)?;
        }
        Ok(Endpoint {
            name: e.name,
            title: e.title,
            description: e.description,
            formerly: e.formerly,
        })
    })?;

    let mut option_names = Namespace::new("option name", Pattern::Name);
    let options = entries(raw.options, "options", |o, at| {
        c.claim(&mut option_names, at, "name", &o.name)?;
        c.text(&format!("{at}.description"), &o.description)?;
        if o.values.is_empty() {
            return Err(c.err(format!("{at}.values"), "an option needs at least one value"));
        }
        let mut seen = BTreeMap::new();
        for (j, value) in o.values.iter().enumerate() {
            let vat = format!("{at}.values[{j}]");
            c.text(&vat, value)?;
            c.unique(&mut seen, &vat, value, "option value", &vat)?;
        }
        if !o.values.contains(&o.default) {
            return Err(c.err(
                format!("{at}.default"),
                format!(
                    "default {:?} is not among the values: {}",
                    o.default,
                    o.values.join(", ")
                ),
            ));
        }
        Ok(OptionSpec {
            name: o.name,
            description: o.description,
            values: o.values,
            default: o.default,
        })
    })?;

    let roles = entries(raw.roles, "roles", |r, at| c.role(r, at, &mut places))?;
    let role_names: BTreeSet<&str> = roles.iter().map(|r| r.name.as_str()).collect();

    let refs = Refs {
        places: places.names(),
        roles: role_names,
        sources: source_ids.names(),
        parameters: parameter_names.names(),
        options: &options,
        versions: &platform.versions,
    };
    let mut flow_keys = BTreeMap::new();
    let flows = entries(raw.flows, "flows", |f, at| {
        let flow = c.flow(f, at, &refs)?;
        if let Some(first) = flow_keys.insert(duplicate_key(&flow), at.to_owned()) {
            return Err(c.err(
                at,
                format!("duplicates {first} (same from, to, protocol, ports, when and versions)"),
            ));
        }
        Ok(flow)
    })?;

    let loopback = entries(raw.loopback, "loopback", |l, at| c.loopback(l, at, &refs))?;

    let not_flows = entries(raw.not_flows, "not_flows", |n, at| {
        c.reference(&format!("{at}.source"), &n.source, &refs.sources, "source")?;
        c.rows(at, &n.rows)?;
        c.text(&format!("{at}.reason"), &n.reason)?;
        Ok(NotFlow {
            source: n.source,
            rows: n.rows,
            reason: n.reason,
        })
    })?;

    let disagreements = entries(raw.disagreements, "disagreements", |d, at| {
        c.text(&format!("{at}.topic"), &d.topic)?;
        c.text(&format!("{at}.text"), &d.text)?;
        Ok(Disagreement {
            topic: d.topic,
            text: d.text,
        })
    })?;

    Ok(Release {
        platform,
        origin: origin.to_owned(),
        sources,
        parameters,
        endpoints,
        options,
        roles,
        flows,
        loopback,
        not_flows,
        disagreements,
    })
}

/// Checks and converts the entries of the array `section` in order, each with its place (`section[i]`), up to
/// the first error.
fn entries<R, T>(
    list: Vec<R>,
    section: &str,
    mut check: impl FnMut(R, &str) -> Result<T>,
) -> Result<Vec<T>> {
    list.into_iter()
        .enumerate()
        .map(|(i, entry)| check(entry, &format!("{section}[{i}]")))
        .collect()
}

/// Names a flow may refer to.
struct Refs<'a> {
    places: BTreeSet<&'a str>,
    roles: BTreeSet<&'a str>,
    sources: BTreeSet<&'a str>,
    parameters: BTreeSet<&'a str>,
    options: &'a [OptionSpec],
    versions: &'a VersionRange,
}

#[derive(Clone, Copy)]
enum Pattern {
    /// `[a-z0-9][a-z0-9-]*`: platform names and source ids.
    Id,
    /// `[a-z0-9][a-z0-9_-]*`: roles, endpoints, options, parameters.
    Name,
}

/// Names that must be unique among themselves (source ids, parameter names, ...), each written to one pattern.
struct Namespace {
    /// What a name stands for, in error messages.
    kind: &'static str,
    pattern: Pattern,
    /// Each name and where it was first seen.
    first_seen: BTreeMap<String, String>,
}

impl Namespace {
    fn new(kind: &'static str, pattern: Pattern) -> Self {
        Namespace {
            kind,
            pattern,
            first_seen: BTreeMap::new(),
        }
    }

    fn names(&self) -> BTreeSet<&str> {
        self.first_seen.keys().map(String::as_str).collect()
    }
}

struct Checker<'o> {
    origin: &'o str,
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> CatalogError {
        CatalogError::at(self.origin, field, message)
    }

    fn text(&self, field: &str, value: &str) -> Result<()> {
        if value.trim().is_empty() {
            return Err(self.err(field, "must not be empty"));
        }
        Ok(())
    }

    fn optional_text(&self, field: &str, value: Option<&str>) -> Result<()> {
        value.map_or(Ok(()), |v| self.text(field, v))
    }

    fn name(&self, field: &str, value: &str, pattern: Pattern) -> Result<()> {
        let first_ok = value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = value.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || (b == b'_' && matches!(pattern, Pattern::Name))
        });
        if first_ok && rest_ok {
            return Ok(());
        }
        let rule = match pattern {
            Pattern::Id => "[a-z0-9][a-z0-9-]*",
            Pattern::Name => "[a-z0-9][a-z0-9_-]*",
        };
        Err(self.err(
            field,
            format!("{value:?} is not a valid name: write {rule}"),
        ))
    }

    /// Records `value` in `seen` (value -> where first seen); a second occurrence is an error.
    fn unique(
        &self,
        seen: &mut BTreeMap<String, String>,
        field: &str,
        value: &str,
        kind: &str,
        here: &str,
    ) -> Result<()> {
        if let Some(first) = seen.get(value) {
            return Err(self.err(
                field,
                format!("duplicate {kind} {value:?} (first at {first})"),
            ));
        }
        seen.insert(value.to_owned(), here.to_owned());
        Ok(())
    }

    /// Checks the field `key` of the entry at `at`, a name of `names`: it must match the namespace's pattern
    /// and not be taken yet.
    fn claim(&self, names: &mut Namespace, at: &str, key: &str, value: &str) -> Result<()> {
        let field = format!("{at}.{key}");
        self.name(&field, value, names.pattern)?;
        self.unique(&mut names.first_seen, &field, value, names.kind, at)
    }

    fn platform(&self, p: RawPlatform) -> Result<PlatformInfo> {
        self.name("platform.name", &p.name, Pattern::Id)?;
        self.text("platform.title", &p.title)?;
        let versions =
            VersionRange::parse(&p.versions).map_err(|e| self.err("platform.versions", e))?;
        self.optional_text("platform.version_note", p.version_note.as_deref())?;
        self.text("platform.summary", &p.summary)?;
        let newest_read = match p.newest_read.as_deref() {
            None => None,
            Some(text) => {
                let read =
                    NewestRead::parse(text).map_err(|e| self.err("platform.newest_read", e))?;
                // "none" (only unreleased documentation read) names no version to place in the range.
                let outside = !read.is_none()
                    && !versions.contains(
                        &parse_version(text).map_err(|e| self.err("platform.newest_read", e))?,
                    );
                if outside {
                    return Err(self.err(
                        "platform.newest_read",
                        format!(
                            "{text:?} lies outside the release's versions {:?}",
                            versions.text()
                        ),
                    ));
                }
                Some(read)
            }
        };
        Ok(PlatformInfo {
            name: p.name,
            title: p.title,
            versions,
            version_note: p.version_note,
            newest_read,
            summary: p.summary,
        })
    }

    fn role(&self, r: RawRole, at: &str, places: &mut Namespace) -> Result<Role> {
        self.claim(places, at, "name", &r.name)?;
        self.text(&format!("{at}.title"), &r.title)?;
        self.text(&format!("{at}.description"), &r.description)?;
        let network = Network::from(r.network);
        if r.tiers.is_empty() {
            return Err(self.err(
                format!("{at}.tiers"),
                "name at least one tier: master, worker, lb, external",
            ));
        }
        let mut tiers = Vec::new();
        for (j, t) in r.tiers.into_iter().enumerate() {
            let tier = t.into();
            if tiers.contains(&tier) {
                return Err(self.err(
                    format!("{at}.tiers[{j}]"),
                    format!("tier {tier} is listed twice"),
                ));
            }
            tiers.push(tier);
        }
        if network == Network::Host {
            self.absent(
                at,
                &[
                    ("namespace", r.namespace.is_some()),
                    ("selector", r.selector.is_some()),
                    ("every_pod", r.every_pod.is_some()),
                ],
                |key| format!("{key} is for pod roles only; this role has network = \"host\""),
            )?;
        }
        let every_pod = r.every_pod.unwrap_or(false);
        if every_pod {
            // Every pod of every namespace has no one namespace or label set; a selector would contradict it.
            self.absent(
                at,
                &[
                    ("namespace", r.namespace.is_some()),
                    ("selector", r.selector.is_some()),
                ],
                |key| format!("a role with every_pod = true stands for the pods of every namespace and takes no {key}"),
            )?;
        }
        self.optional_text(&format!("{at}.namespace"), r.namespace.as_deref())?;
        let selector = r.selector.unwrap_or_default();
        for (key, value) in &selector {
            self.text(&format!("{at}.selector"), key)?;
            self.text(&format!("{at}.selector.{key}"), value)?;
        }
        Ok(Role {
            name: r.name,
            title: r.title,
            network,
            tiers,
            namespace: r.namespace,
            selector,
            every_pod,
            description: r.description,
        })
    }

    /// An error, `message(key)`, on the first of the entry's fields (key, whether present) that must be absent but
    /// is present.
    fn absent(
        &self,
        at: &str,
        fields: &[(&str, bool)],
        message: impl Fn(&str) -> String,
    ) -> Result<()> {
        match fields.iter().find(|(_, present)| *present) {
            Some((key, _)) => Err(self.err(format!("{at}.{key}"), message(key))),
            None => Ok(()),
        }
    }

    fn reference(
        &self,
        field: &str,
        value: &str,
        known: &BTreeSet<&str>,
        kind: &str,
    ) -> Result<()> {
        if known.contains(value) {
            return Ok(());
        }
        let valid = known.iter().copied().collect::<Vec<_>>().join(", ");
        Err(self.err(field, format!("unknown {kind} {value:?}; valid: {valid}")))
    }

    fn rows(&self, at: &str, rows: &[String]) -> Result<()> {
        if rows.is_empty() {
            return Err(self.err(
                format!("{at}.rows"),
                "cite at least one source row verbatim",
            ));
        }
        for (j, row) in rows.iter().enumerate() {
            self.text(&format!("{at}.rows[{j}]"), row)?;
        }
        Ok(())
    }

    fn protocol(&self, at: &str, text: &str) -> Result<Protocol> {
        text.parse().map_err(|e: super::model::ParseProtocolError| {
            self.err(format!("{at}.protocol"), e.to_string())
        })
    }

    fn ports(
        &self,
        at: &str,
        protocol: Protocol,
        ports: Option<&[String]>,
        parameter: Option<&str>,
        refs: &Refs<'_>,
    ) -> Result<PortSpec> {
        if !protocol.has_ports() {
            self.absent(
                at,
                &[
                    ("ports", ports.is_some()),
                    ("port_parameter", parameter.is_some()),
                ],
                |key| format!("protocol {protocol} has no ports; remove {key}"),
            )?;
            return Ok(PortSpec::All);
        }
        match (ports, parameter) {
            (Some(_), Some(_)) => Err(self.err(
                format!("{at}.port_parameter"),
                "give either ports or port_parameter, not both",
            )),
            (None, None) => Err(self.err(
                format!("{at}.ports"),
                format!("protocol {protocol} needs ports or port_parameter"),
            )),
            (None, Some(name)) => {
                self.reference(
                    &format!("{at}.port_parameter"),
                    name,
                    &refs.parameters,
                    "parameter",
                )?;
                Ok(PortSpec::Parameter(name.to_owned()))
            }
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(self.err(format!("{at}.ports"), "list at least one port"));
                }
                let mut ranges: Vec<PortRange> = Vec::new();
                for (j, text) in list.iter().enumerate() {
                    let field = format!("{at}.ports[{j}]");
                    let range: PortRange = text.parse().map_err(|e: String| self.err(&field, e))?;
                    if let Some(other) = ranges
                        .iter()
                        .find(|o| o.from <= range.to && range.from <= o.to)
                    {
                        return Err(
                            self.err(field, format!("{range} overlaps {other} listed before"))
                        );
                    }
                    ranges.push(range);
                }
                Ok(PortSpec::Ranges(ranges))
            }
        }
    }

    fn icmp_types(&self, at: &str, protocol: Protocol, types: Option<Vec<i64>>) -> Result<Vec<u8>> {
        let Some(types) = types else {
            return Ok(Vec::new());
        };
        let field = format!("{at}.icmp_types");
        if !protocol.is_icmp() {
            return Err(self.err(
                field,
                format!("icmp_types are for icmp/icmpv6 only, not {protocol}"),
            ));
        }
        if types.is_empty() {
            return Err(self.err(field, "omit icmp_types to mean all types"));
        }
        let mut out = Vec::new();
        for (j, t) in types.into_iter().enumerate() {
            let item = format!("{field}[{j}]");
            let t = u8::try_from(t)
                .map_err(|_| self.err(&item, format!("ICMP type {t} is outside 0..=255")))?;
            if out.contains(&t) {
                return Err(self.err(item, format!("ICMP type {t} is listed twice")));
            }
            out.push(t);
        }
        Ok(out)
    }

    fn when(
        &self,
        at: &str,
        when: &BTreeMap<String, Vec<String>>,
        options: &[OptionSpec],
    ) -> Result<()> {
        for (name, values) in when {
            let field = format!("{at}.when.{name}");
            let Some(option) = options.iter().find(|o| &o.name == name) else {
                let valid = options
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(self.err(field, format!("unknown option {name:?}; valid: {valid}")));
            };
            if values.is_empty() {
                return Err(self.err(
                    field,
                    "list at least one value (an empty list never matches)",
                ));
            }
            for (j, value) in values.iter().enumerate() {
                if !option.values.contains(value) {
                    return Err(self.err(
                        format!("{field}[{j}]"),
                        format!(
                            "option {name:?} has no value {value:?}; valid: {}",
                            option.values.join(", ")
                        ),
                    ));
                }
                if values.iter().take(j).any(|earlier| earlier == value) {
                    return Err(self.err(
                        format!("{field}[{j}]"),
                        format!("value {value:?} is listed twice"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn flow(&self, f: RawFlow, at: &str, refs: &Refs<'_>) -> Result<Flow> {
        self.reference(
            &format!("{at}.from"),
            &f.from,
            &refs.places,
            "role or endpoint",
        )?;
        self.reference(&format!("{at}.to"), &f.to, &refs.places, "role or endpoint")?;
        let protocol = self.protocol(at, &f.protocol)?;
        let ports = self.ports(
            at,
            protocol,
            f.ports.as_deref(),
            f.port_parameter.as_deref(),
            refs,
        )?;
        let icmp_types = self.icmp_types(at, protocol, f.icmp_types)?;
        self.text(&format!("{at}.purpose"), &f.purpose)?;
        self.reference(&format!("{at}.source"), &f.source, &refs.sources, "source")?;
        self.rows(at, &f.rows)?;
        self.when(at, &f.when, refs.options)?;
        let versions = match f.versions {
            None => None,
            Some(text) => {
                let field = format!("{at}.versions");
                let range = VersionRange::parse(&text).map_err(|e| self.err(&field, e))?;
                if !range.overlaps(refs.versions) {
                    return Err(self.err(
                        field,
                        format!(
                            "{text:?} lies outside the release's versions {:?}",
                            refs.versions.text()
                        ),
                    ));
                }
                Some(range)
            }
        };
        self.optional_text(&format!("{at}.note"), f.note.as_deref())?;
        Ok(Flow {
            from: f.from,
            to: f.to,
            protocol,
            ports,
            icmp_types,
            purpose: f.purpose,
            source: f.source,
            rows: f.rows,
            when: f.when,
            versions,
            note: f.note,
        })
    }

    fn loopback(&self, l: RawLoopback, at: &str, refs: &Refs<'_>) -> Result<Loopback> {
        self.reference(&format!("{at}.role"), &l.role, &refs.roles, "role")?;
        let protocol = self.protocol(at, &l.protocol)?;
        let ports = self.ports(at, protocol, l.ports.as_deref(), None, refs)?;
        self.text(&format!("{at}.purpose"), &l.purpose)?;
        self.reference(&format!("{at}.source"), &l.source, &refs.sources, "source")?;
        self.rows(at, &l.rows)?;
        Ok(Loopback {
            role: l.role,
            protocol,
            ports,
            purpose: l.purpose,
            source: l.source,
            rows: l.rows,
        })
    }
}

/// What makes two flows duplicates: from, to, protocol, ports (in any order; ICMP types count as ports),
/// `when` (value order ignored) and the version interval.
fn duplicate_key(f: &Flow) -> String {
    let mut ports = f.ports.items();
    ports.sort();
    let mut types = f.icmp_types.clone();
    types.sort_unstable();
    let when: Vec<String> = f
        .when
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            v.sort();
            format!("{k}={}", v.join("|"))
        })
        .collect();
    let versions = f.versions.as_ref().map(|r| {
        format!(
            "{}..{}",
            r.lower(),
            r.upper().map(ToString::to_string).unwrap_or_default()
        )
    });
    format!(
        "{} {} {} {:?} {types:?} {when:?} {versions:?}",
        f.from, f.to, f.protocol, ports
    )
}
