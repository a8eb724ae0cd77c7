//! `portmatrix_flows`: the normalized tier-to-tier flows of a selection ([`crate::engine::flow_listing`]), for
//! people and for custom targets.

use super::selection::{self, EndpointKind};
use super::{echo_config, typed_result, DataSource, ReadResult, SELECTION_INPUTS};
use crate::cty::Value;
use crate::diagnostics::Diagnostics;
use crate::engine::{flow_listing, FlowListing};
use crate::output_shape::OutputFields;
use crate::schema::{Block, Schema};

/// The `portmatrix_flows` data source.
pub(crate) struct FlowsDataSource;

impl DataSource for FlowsDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_flows"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into normalized flows between your tiers and endpoints: deduplicated, \
             with touching and overlapping port ranges merged, each with the catalog rows behind it. Use it to \
             review a cluster's network needs or to feed a firewall the provider has no target for.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs);
        Schema::new(0, block.outputs(FlowListing::fields()))
    }

    fn validates_from_config_alone(&self) -> bool {
        true
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        selection::validate(config, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
        let expansion = selection::expand(config, diagnostics)?;
        let listing = flow_listing(&expansion);
        let attributes = echo_config(config, &SELECTION_INPUTS);
        typed_result(self.type_name(), attributes, &listing, diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::AttributePath;
    use crate::cty::Number;

    fn config(platforms: &[(&str, Option<&str>)], pod_network: Option<&str>) -> Value {
        let block = FlowsDataSource.schema().block;
        let platforms = platforms
            .iter()
            .map(|(name, version)| {
                Value::object([
                    ("name", Value::string(*name)),
                    ("version", version.map(Value::string).unwrap_or(Value::Null)),
                    ("options", Value::Null),
                ])
            })
            .collect();
        block.complete(Value::object([
            ("platform", Value::List(platforms)),
            (
                "pod_network",
                pod_network.map(Value::string).unwrap_or(Value::Null),
            ),
        ]))
    }

    /// Asserts that `diagnostics` hold exactly one warning, on `platform[index].version`, saying `detail`.
    fn assert_one_version_warning(diagnostics: &Diagnostics, index: i64, detail: &str) {
        let warnings: Vec<_> = diagnostics.iter().collect();
        assert_eq!(warnings.len(), 1, "{diagnostics:?}");
        assert!(!warnings[0].is_error());
        assert_eq!(
            warnings[0].attribute,
            Some(
                AttributePath::root()
                    .attr("platform")
                    .index(index)
                    .attr("version")
            )
        );
        assert_eq!(warnings[0].detail, detail);
    }

    #[test]
    fn reads_a_stack_into_a_value_that_conforms_to_the_schema() {
        let mut diagnostics = Diagnostics::default();
        let complete = read_value(
            &FlowsDataSource,
            &config(&[("kubernetes", None), ("calico", None)], None),
            &mut diagnostics,
        )
        .expect("expansion");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let flows = elements(&complete, "flows");
        let ipip = flows
            .iter()
            .find(|f| str_attr(f, "key") == Some("worker->master:4:all"))
            .expect("IP-in-IP from workers to masters");
        assert_eq!(ipip.get_attr("from_port"), Some(&Value::Null));
    }

    #[test]
    fn bad_selection_points_at_the_block_attribute() {
        let text = validation(
            &FlowsDataSource,
            &config(&[("longhorn", Some("0.9"))], Some("tunnel")),
        );
        assert!(text.contains("Invalid pod_network"), "{text}");
        // A version no release covers is the expansion's to find: the read (during plan) reports it.
        let config = config(&[("longhorn", Some("0.9"))], None);
        let mut diagnostics = Diagnostics::default();
        validate_config(&FlowsDataSource, &config, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(FlowsDataSource.read(&config, &mut diagnostics).is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Unsupported version"), "{text}");
        assert!(text.contains("platform"), "{text}");
    }

    #[test]
    fn a_version_above_the_newest_read_is_a_warning_at_its_attribute() {
        let config = config(&[("kubernetes", None), ("longhorn", Some("2.0"))], None);
        let mut diagnostics = Diagnostics::default();
        validate_config(&FlowsDataSource, &config, &mut diagnostics);
        assert!(
            diagnostics.is_empty(),
            "validation reports no warning: {diagnostics:?}"
        );
        let value = read_value(&FlowsDataSource, &config, &mut diagnostics)
            .expect("the 1.5+ table answers for 2.0");
        assert_one_version_warning(
            &diagnostics,
            1,
            "longhorn 2.0.0 is newer than the newest version whose documentation was read (1.13); the table of \
             longhorn >=1.5.0 (longhorn-1.5.toml) is used as read up to 1.13: compare the upstream page of 2.0.0 \
             before relying on it"
        );
        let listed = format!("{:?}", value.get_attr("warnings"));
        assert!(listed.contains("longhorn 2.0.0 is newer"), "{listed}");

        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.read(
            &self::config(&[("longhorn", Some("1.13.2"))], None),
            &mut diagnostics,
        );
        assert!(diagnostics.is_empty(), "1.13 was read: {diagnostics:?}");
    }

    /// Cilium was read only from main-branch pages (`newest_read = "none"`): any version given is a warning.
    #[test]
    fn a_release_read_from_unreleased_pages_warns_for_any_version() {
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource
            .read(
                &config(&[("cilium", Some("1.16.4"))], None),
                &mut diagnostics,
            )
            .expect("the main-branch table answers for 1.16.4");
        assert_one_version_warning(
            &diagnostics,
            0,
            "cilium 1.16.4: no released documentation of cilium was read; the table of cilium >=1.12.0 \
             (cilium.toml) comes from unreleased (main-branch) pages: compare the upstream page of 1.16.4 before \
             relying on it"
        );
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.read(&config(&[("cilium", None)], None), &mut diagnostics);
        assert!(
            diagnostics.is_empty(),
            "no version, no warning: {diagnostics:?}"
        );
        let mut diagnostics = Diagnostics::default();
        assert!(FlowsDataSource
            .read(
                &config(&[("cilium", Some("1.11.7"))], None),
                &mut diagnostics
            )
            .is_none());
        assert!(
            format!("{diagnostics:?}").contains("Unsupported version"),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn an_endpoint_without_addresses_is_a_warning_as_in_the_rule_data_sources() {
        let block = FlowsDataSource.schema().block;
        let endpoint = Value::List(vec![Value::object([(
            "name",
            Value::string("backupstore"),
        )])]);
        let config = super::super::test_support::test_config(
            &block,
            &[("longhorn", &[])],
            &[
                ("endpoint", endpoint),
                (
                    "parameters",
                    Value::Map(
                        [(
                            "backupstore_port".to_string(),
                            Value::number(Number::from(9000u64)),
                        )]
                        .into_iter()
                        .collect(),
                    ),
                ),
            ],
        );
        let mut diagnostics = Diagnostics::default();
        let value = read_value(&FlowsDataSource, &config, &mut diagnostics).expect("flows");
        let warnings: Vec<&str> = elements(&value, "warnings")
            .iter()
            .filter_map(Value::as_str)
            .filter(|w| w.starts_with("endpoint \"backupstore\" has no addresses"))
            .collect();
        assert_eq!(warnings.len(), 1, "{value:?}");
        assert!(
            warnings[0].contains("->backupstore:tcp:9000"),
            "names the flows: {}",
            warnings[0]
        );
        assert!(
            warnings[0].contains("cidr_ipv4 or cidr_ipv6"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn null_elements_are_errors_naming_their_path() {
        let block = FlowsDataSource.schema().block;
        let endpoint = Value::List(vec![Value::object([
            ("name", Value::string("backupstore")),
            (
                "cidr_ipv4",
                Value::List(vec![Value::string("10.9.0.0/16"), Value::Null]),
            ),
        ])]);
        let config = super::super::test_support::test_config(
            &block,
            &[("longhorn", &[]), ("calico", &[("encapsulation", "vxlan")])],
            &[
                ("endpoint", endpoint),
                ("user_catalogs", Value::List(vec![Value::Null])),
            ],
        );
        let mut config = config;
        if let Value::Object(attributes) = &mut config {
            if let Some(Value::List(platforms)) = attributes.get_mut("platform") {
                if let Value::Object(calico) = &mut platforms[1] {
                    calico.insert(
                        "options".into(),
                        Value::Map(
                            [("encapsulation".to_string(), Value::Null)]
                                .into_iter()
                                .collect(),
                        ),
                    );
                }
            }
        }
        let mut diagnostics = Diagnostics::default();
        validate_config(&FlowsDataSource, &config, &mut diagnostics);
        let paths = error_paths(&diagnostics);
        for expected in [
            "endpoint[0].cidr_ipv4[1]",
            "platform[1].options[\"encapsulation\"]",
            "user_catalogs[0]",
        ] {
            assert!(
                paths.iter().any(|p| p == expected),
                "{expected} in {paths:?}"
            );
        }
    }
}
