//! Assertions the unit tests of every layer share.

use pb::attribute_path::step::Selector;
use portmatrix_proto::tfplugin6 as pb;

/// Asserts that `text` contains `part`, and shows `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in: {text}");
}

/// The first line of `lines` that contains `part`; shows them all when none does.
#[track_caller]
pub fn line_containing<'a>(lines: &'a [String], part: &str) -> &'a str {
    let found = lines.iter().find(|line| line.contains(part));
    found.unwrap_or_else(|| panic!("{part:?} is in none of: {lines:#?}"))
}

/// Asserts that some line of `lines` contains `part`, and shows them all when none does.
#[track_caller]
pub fn assert_some_contains(lines: &[String], part: &str) {
    line_containing(lines, part);
}

/// The selectors of the steps of a protobuf attribute path, in order.
pub fn selectors(path: pb::AttributePath) -> Vec<Selector> {
    path.steps.into_iter().filter_map(|s| s.selector).collect()
}
