//! Embeds every `catalogs/*.toml` into the binary: writes `$OUT_DIR/builtin_catalogs.rs` with a static list
//! of (file name, `include_str!`) sorted by name, read by `src/catalog/builtin.rs`.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=catalogs");
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let catalogs = manifest_dir.join("catalogs");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if catalogs.is_dir() {
        for entry in fs::read_dir(&catalogs)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            if let Some(name) = name.filter(|n| n.ends_with(".toml") && path.is_file()) {
                files.push((name, path));
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Catalog documents compiled into the binary: (file name, text), sorted by name.\n\
         pub(super) static FILES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            absolute(path).display().to_string()
        ));
    }
    out.push_str("];\n");
    let out_dir = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    fs::write(out_dir.join("builtin_catalogs.rs"), out)
}

fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
