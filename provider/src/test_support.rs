//! Assertions the unit tests of every layer share.

/// Asserts that `text` contains `part`, and shows `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in: {text}");
}

/// Asserts that some line of `lines` contains `part`, and shows them all when none does.
#[track_caller]
pub fn assert_some_contains(lines: &[String], part: &str) {
    assert!(
        lines.iter().any(|line| line.contains(part)),
        "{part:?} is in none of: {lines:#?}"
    );
}
