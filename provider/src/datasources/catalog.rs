//! `portmatrix_catalog`: what the catalog holds: platforms, their releases, roles, options and parameters.

use super::config;
use super::selection::{self, catalog_with_user_documents, EndpointKind};
use super::DataSource;
use crate::catalog::{Catalog, Release};
use crate::cty::AttributePath;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, Block, Schema};

/// The `portmatrix_catalog` data source.
pub(crate) struct CatalogDataSource;

const PLATFORM: &str = "platform";
const USER_CATALOGS: &str = "user_catalogs";

fn release_type() -> CtyType {
    let named = |fields: &[&str]| CtyType::object(fields.iter().map(|f| (*f, CtyType::String)));
    CtyType::object([
        ("versions", CtyType::String),
        ("version_note", CtyType::String),
        ("newest_read", CtyType::String),
        ("origin", CtyType::String),
        ("flow_count", CtyType::Number),
        (
            "sources",
            CtyType::list(named(&["id", "document", "url", "version", "date"])),
        ),
        (
            "roles",
            CtyType::list(CtyType::object([
                ("name", CtyType::String),
                ("title", CtyType::String),
                ("network", CtyType::String),
                ("tiers", CtyType::list(CtyType::String)),
                ("namespace", CtyType::String),
                ("selector", CtyType::map(CtyType::String)),
                ("description", CtyType::String),
            ])),
        ),
        (
            "options",
            CtyType::list(CtyType::object([
                ("name", CtyType::String),
                ("description", CtyType::String),
                ("values", CtyType::list(CtyType::String)),
                ("default", CtyType::String),
            ])),
        ),
        (
            "parameters",
            CtyType::list(CtyType::object([
                ("name", CtyType::String),
                ("description", CtyType::String),
                ("default", CtyType::Number),
            ])),
        ),
        (
            "endpoints",
            CtyType::list(named(&["name", "title", "description"])),
        ),
        ("disagreements", CtyType::list(named(&["topic", "text"]))),
    ])
}

fn platform_type() -> CtyType {
    CtyType::object([
        ("name", CtyType::String),
        ("title", CtyType::String),
        ("summary", CtyType::String),
        ("releases", CtyType::list(release_type())),
    ])
}

impl DataSource for CatalogDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_catalog"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new(
                "Lists the platforms portmatrix knows (built in, plus any `user_catalogs`), each release \
                 (version range) with its sources, roles, options, parameters and endpoints. Use it to discover \
                 valid `platform`, `version` and option values for the other data sources.",
            )
            .attribute(Attribute::optional(
                PLATFORM,
                CtyType::String,
                "Only this platform (for example `longhorn`). An unknown name is an error that lists the \
                 valid ones.",
            ))
            .attribute(selection::user_catalogs_attribute())
            .attribute(Attribute::computed(
                "platform_names",
                CtyType::list(CtyType::String),
                "Names of the listed platforms, sorted.",
            ))
            .attribute(Attribute::computed(
                "platforms",
                CtyType::list(platform_type()),
                "The listed platforms, sorted by name, each with its `releases` (oldest first): `versions` \
                 (a semver range, `*` when the upstream page is not versioned), `sources`, `roles` (with \
                 `network` `pod` or `host` and default `tiers`), `options` (allowed `values` and `default`), \
                 `parameters` (values you supply; `default` only where the source states one), `endpoints` \
                 (places outside the cluster you give addresses for), `flow_count` and `disagreements` \
                 between sources.",
            )),
        }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let block = self.schema().block;
        if !selection::check_elements(&block, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        let Some(catalog) = catalog_with_user_documents(config, diagnostics) else {
            return;
        };
        check_platform(&catalog, config, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let catalog = catalog_with_user_documents(config, diagnostics)?;
        check_platform(&catalog, config, diagnostics);
        if diagnostics.has_errors() {
            return None;
        }
        let wanted = config::string(config, PLATFORM);
        let platforms: Vec<_> = catalog
            .platforms()
            .filter(|p| wanted.is_none_or(|name| p.name == name))
            .collect();
        let names = platforms.iter().map(|p| Value::string(&p.name)).collect();
        let platforms = platforms
            .iter()
            .map(|platform| {
                // Title and summary come from the newest release: that is how users know the platform today.
                let newest = platform.releases.last();
                Value::object([
                    ("name", Value::string(&platform.name)),
                    (
                        "title",
                        Value::string(
                            newest
                                .map(|r| r.platform.title.as_str())
                                .unwrap_or_default(),
                        ),
                    ),
                    (
                        "summary",
                        Value::string(
                            newest
                                .map(|r| r.platform.summary.as_str())
                                .unwrap_or_default(),
                        ),
                    ),
                    (
                        "releases",
                        Value::List(platform.releases.iter().map(release_value).collect()),
                    ),
                ])
            })
            .collect();
        Some(Value::object([
            (
                PLATFORM,
                config.get_attr(PLATFORM).cloned().unwrap_or(Value::Null),
            ),
            (
                USER_CATALOGS,
                config
                    .get_attr(USER_CATALOGS)
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            ("platform_names", Value::List(names)),
            ("platforms", Value::List(platforms)),
        ]))
    }
}

fn check_platform(catalog: &Catalog, config: &Value, diagnostics: &mut Diagnostics) {
    let Some(name) = config::string(config, PLATFORM) else {
        return;
    };
    if catalog.platform(name).is_none() {
        let valid: Vec<&str> = catalog.platforms().map(|p| p.name.as_str()).collect();
        diagnostics.push(
            Diagnostic::error(
                format!("Unknown platform {name:?}"),
                format!("Set `platform` to one of: {}.", valid.join(", ")),
            )
            .at(AttributePath::root().attr(PLATFORM)),
        );
    }
}

fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::List(items.into_iter().map(Value::string).collect())
}

fn optional_string(text: Option<&String>) -> Value {
    text.map(Value::string).unwrap_or(Value::Null)
}

fn release_value(release: &Release) -> Value {
    Value::object([
        ("versions", Value::string(release.platform.versions.text())),
        (
            "version_note",
            optional_string(release.platform.version_note.as_ref()),
        ),
        (
            "newest_read",
            release
                .platform
                .newest_read
                .as_ref()
                .map(|n| Value::string(n.text()))
                .unwrap_or(Value::Null),
        ),
        ("origin", Value::string(&release.origin)),
        ("flow_count", Value::number(release.flows.len() as u64)),
        (
            "sources",
            Value::List(
                release
                    .sources
                    .iter()
                    .map(|s| {
                        Value::object([
                            ("id", Value::string(&s.id)),
                            ("document", Value::string(&s.document)),
                            ("url", Value::string(&s.url)),
                            ("version", Value::string(&s.version)),
                            ("date", Value::string(&s.date)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "roles",
            Value::List(
                release
                    .roles
                    .iter()
                    .map(|r| {
                        Value::object([
                            ("name", Value::string(&r.name)),
                            ("title", Value::string(&r.title)),
                            ("network", Value::string(r.network.to_string())),
                            (
                                "tiers",
                                Value::List(
                                    r.tiers
                                        .iter()
                                        .map(|t| Value::string(t.to_string()))
                                        .collect(),
                                ),
                            ),
                            ("namespace", optional_string(r.namespace.as_ref())),
                            (
                                "selector",
                                Value::Map(
                                    r.selector
                                        .iter()
                                        .map(|(k, v)| (k.clone(), Value::string(v)))
                                        .collect(),
                                ),
                            ),
                            ("description", Value::string(&r.description)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "options",
            Value::List(
                release
                    .options
                    .iter()
                    .map(|o| {
                        Value::object([
                            ("name", Value::string(&o.name)),
                            ("description", Value::string(&o.description)),
                            ("values", strings(&o.values)),
                            ("default", Value::string(&o.default)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "parameters",
            Value::List(
                release
                    .parameters
                    .iter()
                    .map(|p| {
                        Value::object([
                            ("name", Value::string(&p.name)),
                            ("description", Value::string(&p.description)),
                            (
                                "default",
                                p.default
                                    .map(|d| Value::number(Number::from(d)))
                                    .unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "endpoints",
            Value::List(
                release
                    .endpoints
                    .iter()
                    .map(|e| {
                        Value::object([
                            ("name", Value::string(&e.name)),
                            ("title", Value::string(&e.title)),
                            ("description", Value::string(&e.description)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "disagreements",
            Value::List(
                release
                    .disagreements
                    .iter()
                    .map(|d| {
                        Value::object([
                            ("topic", Value::string(&d.topic)),
                            ("text", Value::string(&d.text)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(platform: Option<&str>, user: Option<Vec<&str>>) -> Value {
        Value::object([
            (PLATFORM, platform.map(Value::string).unwrap_or(Value::Null)),
            (
                USER_CATALOGS,
                user.map(|docs| Value::List(docs.into_iter().map(Value::string).collect()))
                    .unwrap_or(Value::Null),
            ),
            ("platform_names", Value::Null),
            ("platforms", Value::Null),
        ])
    }

    const USER_DOC: &str = r#"
format = 1
[platform]
name = "acme-app"
title = "Acme app"
versions = "*"
summary = "Our own service."
[[sources]]
id = "readme"
document = "Acme README"
url = "https://example.invalid/acme"
version = "main"
date = "2026-11-01"
[[roles]]
name = "api"
title = "API"
network = "pod"
tiers = ["worker"]
description = "Acme API pods"
[[flows]]
from = "api"
to = "api"
protocol = "tcp"
ports = ["7070"]
purpose = "gossip"
source = "readme"
rows = ["api | api | 7070 | TCP"]
"#;

    #[test]
    fn lists_every_builtin_platform_and_matches_the_schema() {
        let mut diagnostics = Diagnostics::default();
        let value = CatalogDataSource
            .read(&config(None, None), &mut diagnostics)
            .unwrap();
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let names = value
            .get_attr("platform_names")
            .and_then(Value::as_elements)
            .unwrap();
        let builtin: Vec<_> = Catalog::builtin()
            .platforms()
            .map(|p| Value::string(&p.name))
            .collect();
        assert_eq!(names, builtin.as_slice());
        assert!(!builtin.is_empty());
        let ty = CatalogDataSource.schema().block.implied_type();
        let complete = CatalogDataSource.schema().block.complete(value);
        crate::cty::encode_msgpack(&ty, &complete).expect("the result conforms to the schema");
    }

    #[test]
    fn user_catalogs_are_listed_beside_the_builtin_ones() {
        let mut diagnostics = Diagnostics::default();
        let value = CatalogDataSource
            .read(
                &config(Some("acme-app"), Some(vec![USER_DOC])),
                &mut diagnostics,
            )
            .unwrap();
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let names = value
            .get_attr("platform_names")
            .and_then(Value::as_elements)
            .unwrap();
        assert_eq!(names, [Value::string("acme-app")]);
    }

    #[test]
    fn invalid_user_catalog_points_at_the_document() {
        let mut diagnostics = Diagnostics::default();
        let broken = USER_DOC.replace("protocol = \"tcp\"", "protocol = \"ipip\"");
        CatalogDataSource.validate(
            &config(None, Some(vec![USER_DOC, &broken])),
            &mut diagnostics,
        );
        assert!(diagnostics.has_errors());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("user_catalogs[1]"), "{text}");
        assert!(text.contains("protocol"), "{text}");
    }

    #[test]
    fn unknown_platform_lists_the_valid_ones() {
        let mut diagnostics = Diagnostics::default();
        CatalogDataSource.validate(&config(Some("longhron"), None), &mut diagnostics);
        let text = format!("{diagnostics:?}");
        assert!(diagnostics.has_errors());
        assert!(text.contains("Unknown platform \\\"longhron\\\""), "{text}");
        assert!(text.contains("longhorn"), "{text}");
    }

    #[test]
    fn unknown_values_are_not_judged_during_validation() {
        let mut diagnostics = Diagnostics::default();
        let mut partially_known = config(None, None);
        if let Value::Object(attributes) = &mut partially_known {
            attributes.insert(USER_CATALOGS.into(), Value::List(vec![Value::unknown()]));
            attributes.insert(PLATFORM.into(), Value::unknown());
        }
        CatalogDataSource.validate(&partially_known, &mut diagnostics);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    }
}
