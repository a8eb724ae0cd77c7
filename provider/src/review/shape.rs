//! The structure of a `terraform show -json PLANFILE` document, as far as the plan reader reads it: checked with
//! serde's typed deserialisation before the reader walks the document, so that a value of the wrong type (an
//! object where a list of rules belongs, a string for a port) is an error naming its JSON path and what belongs
//! there, rather than a rule read as absent. Fields the reader does not read are not checked; `null` stands for
//! a value unknown until apply wherever Terraform may write it.
// The structs' fields are read by deserialisation only: their types are the check.
#![expect(
    dead_code,
    reason = "fields exist to be type-checked while deserialising"
)]

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// What a missing value reads as, so that its check names it as missing.
static NULL: Value = Value::Null;

/// The plan document's top level.
#[derive(Deserialize)]
#[serde(expecting = "an object (the output of `terraform show -json PLANFILE`)")]
struct Document {
    format_version: String,
    #[serde(default)]
    terraform_version: Option<String>,
    planned_values: PlannedValues,
    #[serde(default)]
    prior_state: Option<State>,
    #[serde(default)]
    configuration: Option<Configuration>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an object with root_module")]
struct PlannedValues {
    root_module: IgnoredAny,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct State {
    #[serde(default)]
    values: Option<StateValues>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct StateValues {
    #[serde(default)]
    root_module: Option<IgnoredAny>,
    #[serde(flatten)]
    rest: Rest,
}

/// A module of `planned_values` or of the prior state.
#[derive(Deserialize)]
#[serde(expecting = "a module object")]
struct Module {
    #[serde(default)]
    resources: Vec<Resource>,
    #[serde(default)]
    child_modules: Vec<IgnoredAny>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "a resource object")]
struct Resource {
    address: String,
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    values: Option<IgnoredAny>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct Configuration {
    #[serde(default)]
    root_module: Option<ConfigModule>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "a module object")]
struct ConfigModule {
    #[serde(default)]
    resources: Vec<ConfigResource>,
    #[serde(default)]
    module_calls: BTreeMap<String, ModuleCall>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "a resource object")]
struct ConfigResource {
    address: String,
    #[serde(default)]
    expressions: Option<BTreeMap<String, IgnoredAny>>,
    #[serde(default)]
    for_each_expression: Option<Expression>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an expression object")]
struct Expression {
    #[serde(default)]
    references: Option<Vec<String>>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "a module call object")]
struct ModuleCall {
    #[serde(default)]
    module: Option<ConfigModule>,
    #[serde(flatten)]
    rest: Rest,
}

/// The other fields of an object. Every struct here flattens them into a field: that makes serde accept only an
/// object for the struct, where it would otherwise take an array of the fields' values too.
type Rest = BTreeMap<String, IgnoredAny>;

/// A list of strings whose elements may be unknown (`null`).
type Strings = Option<Vec<Option<String>>>;

/// `aws_security_group`.
#[derive(Deserialize)]
#[serde(expecting = "an object of aws_security_group attributes")]
struct AwsGroup {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    tags_all: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    ingress: Option<Vec<AwsRule>>,
    #[serde(default)]
    egress: Option<Vec<AwsRule>>,
    #[serde(flatten)]
    rest: Rest,
}

/// An inline rule of `aws_security_group`, or an `aws_security_group_rule`.
#[derive(Deserialize)]
#[serde(expecting = "a rule object")]
struct AwsRule {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    protocol: Option<Protocol>,
    #[serde(default)]
    from_port: Option<Port>,
    #[serde(default)]
    to_port: Option<Port>,
    #[serde(default)]
    cidr_blocks: Strings,
    #[serde(default)]
    ipv6_cidr_blocks: Strings,
    #[serde(default)]
    prefix_list_ids: Strings,
    #[serde(default, rename = "self")]
    own: Option<bool>,
    #[serde(default)]
    security_groups: Strings,
    #[serde(default)]
    security_group_id: Option<String>,
    #[serde(default)]
    source_security_group_id: Option<String>,
    #[serde(flatten)]
    rest: Rest,
}

/// `aws_vpc_security_group_ingress_rule` and `_egress_rule`.
#[derive(Deserialize)]
#[serde(expecting = "an object of security group rule attributes")]
struct AwsVpcRule {
    #[serde(default)]
    ip_protocol: Option<Protocol>,
    #[serde(default)]
    from_port: Option<Port>,
    #[serde(default)]
    to_port: Option<Port>,
    #[serde(default)]
    cidr_ipv4: Option<String>,
    #[serde(default)]
    cidr_ipv6: Option<String>,
    #[serde(default)]
    prefix_list_id: Option<String>,
    #[serde(default)]
    referenced_security_group_id: Option<String>,
    #[serde(default)]
    security_group_id: Option<String>,
    #[serde(flatten)]
    rest: Rest,
}

/// `google_compute_firewall`.
#[derive(Deserialize)]
#[serde(expecting = "an object of google_compute_firewall attributes")]
struct GcpFirewall {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    allow: Option<Vec<GcpBlock>>,
    #[serde(default)]
    deny: Option<Vec<GcpBlock>>,
    #[serde(default)]
    source_ranges: Strings,
    #[serde(default)]
    destination_ranges: Strings,
    #[serde(default)]
    source_tags: Strings,
    #[serde(default)]
    source_service_accounts: Strings,
    #[serde(default)]
    target_tags: Strings,
    #[serde(default)]
    target_service_accounts: Strings,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Deserialize)]
#[serde(expecting = "an allow or deny object")]
struct GcpBlock {
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    ports: Strings,
    #[serde(flatten)]
    rest: Rest,
}

/// `azurerm_network_security_group`.
#[derive(Deserialize)]
#[serde(expecting = "an object of azurerm_network_security_group attributes")]
struct AzureGroup {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    resource_group_name: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    security_rule: Option<Vec<AzureRule>>,
    #[serde(flatten)]
    rest: Rest,
}

/// An inline `security_rule` of an NSG, or an `azurerm_network_security_rule`.
#[derive(Deserialize)]
#[serde(expecting = "a security rule object")]
struct AzureRule {
    #[serde(default)]
    access: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    destination_port_range: Option<String>,
    #[serde(default)]
    destination_port_ranges: Strings,
    #[serde(default)]
    source_address_prefix: Option<String>,
    #[serde(default)]
    source_address_prefixes: Strings,
    #[serde(default)]
    destination_address_prefix: Option<String>,
    #[serde(default)]
    destination_address_prefixes: Strings,
    #[serde(default)]
    source_application_security_group_ids: Strings,
    #[serde(default)]
    destination_application_security_group_ids: Strings,
    #[serde(default)]
    network_security_group_name: Option<String>,
    #[serde(default)]
    resource_group_name: Option<String>,
    #[serde(flatten)]
    rest: Rest,
}

/// A value read as text or as a whole number: the clouds write protocols both ways, and ports as numbers or
/// numeric strings.
struct TextOrInteger;

impl<'de> Deserialize<'de> for TextOrInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl Visitor<'_> for Expect {
            type Value = TextOrInteger;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a whole number")
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<TextOrInteger, E> {
                Ok(TextOrInteger)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<TextOrInteger, E> {
                Ok(TextOrInteger)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<TextOrInteger, E> {
                Ok(TextOrInteger)
            }
        }
        deserializer.deserialize_any(Expect)
    }
}

type Protocol = TextOrInteger;
type Port = TextOrInteger;

/// Checks `document` against the structure the plan reader reads: `Err` names the first value of the wrong type
/// or missing, by its JSON path, and what belongs there.
pub(super) fn check(document: &Value) -> Result<(), String> {
    let top: Document = typed(document, "")?;
    let major = top.format_version.split('.').next().unwrap_or_default();
    if !matches!(major, "0" | "1") {
        return Err(format!(
            "format_version {:?} is not a version of Terraform's JSON plan format this reader knows (0.x or 1.x): \
             give the output of `terraform show -json PLANFILE` from Terraform 0.12 to 1.x",
            top.format_version
        ));
    }
    module(
        document
            .pointer("/planned_values/root_module")
            .unwrap_or(&NULL),
        "planned_values.root_module",
    )?;
    if top
        .prior_state
        .and_then(|s| s.values)
        .and_then(|v| v.root_module)
        .is_some()
    {
        module(
            document
                .pointer("/prior_state/values/root_module")
                .unwrap_or(&NULL),
            "prior_state.values.root_module",
        )?;
    }
    Ok(())
}

/// Checks a module of planned values or of the prior state, its resources' values and its child modules.
fn module(value: &Value, path: &str) -> Result<(), String> {
    let module: Module = typed(value, path)?;
    for (i, resource) in module.resources.iter().enumerate() {
        if resource.mode != "managed" || resource.values.is_none() {
            continue;
        }
        let at = format!("{path}.resources[{i}].values");
        let values = value
            .pointer(&format!("/resources/{i}/values"))
            .unwrap_or(&NULL);
        let checked = match resource.kind.as_str() {
            "aws_security_group" => typed::<AwsGroup>(values, &at).map(drop),
            "aws_security_group_rule" => typed::<AwsRule>(values, &at).map(drop),
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                typed::<AwsVpcRule>(values, &at).map(drop)
            }
            "google_compute_firewall" => typed::<GcpFirewall>(values, &at).map(drop),
            "azurerm_network_security_group" => typed::<AzureGroup>(values, &at).map(drop),
            "azurerm_network_security_rule" => typed::<AzureRule>(values, &at).map(drop),
            _ => Ok(()),
        };
        checked.map_err(|e| format!("{e} (resource {})", resource.address))?;
    }
    for i in 0..module.child_modules.len() {
        self::module(
            value
                .pointer(&format!("/child_modules/{i}"))
                .unwrap_or(&NULL),
            &format!("{path}.child_modules[{i}]"),
        )?;
    }
    Ok(())
}

/// Deserialises `value` as `T`; an error names the JSON path (below `path`) and what was expected there.
fn typed<'de, T: Deserialize<'de>>(value: &'de Value, path: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let full = match (path, inner.as_str()) {
            ("", ".") => String::new(),
            ("", inner) => inner.to_string(),
            (path, ".") => path.to_string(),
            (path, inner) if inner.starts_with('[') => format!("{path}{inner}"),
            (path, inner) => format!("{path}.{inner}"),
        };
        let what = plain(&e.into_inner().to_string());
        if full.is_empty() {
            format!("the document: {what}")
        } else {
            format!("{full}: {what}")
        }
    })
}

/// serde's wording in JSON's terms.
fn plain(message: &str) -> String {
    message
        .replace("invalid type: map", "invalid type: object")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected an object")
        .replace("expected a boolean", "expected true or false")
        .replace("invalid type: ", "found ")
        .replace("missing field `", "missing `")
}
