//! Corpora kept beside the repository (`../shared`: the seed documents, third-party plan fixtures). They add
//! cases when present. CI (`CI` set) always has them, so there a missing corpus fails the test; on a
//! contributor's clone with nothing beside it the test says what it skipped and passes.

use std::path::PathBuf;

/// `../shared/<relative>` when it exists; `None` (after printing why) on a clone without it, outside CI.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: CI runs with ../shared beside the repository",
        path.display()
    );
    eprintln!(
        "skipped: {} is not beside this clone; the cases it holds run where it is (CI)",
        path.display()
    );
    None
}
