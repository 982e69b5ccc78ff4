//! House rules checked on the source tree (STYLE.md): every module starts with a `//!` paragraph
//! saying what it owns, and no file grows past 600 lines without being split.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_module_doc_and_stays_small() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 10);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! module doc",
            f.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= 600,
            "{} has {lines} lines; split it along what its name says",
            f.display()
        );
    }
}

#[test]
fn no_module_is_a_grab_bag() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        assert!(
            !["utils", "helpers", "misc", "common"].contains(&stem.as_str()),
            "{}",
            f.display()
        );
    }
}

/// The domain never sees HTTP (ARCHITECTURE.md "Layers"): nothing under the domain folders names
/// a surface (`web`, `api`, `pages`, `admin`, `server`). `ops::backup` belongs here too: the CLI
/// runs it without a server.
#[test]
fn the_domain_names_no_surface() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["accounts", "catalog", "learning", "db", "seed"] {
        rust_files(&root.join(dir), &mut files);
    }
    for file in [
        "fields.rs",
        "mail.rs",
        "markdown.rs",
        "paging.rs",
        "textsearch.rs",
        "ops/backup.rs",
    ] {
        files.push(root.join(file));
    }
    assert!(files.len() > 20, "the domain folders were found");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for surface in ["web", "api", "pages", "admin", "server"] {
            let path = format!("crate::{surface}");
            assert!(
                !text.contains(&format!("{path}::")) && !text.contains(&format!("{path};")),
                "{} names {path}: a domain module must not depend on a surface",
                f.display()
            );
        }
    }
}
