//! The workspace's shape, checked on every test run: the crates depend on each other only
//! downwards (core ← {input, report, curves} ← engine ← cli ← {the binary, the Python
//! bindings}), the terminal and process crates stay in the command line, the allocator in the
//! binary, every library crate forbids `unsafe`, no module of a crate imports in a cycle, and
//! no source file grows past the size a person can hold.
//!
//! The rule itself is written in CONTRIBUTING.md; this file is its enforcement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which verdict crates each crate may depend on, including as a dev-dependency.
const ALLOWED: [(&str, &[&str]); 7] = [
    ("verdict-core", &[]),
    ("verdict-input", &["verdict-core"]),
    ("verdict-report", &["verdict-core"]),
    ("verdict-curves", &["verdict-core"]),
    (
        "verdict-engine",
        &["verdict-core", "verdict-input", "verdict-report"],
    ),
    (
        "verdict-cli",
        &[
            "verdict-core",
            "verdict-input",
            "verdict-report",
            "verdict-curves",
            "verdict-engine",
        ],
    ),
    (
        "verdict-python",
        &[
            "verdict-core",
            "verdict-input",
            "verdict-report",
            "verdict-curves",
            "verdict-engine",
            "verdict-cli",
        ],
    ),
];

/// Crates that touch the terminal or the process: the command line's, in `verdict-cli` and the
/// root package alone.
const COMMAND_LINE_ONLY: [&str; 3] = ["clap", "indicatif", "ctrlc"];

/// The crate that sets the process's allocator: the root's binaries alone, never a library a
/// Python interpreter loads.
const ALLOCATOR: &str = "mimalloc";

/// The crate besides the root package that may use [`COMMAND_LINE_ONLY`].
const COMMAND_LINE: &str = "verdict-cli";

/// The most lines a source file may have, its unit tests included.
const MAX_LINES: usize = 1200;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap();
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dependency_names(manifest: &toml::Table) -> BTreeSet<String> {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|section| manifest.get(*section).and_then(toml::Value::as_table))
        .flat_map(|table| table.keys().cloned())
        .collect()
}

#[test]
fn crates_depend_only_downwards_and_the_terminal_belongs_to_the_command_line() {
    let members: BTreeSet<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    assert_eq!(
        members,
        allowed.keys().map(|name| name.to_string()).collect(),
        "a crate was added or removed: give it its place in ALLOWED and CONTRIBUTING.md"
    );
    for (name, may_use) in &allowed {
        let deps = dependency_names(&manifest(
            &root().join("crates").join(name).join("Cargo.toml"),
        ));
        for dep in deps.iter().filter(|dep| dep.starts_with("verdict")) {
            assert!(
                may_use.contains(&dep.as_str()),
                "{name} depends on {dep}: the layering allows only {may_use:?}"
            );
        }
        for dep in COMMAND_LINE_ONLY
            .into_iter()
            .filter(|_| *name != COMMAND_LINE)
        {
            assert!(
                !deps.contains(dep),
                "{name} depends on {dep}, which belongs to the command line ({COMMAND_LINE} and the root package) alone"
            );
        }
        assert!(
            !deps.contains(ALLOCATOR),
            "{name} depends on {ALLOCATOR}, which belongs to the root's binaries alone"
        );
    }
}

#[test]
fn every_library_crate_forbids_unsafe_code() {
    for (name, _) in ALLOWED {
        let lib = root().join("crates").join(name).join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{} does not forbid unsafe code",
            lib.display()
        );
    }
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("crates"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines, unit tests included: split by concern: {long:?}"
    );
}

/// A module's path within its crate (`score::stream`), from its file's path below `src/`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut segments: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(segments.last().map(String::as_str), Some("lib" | "mod")) {
        segments.pop();
    }
    segments
}

/// The code of a file that counts for imports: without comments and without its unit-test
/// module, which may reach anywhere in its crate.
fn import_text(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names from `crate::`, `super::` or one of the module's own child
/// modules (`stream::score_part`), as module segments relative to the crate root, with the
/// first level of a `{…}` group expanded.
fn named_paths(code: &str, module: &[String], children: &[String]) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !ident(bytes[i - 1]);
        let rest: String = bytes[i..bytes.len().min(i + 64)].iter().collect();
        let after_path = i >= 2 && bytes[i - 2..i] == [':', ':'];
        let child = children
            .iter()
            .find(|child| rest.starts_with(&format!("{child}::")) && starts_word && !after_path);
        let (mut base, mut at) = if let Some(child) = child {
            let mut path = module.to_vec();
            path.push(child.clone());
            (path, i + child.len() + 2)
        } else if starts_word && rest.starts_with("crate::") {
            (Vec::new(), i + 7)
        } else if starts_word && rest.starts_with("super::") {
            // The parent of `a::b`, whether it is `a/b.rs` or `a/b/mod.rs`, is `a`.
            let mut parent = module.to_vec();
            parent.pop();
            (parent, i + 7)
        } else {
            i += 1;
            continue;
        };
        loop {
            let start = at;
            while at < bytes.len() && ident(bytes[at]) {
                at += 1;
            }
            let segment: String = bytes[start..at].iter().collect();
            if segment == "super" {
                base.pop();
            } else if !segment.is_empty() {
                base.push(segment);
            }
            if bytes[at..].starts_with(&[':', ':']) {
                at += 2;
                if bytes.get(at) == Some(&'{') {
                    let close = bytes[at..].iter().position(|&c| c == '}').unwrap() + at;
                    let group: String = bytes[at + 1..close].iter().collect();
                    for item in group.split(',') {
                        let first = item.trim().split("::").next().unwrap_or("").trim();
                        if !first.is_empty() && first != "self" {
                            let mut path = base.clone();
                            path.push(first.to_string());
                            found.push(path);
                        }
                    }
                    found.push(base.clone());
                    at = close;
                    break;
                }
                continue;
            }
            found.push(base.clone());
            break;
        }
        i = at.max(i + 1);
    }
    found
}

/// The modules on a cycle of imports, one list per cycle (Tarjan's strongly connected
/// components of more than one module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        for target in &state.graph[node] {
            if !state.index.contains_key(target.as_str()) {
                visit(state, target);
                let low = state.low[target.as_str()].min(state.low[node]);
                state.low.insert(node, low);
            } else if state.stack.contains(&target.as_str()) {
                let low = state.index[target.as_str()].min(state.low[node]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let at = state.stack.iter().position(|&n| n == node).unwrap();
            let component: Vec<String> = state.stack.drain(at..).map(str::to_owned).collect();
            if component.len() > 1 {
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

fn module_name(path: &[String]) -> String {
    if path.is_empty() {
        "(crate root)".to_owned()
    } else {
        path.join("::")
    }
}

/// Each module of the crate at `src` and the modules it imports from.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, &PathBuf> = files
        .iter()
        .map(|file| (module_path(src, file), file))
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let code = import_text(&std::fs::read_to_string(file).unwrap());
        let children: Vec<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect();
        let mut targets = BTreeSet::new();
        for path in named_paths(&code, module, &children) {
            // The longest prefix of the path that is a module: the rest names an item in it.
            let target = (0..=path.len())
                .rev()
                .map(|len| &path[..len])
                .find(|prefix| modules.contains_key(*prefix))
                .unwrap_or(&[]);
            if target != module.as_slice() {
                targets.insert(module_name(target));
            }
        }
        graph.insert(module_name(module), targets);
    }
    graph
}

#[test]
fn no_module_imports_in_a_cycle() {
    let mut found = Vec::new();
    for (name, _) in ALLOWED {
        let graph = module_graph(&root().join("crates").join(name).join("src"));
        for cycle in cycles(&graph) {
            found.push(format!("{name}: {}", cycle.join(" → ")));
        }
    }
    assert!(
        found.is_empty(),
        "modules that import each other (move the shared types down): {found:#?}"
    );
}

#[test]
fn the_cycle_check_sees_a_cycle_through_crate_super_and_groups() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod c;\nuse crate::b::{Thing, other};\n",
    )
    .unwrap();
    std::fs::write(src.join("a/c.rs"), "pub fn f() {}\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "// crate::a is named in a comment only\npub struct Thing;\n",
    )
    .unwrap();
    assert!(
        cycles(&module_graph(src)).is_empty(),
        "{:?}",
        module_graph(src)
    );
    // b → a::c → a (super) → b.
    std::fs::write(src.join("a/c.rs"), "pub fn f() { super::helper(); }\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct Thing;\nfn g() { crate::a::c::f(); }\n",
    )
    .unwrap();
    let found = cycles(&module_graph(src));
    assert_eq!(found.len(), 1, "{found:?}");
    let mut members = found[0].clone();
    members.sort();
    assert_eq!(members, ["a", "a::c", "b"]);
    // A parent naming its child by its bare name, and the child using the parent's items.
    std::fs::write(src.join("b.rs"), "pub struct Thing;\n").unwrap();
    std::fs::write(src.join("a/mod.rs"), "mod c;\npub fn helper() { c::f() }\n").unwrap();
    let found = cycles(&module_graph(src));
    assert_eq!(found.len(), 1, "{found:?}");
    // A unit-test module may reach anywhere.
    std::fs::write(src.join("a/c.rs"), "pub fn f() {}\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct Thing;\n#[cfg(test)]\nmod tests {\n    use crate::a::c::f;\n}\n",
    )
    .unwrap();
    assert!(cycles(&module_graph(src)).is_empty());
}
