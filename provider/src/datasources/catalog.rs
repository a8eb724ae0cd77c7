//! `portmatrix_catalog`: what the catalog holds: platforms, their releases, roles, options and parameters.

use super::config;
use super::selection::{self, catalog_for, catalog_with_user_documents};
use super::{echo_config, typed_result, DataSource, ReadResult};
use crate::catalog::{listing, Catalog, Listing};
use crate::cty::AttributePath;
use crate::cty::{CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output_shape::OutputFields;
use crate::schema::{Attribute, Block, Schema};

/// The `portmatrix_catalog` data source.
pub(crate) struct CatalogDataSource;

const PLATFORM: &str = "platform";
const USER_CATALOGS: &str = "user_catalogs";

impl DataSource for CatalogDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_catalog"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
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
        .attribute(selection::user_catalogs_attribute());
        Schema::new(0, block.outputs(Listing::fields()))
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        with_catalog(config, diagnostics, |catalog, diagnostics| {
            check_platform(catalog, config, diagnostics);
        });
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
        let attributes = echo_config(config, &[PLATFORM, USER_CATALOGS]);
        with_catalog(config, diagnostics, |catalog, diagnostics| {
            check_platform(catalog, config, diagnostics);
            if diagnostics.has_errors() {
                return None;
            }
            let listing = listing(catalog, config::string(config, PLATFORM));
            typed_result(self.type_name(), attributes, &listing, diagnostics)
        })?
    }
}

/// Runs `work` with the catalog the configuration lists: with a `platform`, only that platform's built-in
/// documents are parsed (the whole catalog, whose platforms an unknown name's error lists, only when the name is
/// not built in); without one, every document. `None` when the user catalogs do not load.
fn with_catalog<T>(
    config: &Value,
    diagnostics: &mut Diagnostics,
    work: impl FnOnce(&Catalog, &mut Diagnostics) -> T,
) -> Option<T> {
    match config::string(config, PLATFORM) {
        Some(name) => {
            let catalog = catalog_for(config, &[name], diagnostics)?;
            Some(work(&catalog, diagnostics))
        }
        None => {
            let catalog = catalog_with_user_documents(config, diagnostics)?;
            Some(work(&catalog, diagnostics))
        }
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
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
platform = { name = "acme-app", title = "Acme app", versions = "*", summary = "Our own service." }
sources = [{ id = "readme", document = "Acme README", url = "https://example.invalid/acme", version = "main", date = "2026-11-01" }]
roles = [{ name = "api", title = "API", network = "pod", tiers = ["worker"], description = "Acme API pods" }]
flows = [{ from = "api", to = "api", protocol = "tcp", ports = ["7070"], purpose = "gossip", source = "readme", rows = ["api | api | 7070 | TCP"] }]
"#;

    #[test]
    fn one_platform_lists_as_it_does_in_the_whole_catalog() {
        // With `platform`, only that platform's documents are parsed; what is listed must not change.
        let whole = read_conforming(&CatalogDataSource, &config(None, Some(vec![USER_DOC])));
        for listed in elements(&whole, "platforms") {
            let name = str_attr(listed, "name").expect("a name");
            let one = read_conforming(
                &CatalogDataSource,
                &config(Some(name), Some(vec![USER_DOC])),
            );
            assert_eq!(
                elements(&one, "platforms"),
                std::slice::from_ref(listed),
                "{name}"
            );
            assert_eq!(elements(&one, "platform_names"), [Value::string(name)]);
        }
    }

    #[test]
    fn lists_every_builtin_platform_and_matches_the_schema() {
        let value = read_conforming(&CatalogDataSource, &config(None, None));
        let builtin: Vec<_> = Catalog::builtin()
            .platforms()
            .map(|p| Value::string(&p.name))
            .collect();
        assert_eq!(elements(&value, "platform_names"), builtin.as_slice());
        assert!(!builtin.is_empty());
    }

    #[test]
    fn user_catalogs_are_listed_beside_the_builtin_ones() {
        let mut diagnostics = Diagnostics::default();
        let value = read_value(
            &CatalogDataSource,
            &config(Some("acme-app"), Some(vec![USER_DOC])),
            &mut diagnostics,
        )
        .unwrap();
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let names = elements(&value, "platform_names");
        assert_eq!(names, [Value::string("acme-app")]);
    }

    #[test]
    fn invalid_user_catalog_points_at_the_document() {
        let mut diagnostics = Diagnostics::default();
        let broken = USER_DOC.replace("protocol = \"tcp\"", "protocol = \"ipip\"");
        validate_config(
            &CatalogDataSource,
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
        validate_config(
            &CatalogDataSource,
            &config(Some("longhron"), None),
            &mut diagnostics,
        );
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
        validate_config(&CatalogDataSource, &partially_known, &mut diagnostics);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    }
}
