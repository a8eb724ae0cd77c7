//! Checks and embeds every `catalogs/*.toml`. Each document is parsed and validated here, with the crate's own
//! catalog modules, so a broken built-in document fails the build with its error. Writes
//! `$OUT_DIR/builtin_catalogs.rs`: a static list of (file name, platform name, `include_str!`) sorted by file
//! name, read by `src/catalog/builtin.rs`, which parses at run time only the documents a request needs.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

// The catalog modules refer to each other as `super::…`: at the root of the build script, `super` is the root.
// The script uses only parsing and validation, so the rest of their items are unused here.
#[allow(dead_code)]
#[path = "src/catalog/documents.rs"]
mod documents;
#[allow(dead_code)]
#[path = "src/catalog/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "src/catalog/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "src/catalog/parse.rs"]
mod parse;
#[allow(dead_code)]
#[path = "src/catalog/raw.rs"]
mod raw;
#[allow(dead_code)]
#[path = "src/catalog/validate.rs"]
mod validate;
#[allow(dead_code)]
#[path = "src/catalog/version.rs"]
mod version;

fn main() {
    // The message as written (a `Result` from main would print it escaped, on one line).
    if let Err(message) = run() {
        eprintln!("{message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=catalogs");
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let files = toml_files(&manifest_dir.join("catalogs")).map_err(|e| e.to_string())?;
    let texts = files
        .iter()
        .map(|(name, path)| Ok((name.as_str(), fs::read_to_string(path)?)))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    let borrowed: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let releases = documents::check(&borrowed).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "invalid built-in catalog documents in provider/catalogs:\n{}",
            lines.join("\n")
        )
    })?;
    let mut out = String::from(
        "/// Catalog documents compiled into the binary, checked by build.rs: (file name, platform name, text),\n\
         /// sorted by file name.\n\
         pub(super) static FILES: &[(&str, &str, &str)] = &[\n",
    );
    for ((name, path), release) in files.iter().zip(&releases) {
        out.push_str(&format!(
            "    ({name:?}, {:?}, include_str!({:?})),\n",
            release.platform.name,
            absolute(path).display().to_string()
        ));
    }
    out.push_str("];\n");
    let out_dir = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    fs::write(out_dir.join("builtin_catalogs.rs"), out).map_err(|e| e.to_string())
}

/// The `.toml` files of `dir` (file name, path), sorted by name; none when the directory is absent.
fn toml_files(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            if let Some(name) = name.filter(|n| n.ends_with(".toml") && path.is_file()) {
                files.push((name, path));
            }
        }
    }
    files.sort();
    Ok(files)
}

fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
