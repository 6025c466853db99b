//! `cargo xtask cycles` on small crates written to a temporary directory.

use std::path::Path;

use xtask::cycles::find;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn siblings_that_use_each_other_are_a_cycle_naming_both_references() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("lib.rs", "mod a; mod b; mod c;"),
            ("a.rs", "use crate::b::Thing;\npub struct Other;"),
            (
                "b/mod.rs",
                "pub struct Thing;\nfn f() -> super::a::Other { todo!() }",
            ),
            ("c.rs", "use crate::a::Other;"),
        ],
    );
    let cycles = find(dir.path()).unwrap();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert_eq!(cycles[0].modules, ["a", "b"]);
    let edges: Vec<(&str, &str, &str)> = cycles[0]
        .edges
        .iter()
        .map(|(f, t, w, _)| (f.as_str(), t.as_str(), w.as_str()))
        .collect();
    assert_eq!(
        edges,
        [("a", "b", "crate::b::Thing"), ("b", "a", "super::a::Other")]
    );
}

#[test]
fn parents_children_and_tests_are_not_cycles() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("lib.rs", "mod a; mod b; pub use a::X;"),
            (
                "a/mod.rs",
                "mod inner; pub use inner::X; pub struct Shared;",
            ),
            ("a/inner.rs", "use super::Shared; pub struct X;"),
            ("b.rs", "use crate::a::X;"),
            // `a` reaches `b` only from its tests.
            ("a/more.rs", "#[cfg(test)] mod tests { use crate::b::*; }"),
        ],
    );
    assert_eq!(find(dir.path()).unwrap(), []);
}

#[test]
fn a_longer_cycle_through_three_modules_is_one_component() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("lib.rs", "mod a; mod b; mod c;"),
            ("a.rs", "use crate::b::B;"),
            ("b.rs", "use crate::c::C;"),
            ("c.rs", "fn f() { crate::a::g(); }"),
        ],
    );
    let cycles = find(dir.path()).unwrap();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].modules, ["a", "b", "c"]);
    assert_eq!(cycles[0].edges.len(), 3);
}
