//! Which of the plan's groups belong to which tier: `--tier master=VALUE` matchers, or the defaults (a tag
//! `portmatrix:tier = <tier>`, or a group named like the tier).

use super::plan::{Group, TIER_TAG};
use std::collections::{BTreeMap, BTreeSet};

/// The tiers of a selection and the values that pick their groups in a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierMap {
    /// Tier names, in the selection's order.
    tiers: Vec<String>,
    /// Matchers per tier (given, or the defaults).
    matchers: BTreeMap<String, Vec<String>>,
}

impl TierMap {
    /// Matchers for `tiers`: the `(tier, value)` pairs given, and for each tier without any, the defaults
    /// `portmatrix:tier=<tier>` and `<tier>`. A pair naming no tier of the selection is an error.
    pub fn new(tiers: &[String], given: &[(String, String)]) -> Result<TierMap, String> {
        let mut matchers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tier, value) in given {
            if !tiers.contains(tier) {
                return Err(format!(
                    "--tier {tier}={value}: the selection has no tier {tier:?}; its tiers: {}",
                    tiers.join(", ")
                ));
            }
            matchers
                .entry(tier.clone())
                .or_default()
                .push(value.clone());
        }
        for tier in tiers {
            matchers
                .entry(tier.clone())
                .or_insert_with(|| vec![format!("{TIER_TAG}={tier}"), tier.clone()]);
        }
        Ok(TierMap {
            tiers: tiers.to_vec(),
            matchers,
        })
    }

    /// Tier names, in the selection's order.
    pub fn tiers(&self) -> &[String] {
        &self.tiers
    }

    /// The values that pick `tier`'s groups.
    pub fn matchers(&self, tier: &str) -> &[String] {
        self.matchers.get(tier).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The tiers `group` belongs to: all of them for a firewall that applies to every instance, else those with
    /// a matcher that is the group's address (or a module address containing it), name, ID, target tag or
    /// service account, or a `KEY=VALUE` pair of its tags.
    pub fn group_tiers(&self, group: &Group) -> BTreeSet<String> {
        self.tiers
            .iter()
            .filter(|tier| {
                group.all_instances
                    || self
                        .matchers(tier)
                        .iter()
                        .any(|value| matches(value, group))
            })
            .cloned()
            .collect()
    }

    /// The tiers whose matchers name `label` exactly (a source tag, a security group ID the plan does not
    /// create, ...).
    pub fn label_tiers(&self, label: &str) -> BTreeSet<String> {
        self.tiers
            .iter()
            .filter(|tier| self.matchers(tier).iter().any(|value| value == label))
            .cloned()
            .collect()
    }
}

/// Whether a matcher picks `group`: its address (or a module address containing it), name, ID, target tag or
/// service account, or a `KEY=VALUE` pair of its tags.
pub fn matches(value: &str, group: &Group) -> bool {
    let in_module = |address: &str| {
        address
            .strip_prefix(value)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            && value.starts_with("module.")
    };
    group.identity.iter().any(|identifier| identifier == value)
        || in_module(&group.key)
        || group.labels.iter().any(|label| label == value)
        || value
            .split_once('=')
            .is_some_and(|(k, v)| group.tags.get(k).is_some_and(|t| t == v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::plan::Cloud;

    fn group(address: &str, name: &str, tags: &[(&str, &str)]) -> Group {
        Group {
            key: address.into(),
            cloud: Cloud::Aws,
            identity: vec![address.into(), name.into()],
            labels: vec![],
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            all_instances: false,
        }
    }

    fn tiers() -> Vec<String> {
        vec!["master".into(), "worker".into(), "lb".into()]
    }

    #[test]
    fn matchers_take_address_module_name_and_tag() {
        let map = TierMap::new(
            &tiers(),
            &[
                ("master".into(), "module.masters".into()),
                ("worker".into(), "role=worker".into()),
                ("worker".into(), "sg-workers".into()),
            ],
        )
        .unwrap();
        let names = |g: &Group| map.group_tiers(g).into_iter().collect::<Vec<_>>();
        assert_eq!(
            names(&group(
                "module.masters[0].aws_security_group.this",
                "x",
                &[]
            )),
            ["master"]
        );
        assert!(names(&group("module.mastersx.aws_security_group.this", "x", &[])).is_empty());
        assert_eq!(
            names(&group("aws_security_group.w", "sg-workers", &[])),
            ["worker"]
        );
        assert_eq!(
            names(&group(
                "aws_security_group.w",
                "other",
                &[("role", "worker")]
            )),
            ["worker"]
        );
        // lb was given no matcher: its defaults apply.
        assert_eq!(
            names(&group(
                "aws_security_group.l",
                "n",
                &[("portmatrix:tier", "lb")]
            )),
            ["lb"]
        );
        assert_eq!(names(&group("aws_security_group.l", "lb", &[])), ["lb"]);
        // master was given one: its defaults do not apply.
        assert!(names(&group("aws_security_group.m", "master", &[])).is_empty());
        assert_eq!(
            map.label_tiers("sg-workers")
                .into_iter()
                .collect::<Vec<_>>(),
            ["worker"]
        );
    }

    #[test]
    fn firewalls_for_every_instance_are_on_every_tier() {
        let mut g = group("google_compute_firewall.f", "f", &[]);
        g.all_instances = true;
        let map = TierMap::new(&tiers(), &[]).unwrap();
        assert_eq!(map.group_tiers(&g).len(), 3);
    }

    #[test]
    fn unknown_tier_is_an_error() {
        let e = TierMap::new(&tiers(), &[("db".into(), "x".into())]).unwrap_err();
        assert_eq!(
            e,
            "--tier db=x: the selection has no tier \"db\"; its tiers: master, worker, lb"
        );
    }
}
