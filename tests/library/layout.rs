//! The layout is part of the architecture: every file's imports are read (`crate::…`, `super::…`,
//! and a `mod.rs` naming its own child modules), resolved to the file they land in, and checked for
//! two things (an import of a module's own `mod.rs` facade, which Rust puts in scope for its
//! children, is not counted). No file-level import circle anywhere in `src/`, and no room importing a room above
//! it (`util` < `media` < `data` < `analysis`, `labels` < `scan` < the CLI and the GUI). Test
//! modules at the end of a file (`#[cfg(test)] mod tests`) are left out: they may use anything.
//!
//! Run alone: `cargo test --test library layout`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/core/data/load/mod.rs` -> `core::data::load`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn is_facade(file: &Path) -> bool {
    matches!(
        file.file_name().and_then(|n| n.to_str()),
        Some("mod.rs" | "lib.rs" | "main.rs")
    )
}

/// Whether `facade` is the `mod.rs` (or `lib.rs`) of a folder that holds `file`.
fn is_ancestor(facade: &Path, file: &Path) -> bool {
    is_facade(facade) && facade.parent().is_some_and(|dir| file.starts_with(dir))
}

/// The file a module path lands in: the longest prefix that is a file.
fn file_of(segments: &[String]) -> Option<PathBuf> {
    for k in (0..=segments.len()).rev() {
        let prefix = &segments[..k];
        if prefix.is_empty() {
            return Some(src().join("lib.rs"));
        }
        let base = prefix.iter().fold(src(), |p, s| p.join(s));
        let as_file = base.with_extension("rs");
        if as_file.is_file() {
            return Some(as_file);
        }
        let as_mod = base.join("mod.rs");
        if as_mod.is_file() {
            return Some(as_mod);
        }
    }
    None
}

/// The code of a file without line comments and without its trailing test module.
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(bytes: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    (String::from_utf8_lossy(&bytes[start..i]).into_owned(), i)
}

/// Every path in `code` that starts at one of `roots`, as segments, with the members of a trailing
/// `::{a, b::c}` group as extra last segments (one path per member).
fn paths_from(code: &str, roots: &BTreeSet<String>) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if !boundary || !(bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            i += 1;
            continue;
        }
        let (first, mut j) = ident_at(bytes, i);
        if !roots.contains(&first) || !code[j..].starts_with("::") {
            i = j.max(i + 1);
            continue;
        }
        let mut segments = vec![first];
        let mut group = Vec::new();
        while code[j..].starts_with("::") {
            j += 2;
            if bytes.get(j) == Some(&b'{') {
                let end = code[j..].find('}').map_or(code.len(), |e| j + e);
                for member in code[j + 1..end].split(',') {
                    let head = member.trim().split("::").next().unwrap_or("").trim();
                    if !head.is_empty() && head != "self" {
                        group.push(head.to_string());
                    }
                }
                j = end;
                break;
            }
            let (seg, k) = ident_at(bytes, j);
            if seg.is_empty() {
                break;
            }
            segments.push(seg);
            j = k;
        }
        if group.is_empty() {
            out.push(segments);
        } else {
            for member in group {
                let mut path = segments.clone();
                path.push(member);
                out.push(path);
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// Each file and the files its imports land in.
fn import_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph = BTreeMap::new();
    for file in files {
        let code = code_of(&file);
        let module = module_of(&file);
        // A file `x.rs` is the module `x`; `super` from it is x's parent, as for `x/mod.rs`.
        let mut roots: BTreeSet<String> = ["crate", "super", "self", "spotcheck"]
            .into_iter()
            .map(String::from)
            .collect();
        if is_facade(&file) {
            for line in code.lines() {
                let line = line.trim_start();
                let line = line
                    .strip_prefix("pub ")
                    .or_else(|| line.strip_prefix("pub(crate) "))
                    .unwrap_or(line);
                if let Some(rest) = line.strip_prefix("mod ")
                    && let Some(name) = rest.strip_suffix(';')
                {
                    roots.insert(name.trim().to_string());
                }
            }
        }
        let mut targets = BTreeSet::new();
        for path in paths_from(&code, &roots) {
            let mut segments: Vec<String> = match path[0].as_str() {
                "crate" | "spotcheck" => path[1..].to_vec(),
                "super" | "self" => {
                    let mut current = module.clone();
                    let mut rest = &path[..];
                    while let Some(first) = rest.first() {
                        match first.as_str() {
                            "super" => {
                                current.pop();
                            }
                            "self" => {}
                            _ => break,
                        }
                        rest = &rest[1..];
                    }
                    current.extend(rest.iter().cloned());
                    current
                }
                child => {
                    let mut current = module.clone();
                    current.push(child.to_string());
                    current.extend(path[1..].iter().cloned());
                    current
                }
            };
            if segments.first().is_some_and(|s| s == "main") {
                segments.remove(0);
            }
            // A module's own parent files are in scope by Rust's design (a facade `mod.rs` re-exporting
            // its children, or defining what they share): an edge to an ancestor is not a dependency.
            if let Some(target) = file_of(&segments)
                && target != file
                && !is_ancestor(&target, &file)
            {
                targets.insert(target);
            }
        }
        graph.insert(file, targets);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn short(p: &Path) -> String {
    p.strip_prefix(src().parent().unwrap())
        .unwrap_or(p)
        .display()
        .to_string()
}

#[test]
fn no_file_level_import_circles() {
    let graph = import_graph();
    let found = circles(&graph);
    let text: Vec<String> = found
        .iter()
        .map(|c| c.iter().map(|p| short(p)).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(
        found.is_empty(),
        "import circles in src/:\n{}",
        text.join("\n")
    );
}

/// The room of a file and its rank: a room may import its own rank and below, never above.
fn room(file: &Path) -> Option<(&'static str, u8)> {
    let rel = file.strip_prefix(src()).ok()?;
    let parts: Vec<&str> = rel.iter().filter_map(|s| s.to_str()).collect();
    Some(match parts.as_slice() {
        ["core", "util", ..] => ("core/util", 0),
        ["core", "media", ..] => ("core/media", 1),
        ["core", "data", ..] => ("core/data", 2),
        ["core", "analysis", ..] => ("core/analysis", 3),
        ["core", "labels", ..] => ("core/labels", 3),
        ["core", "scan", ..] => ("core/scan", 4),
        ["cli", ..] => ("cli", 5),
        ["ui", ..] => ("ui", 5),
        _ => return None,
    })
}

#[test]
fn lower_rooms_never_import_higher_ones() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (file, targets) in &graph {
        let Some((from, from_rank)) = room(file) else {
            continue;
        };
        for target in targets {
            let Some((to, to_rank)) = room(target) else {
                continue;
            };
            // Rooms of one rank are siblings: neither imports the other. The CLI starts the GUI.
            let sideways = from_rank == to_rank && from != to && !(from == "cli" && to == "ui");
            if to_rank > from_rank || sideways {
                wrong.push(format!(
                    "{} ({from}) imports {} ({to})",
                    short(file),
                    short(target)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_a_circle_and_an_upward_import() {
    // Guards the guard: a made-up graph with a circle and a core file importing the GUI.
    let a = src().join("core/data/dataset.rs");
    let b = src().join("core/data/columns.rs");
    let ui = src().join("ui/app.rs");
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        (a.clone(), [b.clone(), ui.clone()].into()),
        (b.clone(), [a.clone()].into()),
        (ui.clone(), BTreeSet::new()),
    ]
    .into();
    assert_eq!(circles(&graph), vec![vec![b.clone(), a.clone()]]);
    assert_eq!(room(&a), Some(("core/data", 2)));
    assert_eq!(room(&ui), Some(("ui", 5)));
    // And the parser resolves the kinds of import the real files use.
    let roots: BTreeSet<String> = ["crate", "super"].into_iter().map(String::from).collect();
    let paths = paths_from(
        "use crate::core::data::{columns::X, dataset};\nlet y = super::super::z::f();",
        &roots,
    );
    assert_eq!(paths.len(), 3);
    assert_eq!(paths[0], ["crate", "core", "data", "columns"]);
    assert_eq!(paths[2], ["super", "super", "z", "f"]);
}
