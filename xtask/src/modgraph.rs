//! `cargo xtask cycles`: the module dependency graph of each crate and its cycles.
//!
//! One node per module file (`foo.rs` or `foo/mod.rs`; `lib.rs` is the crate root), one crate
//! at a time. An edge is a path in a module that names another module of the same crate:
//! `use crate::a::{b, c::d}`, `use super::x`, `use self::…`, a path into a child module
//! (`child::f()`), and inline paths in code (`crate::i18n::message(…)`, `super::users::get(…)`).
//! A path resolves to the longest prefix that is a module file, so an item resolves to the
//! module that holds it; an item a module re-exports (`pub use child::Item`) resolves to where
//! it comes from, and a `#[macro_export]` macro (`crate::t!`) to the file that defines it.
//! A path through a re-exported dependency (`pub use minicrm_storage as storage;`, then
//! `crate::storage::rows::…`) leaves the crate: no edge (the dependencies are read from the
//! crate's Cargo.toml).
//! A parent's `mod child;` is not an edge (it is the tree, not a dependency), but a parent
//! using its child's items is one, and so is a child using its parent's. Comments and string
//! literals are ignored; inline modules (`#[cfg(test)] mod tests { … }`) count as their file.
//!
//! Cycles are the strongly connected components (Tarjan) of more than one module; each is
//! printed with the `use`s (file:line) that make it. Cycles between sibling directories
//! (`state/` and `data/`) are printed as warnings: they do not fail the check.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};

/// The crates the check reads: their source directories relative to the project root
/// (each beside its Cargo.toml).
const CRATES: [&str; 6] = [
    "core/src",
    "server/src",
    "storage/src",
    "sheets/src",
    "worker/src",
    "app/src",
];

/// Reads every crate, prints its cycles and directory cycles, and fails if any crate has a
/// module cycle.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let mut failing = Vec::new();
    let mut out = String::new();
    for dir in CRATES {
        let src = root.join(dir);
        let files = read_crate(&src).with_context(|| format!("reading {dir}"))?;
        let manifest = src.with_file_name("Cargo.toml");
        let manifest = std::fs::read_to_string(&manifest)
            .with_context(|| format!("{}", manifest.display()))?;
        let graph = Graph::build(&files, &extern_crates(&manifest));
        let report = graph.report(dir);
        out.push_str(&report.text);
        if report.cycles > 0 {
            failing.push(format!("{dir}: {}", report.cycles));
        }
    }
    print_report(&out);
    if !failing.is_empty() {
        bail!("module cycles: {}", failing.join(", "));
    }
    Ok(())
}

#[allow(clippy::print_stdout, reason = "the report is the command's output")]
fn print_report(text: &str) {
    print!("{text}");
}

/// A crate's module files: (path relative to `src`, with `/`, and the text).
fn read_crate(src: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let rel = path
                    .strip_prefix(src)?
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{}", path.display()))?;
                files.push((rel, text));
            }
        }
    }
    // A binary beside a library is a crate of its own that sees the library by its name.
    if files.iter().any(|(rel, _)| rel == "lib.rs") {
        files.retain(|(rel, _)| rel != "main.rs" && !rel.starts_with("bin/"));
    }
    files.sort();
    Ok(files)
}

/// The names a crate's code calls other crates by: the dependencies its Cargo.toml names
/// (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, per-target tables and
/// `[dependencies.name]` tables; hyphens as underscores) and the standard library's crates.
fn extern_crates(manifest: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["std", "core", "alloc"].map(String::from).into();
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            in_table = header.ends_with("dependencies");
            if let Some((_, name)) = header.rsplit_once("dependencies.") {
                names.insert(name.trim_matches(['"', '\'']).replace('-', "_"));
            }
        } else if in_table
            && !line.starts_with('#')
            && let Some((key, _)) = line.split_once('=')
        {
            // `name = …`, `name.workspace = true`, `"name" = …`
            let key = key.split('.').next().unwrap_or(key).trim();
            let key = key.trim_matches(['"', '\'']);
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                names.insert(key.replace('-', "_"));
            }
        }
    }
    names
}

/// The module path of a file relative to `src`: `lib.rs` → [], `a/mod.rs` → [a],
/// `a/b.rs` → [a, b].
fn module_path(rel: &str) -> Vec<String> {
    let Some(stem) = rel.strip_suffix(".rs") else {
        return Vec::new();
    };
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| last == "mod") || parts == ["lib"] || parts == ["main"] {
        parts.pop();
    }
    parts
}

/// The text with comments and string and char literals blanked (newlines kept).
fn strip_comments_and_strings(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(src.len());
    // Skips from `from` to the index after the literal's end, keeping its newlines.
    let blank = |out: &mut String, from: usize, to: usize| {
        for &c in &chars[from..to.min(chars.len())] {
            if c == '\n' {
                out.push('\n');
            }
        }
        to
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_ident = i > 0 && is_ident(chars[i - 1]);
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let (mut j, mut depth) = (i + 2, 1);
            while j < chars.len() && depth > 0 {
                if chars[j] == '/' && at(j + 1) == '*' {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && at(j + 1) == '/' {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            i = blank(&mut out, i, j);
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            i = blank(&mut out, i, j + 1);
        } else if !prev_ident && matches!(c, 'r' | 'b' | 'c') && raw_string_end(&chars, i).is_some()
        {
            let end = raw_string_end(&chars, i).unwrap_or(i + 1);
            i = blank(&mut out, i, end);
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                let mut j = i + 3;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = blank(&mut out, i, j + 1);
            } else if at(i + 2) == '\'' {
                i = blank(&mut out, i, i + 3);
            } else {
                // A lifetime or a label.
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br"…"`, `cr"…"`) starting at `i` ends, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

struct Token {
    text: String,
    line: usize,
    ident: bool,
}

fn tokens(clean: &str) -> Vec<Token> {
    let chars: Vec<char> = clean.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let ident = !c.is_ascii_digit();
            tokens.push(Token { text, line, ident });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token {
                text: "::".into(),
                line,
                ident: false,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: c.to_string(),
                line,
                ident: false,
            });
            i += 1;
        }
    }
    tokens
}

/// A path one file names, before it is resolved.
struct Reference {
    /// The module the path is written in: the file's module and any inline modules.
    scope: Vec<String>,
    segments: Vec<String>,
    line: usize,
    /// `use …` or the path as written in code, for the report.
    text: String,
    /// For a `pub use`: the name it re-exports the item under.
    reexported_as: Option<String>,
}

/// What one file says: its paths and the macros it exports at the crate root.
struct Parsed {
    references: Vec<Reference>,
    macros: Vec<String>,
}

fn parse(module: &[String], src: &str) -> Parsed {
    let toks = tokens(&strip_comments_and_strings(src));
    let text = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut parsed = Parsed {
        references: Vec::new(),
        macros: Vec::new(),
    };
    let mut depth = 0usize;
    // Inline modules: (name, the brace depth inside their block).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut macro_export = false;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i];
        let scope = || {
            let mut scope = module.to_vec();
            scope.extend(inline.iter().map(|(name, _)| name.clone()));
            scope
        };
        match tok.text.as_str() {
            "{" => depth += 1,
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            "mod" if toks.get(i + 1).is_some_and(|t| t.ident) && text(i + 2) == "{" => {
                inline.push((text(i + 1).to_owned(), depth + 1));
                depth += 1;
                i += 3;
                continue;
            }
            "macro_export" => macro_export = true,
            "macro_rules" if text(i + 1) == "!" => {
                if macro_export && toks.get(i + 2).is_some_and(|t| t.ident) {
                    parsed.macros.push(text(i + 2).to_owned());
                }
                macro_export = false;
            }
            "use" if text(i + 1) != "<" => {
                let public = text(i.wrapping_sub(1)) == "pub"
                    || (text(i.wrapping_sub(1)) == ")"
                        && (2..=5).any(|back| {
                            text(i.wrapping_sub(back)) == "("
                                && text(i.wrapping_sub(back + 1)) == "pub"
                        }));
                let mut leaves = Vec::new();
                let mut j = i + 1;
                use_tree(&toks, &mut j, Vec::new(), &mut leaves);
                let scope = scope();
                for (segments, name, line) in leaves {
                    parsed.references.push(Reference {
                        scope: scope.clone(),
                        text: format!("use {}", segments.join("::")),
                        segments,
                        line,
                        reexported_as: if public { name } else { None },
                    });
                }
                while j < toks.len() && toks[j].text != ";" {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            _ if tok.ident
                && text(i.wrapping_sub(1)) != "::"
                && text(i + 1) == "::"
                && toks.get(i + 2).is_some_and(|t| t.ident) =>
            {
                let mut segments = vec![tok.text.clone()];
                let mut j = i + 1;
                while text(j) == "::" && toks.get(j + 1).is_some_and(|t| t.ident) {
                    segments.push(toks[j + 1].text.clone());
                    j += 2;
                }
                parsed.references.push(Reference {
                    scope: scope(),
                    text: segments.join("::"),
                    segments,
                    line: tok.line,
                    reexported_as: None,
                });
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parsed
}

/// Parses a use tree from `toks[*j]`: every leaf path with the name it brings into scope
/// (none for a glob) and its line.
fn use_tree(
    toks: &[Token],
    j: &mut usize,
    mut prefix: Vec<String>,
    leaves: &mut Vec<(Vec<String>, Option<String>, usize)>,
) {
    while let Some(tok) = toks.get(*j) {
        match tok.text.as_str() {
            "::" if prefix.is_empty() => {
                // `use ::name`: always another crate.
                prefix.push("::".into());
                *j += 1;
            }
            "::" => *j += 1,
            "{" => {
                *j += 1;
                while let Some(tok) = toks.get(*j) {
                    match tok.text.as_str() {
                        "}" => {
                            *j += 1;
                            break;
                        }
                        "," => *j += 1,
                        ";" => return,
                        _ => use_tree(toks, j, prefix.clone(), leaves),
                    }
                }
                return;
            }
            "*" => {
                *j += 1;
                leaves.push((prefix, None, tok.line));
                return;
            }
            _ if tok.ident => {
                // `{self, …}` names the prefix itself.
                if tok.text != "self" || prefix.is_empty() {
                    prefix.push(tok.text.clone());
                }
                *j += 1;
                if toks.get(*j).is_some_and(|t| t.text == "::") {
                    continue;
                }
                let mut name = prefix.last().cloned();
                if toks.get(*j).is_some_and(|t| t.text == "as") {
                    name = toks.get(*j + 1).map(|t| t.text.clone());
                    *j += 2;
                }
                leaves.push((prefix, name, tok.line));
                return;
            }
            _ => return,
        }
    }
}

/// One use of another module.
struct Edge {
    from: usize,
    to: usize,
    line: usize,
    text: String,
}

struct Graph {
    /// Module paths and their files, sorted by path.
    modules: Vec<(Vec<String>, String)>,
    edges: Vec<Edge>,
}

impl Graph {
    /// The graph of a crate's files; `externs`: the names of the crates it depends on.
    fn build(files: &[(String, String)], externs: &BTreeSet<String>) -> Graph {
        let mut modules: Vec<(Vec<String>, String)> = files
            .iter()
            .map(|(rel, _)| (module_path(rel), rel.clone()))
            .collect();
        modules.sort();
        modules.dedup_by(|a, b| a.0 == b.0);
        let index: HashMap<Vec<String>, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, (path, _))| (path.clone(), i))
            .collect();
        let parsed: Vec<(usize, Parsed)> = files
            .iter()
            .filter_map(|(rel, text)| {
                let module = module_path(rel);
                let from = *index.get(&module)?;
                Some((from, parse(&module, text)))
            })
            .collect();
        let mut resolver = Resolver {
            index: &index,
            reexports: HashMap::new(),
            external: HashSet::new(),
            macros: HashMap::new(),
        };
        for (from, file) in &parsed {
            for name in &file.macros {
                resolver.macros.insert(name.clone(), *from);
            }
            for reference in &file.references {
                let Some(name) = &reference.reexported_as else {
                    continue;
                };
                let key = (reference.scope.clone(), name.clone());
                match resolver.absolute(&reference.scope, &reference.segments) {
                    Some(target) => {
                        resolver.reexports.insert(key, target);
                    }
                    None if reference
                        .segments
                        .first()
                        .is_some_and(|first| first == "::" || externs.contains(first)) =>
                    {
                        resolver.external.insert(key);
                    }
                    None => {}
                }
            }
        }
        let mut edges = Vec::new();
        for (from, file) in &parsed {
            for reference in &file.references {
                let Some(absolute) = resolver.absolute(&reference.scope, &reference.segments)
                else {
                    continue;
                };
                let Some(to) = resolver.module_of(&absolute, 0) else {
                    continue;
                };
                if to != *from {
                    edges.push(Edge {
                        from: *from,
                        to,
                        line: reference.line,
                        text: reference.text.clone(),
                    });
                }
            }
        }
        Graph { modules, edges }
    }

    fn file(&self, module: usize) -> &str {
        &self.modules[module].1
    }

    /// Every strongly connected component of more than one module (Tarjan), in module order.
    fn cycles(&self) -> Vec<Vec<usize>> {
        let pairs: BTreeSet<(usize, usize)> = self.edges.iter().map(|e| (e.from, e.to)).collect();
        strongly_connected(self.modules.len(), &pairs)
    }

    /// For every directory, the cycles among its entries (subdirectories and files, each
    /// subdirectory as one node) that hold a subdirectory: (the entries' names, the cycle's
    /// module edges).
    fn directory_cycles(&self) -> Vec<(Vec<String>, Vec<&Edge>)> {
        let mut found = Vec::new();
        let has_children = |path: &[String]| {
            self.modules
                .iter()
                .any(|(other, _)| other.len() > path.len() && other.starts_with(path))
        };
        for (parent, _) in self.modules.iter().filter(|(path, _)| has_children(path)) {
            // The entry of `parent` that holds a module strictly below it.
            let entry = |module: usize| {
                let path = &self.modules[module].0;
                (path.len() > parent.len() && path.starts_with(parent))
                    .then(|| path[..=parent.len()].to_vec())
            };
            let mut entries: Vec<Vec<String>> = (0..self.modules.len()).filter_map(entry).collect();
            entries.sort();
            entries.dedup();
            let position = |path: &Vec<String>| entries.binary_search(path).ok();
            let mut pairs = BTreeSet::new();
            let mut crossing = Vec::new();
            for edge in &self.edges {
                if let (Some(a), Some(b)) = (entry(edge.from), entry(edge.to))
                    && a != b
                    && let (Some(a), Some(b)) = (position(&a), position(&b))
                {
                    pairs.insert((a, b));
                    crossing.push((a, b, edge));
                }
            }
            for component in strongly_connected(entries.len(), &pairs) {
                if !component.iter().any(|&e| has_children(&entries[e])) {
                    continue; // files only: a module cycle, reported as such
                }
                let names = component
                    .iter()
                    .map(|&e| {
                        let path = &entries[e];
                        let file = self
                            .modules
                            .iter()
                            .find(|(p, _)| p == path)
                            .map(|(_, file)| file.clone());
                        match file {
                            Some(file) if !has_children(path) => file,
                            _ => format!("{}/", path.join("/")),
                        }
                    })
                    .collect();
                let edges = crossing
                    .iter()
                    .filter(|(a, b, _)| component.contains(a) && component.contains(b))
                    .map(|(_, _, edge)| *edge)
                    .collect();
                found.push((names, edges));
            }
        }
        found
    }

    /// The shortest way round a cycle from its first module, as files.
    fn loop_through(&self, component: &[usize]) -> Vec<usize> {
        let start = component[0];
        let mut came_from: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for edge in self.edges.iter().filter(|e| e.from == node) {
                if !component.contains(&edge.to) {
                    continue;
                }
                if edge.to == start {
                    let mut path = vec![start, node];
                    let mut at = node;
                    while let Some(&prev) = came_from.get(&at) {
                        path.push(prev);
                        at = prev;
                    }
                    path.reverse();
                    path.pop(); // `start` twice at the end: once is enough, shown as ↺
                    path.push(start);
                    return path;
                }
                if edge.to != start && !came_from.contains_key(&edge.to) {
                    came_from.insert(edge.to, node);
                    queue.push_back(edge.to);
                }
            }
        }
        vec![start]
    }

    fn report(&self, dir: &str) -> Report {
        let cycles = self.cycles();
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{dir}: {} modules, {} uses of other modules, {} module cycle{}",
            self.modules.len(),
            self.edges.len(),
            cycles.len(),
            if cycles.len() == 1 { "" } else { "s" }
        );
        for (n, component) in cycles.iter().enumerate() {
            let files: Vec<&str> = component.iter().map(|&m| self.file(m)).collect();
            let _ = writeln!(text, "  cycle {}: {}", n + 1, files.join(", "));
            let round: Vec<&str> = self
                .loop_through(component)
                .iter()
                .map(|&m| self.file(m))
                .collect();
            let _ = writeln!(text, "    e.g. {}", round.join(" -> "));
            let mut by_pair: BTreeMap<(usize, usize), Vec<&Edge>> = BTreeMap::new();
            for edge in &self.edges {
                if component.contains(&edge.from) && component.contains(&edge.to) {
                    by_pair.entry((edge.from, edge.to)).or_default().push(edge);
                }
            }
            for ((from, to), edges) in by_pair {
                let _ = writeln!(text, "    {} -> {}", self.file(from), self.file(to));
                // One line per source line: `use a::{b, c}` names both.
                let mut by_line: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
                for edge in edges {
                    by_line.entry(edge.line).or_default().push(&edge.text);
                }
                for (line, texts) in by_line {
                    let _ = writeln!(
                        text,
                        "      {dir}/{}:{line}  {}",
                        self.file(from),
                        texts.join(", ")
                    );
                }
            }
        }
        let directory_cycles = self.directory_cycles();
        if !directory_cycles.is_empty() {
            let _ = writeln!(
                text,
                "  warning: {} directory cycle{} (not failing)",
                directory_cycles.len(),
                if directory_cycles.len() == 1 { "" } else { "s" }
            );
        }
        for (names, edges) in &directory_cycles {
            let _ = writeln!(text, "    between {}", names.join(", "));
            let mut by_pair: BTreeMap<(&str, &str), Vec<&Edge>> = BTreeMap::new();
            for edge in edges {
                by_pair
                    .entry((self.file(edge.from), self.file(edge.to)))
                    .or_default()
                    .push(edge);
            }
            for ((from, to), edges) in by_pair {
                let first = edges[0];
                let more = match edges.len() {
                    1 => String::new(),
                    n => format!(" (+{} more)", n - 1),
                };
                let _ = writeln!(
                    text,
                    "      {from} -> {to}: {dir}/{from}:{}  {}{more}",
                    first.line, first.text
                );
            }
        }
        Report {
            text,
            cycles: cycles.len(),
        }
    }
}

struct Report {
    text: String,
    cycles: usize,
}

struct Resolver<'a> {
    index: &'a HashMap<Vec<String>, usize>,
    /// (module, name) → the absolute path of what `pub use` re-exports under that name.
    reexports: HashMap<(Vec<String>, String), Vec<String>>,
    /// (module, name) that `pub use` gives to something of another crate.
    external: HashSet<(Vec<String>, String)>,
    /// `#[macro_export]` macros (at the crate root) → the module defining them.
    macros: HashMap<String, usize>,
}

impl Resolver<'_> {
    /// The path from the crate root, if `segments` written in `scope` names this crate.
    fn absolute(&self, scope: &[String], segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut absolute = match first.as_str() {
            "crate" => Vec::new(),
            "self" => scope.to_vec(),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let mut base = scope.to_vec();
                base.truncate(scope.len().checked_sub(ups)?);
                base.extend(segments[ups..].iter().cloned());
                return Some(base);
            }
            _ => {
                // A path into a child module of the scope (2018 paths); anything else is
                // another crate or a type.
                let mut child = scope.to_vec();
                child.push(first.clone());
                let below = |p: &Vec<String>| {
                    self.index
                        .keys()
                        .any(|k| k.len() >= p.len() && k.starts_with(p))
                };
                if !below(&child) {
                    return None;
                }
                let mut absolute = scope.to_vec();
                absolute.push(first.clone());
                absolute.extend(segments[1..].iter().cloned());
                return Some(absolute);
            }
        };
        absolute.extend(segments[1..].iter().cloned());
        Some(absolute)
    }

    /// The module file an absolute path lands in: its longest prefix that is a module file,
    /// through re-exports and exported macros; `None` when a re-export takes it to another
    /// crate.
    fn module_of(&self, absolute: &[String], hops: usize) -> Option<usize> {
        for len in (0..=absolute.len()).rev() {
            let Some(&module) = self.index.get(&absolute[..len]) else {
                continue;
            };
            if let Some(name) = absolute.get(len)
                && hops < 8
            {
                let key = (absolute[..len].to_vec(), name.clone());
                if let Some(target) = self.reexports.get(&key) {
                    let mut next = target.clone();
                    next.extend(absolute[len + 1..].iter().cloned());
                    return self.module_of(&next, hops + 1);
                }
                if self.external.contains(&key) {
                    return None;
                }
                if len == 0
                    && let Some(&defining) = self.macros.get(name)
                {
                    return Some(defining);
                }
            }
            return Some(module);
        }
        // No root file: the first module stands for it (never happens with lib.rs/main.rs).
        Some(0)
    }
}

/// Tarjan's strongly connected components of more than one node, each sorted, in order of
/// their first node.
fn strongly_connected(nodes: usize, edges: &BTreeSet<(usize, usize)>) -> Vec<Vec<usize>> {
    struct State<'a> {
        next: Vec<Vec<usize>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        found: &'a mut Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for w in s.next[v].clone() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(index) if s.on_stack[w] => s.low[v] = s.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort_unstable();
                s.found.push(component);
            }
        }
    }
    let mut next = vec![Vec::new(); nodes];
    for &(a, b) in edges {
        next[a].push(b);
    }
    let mut found = Vec::new();
    let mut state = State {
        next,
        index: vec![None; nodes],
        low: vec![0; nodes],
        on_stack: vec![false; nodes],
        stack: Vec::new(),
        counter: 0,
        found: &mut found,
    };
    for v in 0..nodes {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph of an in-memory tree of `(path, text)` files. (The trees of the tests are
    /// alike in shape by nature: test data.)
    fn graph(files: &[(&str, &str)]) -> Graph {
        graph_with(files, &[])
    }

    /// The same, for a crate depending on the crates `externs`.
    fn graph_with(files: &[(&str, &str)], externs: &[&str]) -> Graph {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(rel, text)| ((*rel).to_owned(), (*text).to_owned()))
            .collect();
        let externs = externs.iter().map(|name| (*name).to_owned()).collect();
        Graph::build(&files, &externs)
    }

    /// Every edge as "from.rs -> to.rs" (deduplicated, sorted).
    fn edges(graph: &Graph) -> Vec<String> {
        let set: BTreeSet<String> = graph
            .edges
            .iter()
            .map(|e| format!("{} -> {}", graph.file(e.from), graph.file(e.to)))
            .collect();
        set.into_iter().collect()
    }

    /// The report of a tree that has no module cycle (and says so).
    #[track_caller]
    fn report_without_cycles(graph: &Graph) -> String {
        assert!(graph.cycles().is_empty());
        let report = graph.report("x/src");
        assert_eq!(report.cycles, 0);
        report.text
    }

    fn cycle_files(graph: &Graph) -> Vec<Vec<&str>> {
        graph
            .cycles()
            .iter()
            .map(|c| c.iter().map(|&m| graph.file(m)).collect())
            .collect()
    }

    #[test]
    fn a_cycle_is_reported_with_its_uses() {
        let g = graph(&[
            ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
            ("a.rs", "use crate::b::thing;\npub fn f() {}\n"),
            (
                "b.rs",
                "pub fn thing() {}\n\npub fn g() { crate::c::h() }\n",
            ),
            ("c.rs", "pub fn h() { super::a::f() }\n"),
        ]);
        assert_eq!(cycle_files(&g), [["a.rs", "b.rs", "c.rs"]]);
        let report = g.report("x/src");
        assert_eq!(report.cycles, 1);
        assert!(report.text.contains("x/src/a.rs:1  use crate::b::thing"));
        assert!(report.text.contains("x/src/b.rs:3  crate::c::h"));
        assert!(report.text.contains("x/src/c.rs:1  super::a::f"));
        assert!(report.text.contains("e.g. a.rs -> b.rs -> c.rs -> a.rs"));
    }

    #[test]
    fn an_acyclic_tree_is_not_reported() {
        let g = graph(&[
            ("lib.rs", "pub mod a;\npub mod b;\nuse a::x;\n"),
            ("a/mod.rs", "pub mod x;\nuse crate::b::y;\n"),
            ("a/x.rs", "use crate::b;\n"),
            ("b.rs", "pub fn y() {}\n"),
        ]);
        let report = report_without_cycles(&g);
        assert!(report.contains("0 module cycles"));
        assert!(!report.contains("warning"));
    }

    #[test]
    fn super_and_braces_resolve_to_the_longest_module_prefix() {
        let g = graph(&[
            ("lib.rs", "pub mod p;\npub mod q;\n"),
            ("p/mod.rs", "pub mod one;\npub mod two;\npub mod three;\n"),
            (
                "p/one.rs",
                "use super::{two::{self, Item}, three::deep::Thing};\n",
            ),
            (
                "p/two.rs",
                "use super::super::q::{r::{A, B}, C};\npub struct Item;\n",
            ),
            ("p/three.rs", "pub mod deep {}\n"),
            ("q/mod.rs", "pub mod r;\n"),
            ("q/r.rs", ""),
        ]);
        assert_eq!(
            edges(&g),
            [
                "p/one.rs -> p/three.rs",
                "p/one.rs -> p/two.rs",
                "p/two.rs -> q/mod.rs",
                "p/two.rs -> q/r.rs",
            ]
        );
    }

    #[test]
    fn a_parents_mod_declaration_is_not_an_edge_but_its_use_is() {
        let declared_only = graph(&[
            ("lib.rs", "pub mod p;\n"),
            ("p/mod.rs", "pub mod child;\nmod other;\n"),
            ("p/child.rs", "use super::helper;\n"),
            ("p/other.rs", ""),
        ]);
        assert_eq!(edges(&declared_only), ["p/child.rs -> p/mod.rs"]);
        assert!(declared_only.cycles().is_empty());

        let used = graph(&[
            ("lib.rs", "pub mod p;\n"),
            (
                "p/mod.rs",
                "pub mod child;\npub fn helper() { child::f() }\n",
            ),
            ("p/child.rs", "use super::helper;\npub fn f() {}\n"),
        ]);
        assert_eq!(cycle_files(&used), [["p/mod.rs", "p/child.rs"]]);
    }

    #[test]
    fn comments_strings_and_test_modules() {
        let g = graph(&[
            ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
            (
                "a.rs",
                "// use crate::b::x;\n/* crate::b::y() */\nconst S: &str = \"crate::b::z\";\n\
                 const R: &str = r#\"crate::b::w \"quoted\"\"#;\nconst C: char = '\"';\n\
                 fn f<'a>(x: &'a str) -> &'a str { x }\n\
                 #[cfg(test)]\nmod tests {\n    use super::f;\n    use crate::c::helper;\n}\n",
            ),
            ("b.rs", ""),
            ("c.rs", "pub fn helper() {}\n"),
        ]);
        // `super` inside the inline tests module is a.rs itself: no edge; `crate::c` counts.
        assert_eq!(edges(&g), ["a.rs -> c.rs"]);
        assert_eq!(g.edges[0].line, 10);
    }

    #[test]
    fn reexports_and_exported_macros_resolve_to_their_source() {
        let g = graph(&[
            (
                "lib.rs",
                "pub mod i18n;\npub mod pages;\npub use pages::Page;\n",
            ),
            ("i18n.rs", "#[macro_export]\nmacro_rules! t { () => {} }\n"),
            ("pages/mod.rs", "mod page;\npub use page::Page;\n"),
            ("pages/page.rs", "use crate::t;\npub struct Page;\n"),
            ("other.rs", "use crate::Page;\n"),
        ]);
        assert_eq!(
            edges(&g),
            [
                "lib.rs -> pages/page.rs",
                "other.rs -> pages/page.rs",
                "pages/mod.rs -> pages/page.rs",
                "pages/page.rs -> i18n.rs",
            ]
        );
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn directory_cycles_are_warnings() {
        let g = graph(&[
            ("lib.rs", "pub mod data;\npub mod state;\n"),
            ("data/mod.rs", "pub mod rows;\n"),
            ("data/rows.rs", "use crate::state::now::tick;\n"),
            ("state/mod.rs", "pub mod now;\npub mod session;\n"),
            ("state/now.rs", "pub fn tick() {}\n"),
            ("state/session.rs", "use crate::data::rows;\n"),
        ]);
        let report = report_without_cycles(&g);
        assert!(report.contains("warning: 1 directory cycle"));
        assert!(report.contains("between data/, state/"));
        assert!(report.contains(
            "data/rows.rs -> state/now.rs: x/src/data/rows.rs:1  use crate::state::now::tick"
        ));
    }

    #[test]
    fn paths_through_a_reexported_crate_leave_the_crate() {
        let files = [
            (
                "lib.rs",
                "pub mod a;\npub mod b;\npub use minicrm_storage as storage;\n\
                 pub fn start() { a::run(); b::f(); }\n",
            ),
            (
                "a.rs",
                "use crate::storage::{self, rows::Row};\nuse crate::b::First;\npub fn run() {}\n",
            ),
            (
                "b.rs",
                "pub enum Kind { One }\npub use Kind::One as First;\n\
                 pub fn f() { crate::storage::Storage::shared(); }\n",
            ),
        ];
        let g = graph_with(&files, &["minicrm_storage", "serde"]);
        // A re-export of a local item (not a dependency) still resolves to its module.
        assert_eq!(
            edges(&g),
            ["a.rs -> b.rs", "lib.rs -> a.rs", "lib.rs -> b.rs"]
        );
        assert!(g.cycles().is_empty());
        // Without knowing the dependency, `crate::storage` would land in lib.rs: a cycle.
        let unknown = graph_with(&files, &[]);
        assert_eq!(cycle_files(&unknown), [["lib.rs", "a.rs", "b.rs"]]);
    }

    #[test]
    fn extern_crates_are_the_manifests_dependencies() {
        let manifest = r#"[package]
name = "minicrm-app"
description = "not = a dependency"

[lib]
name = "minicrm_app"

[dependencies]
minicrm-core.workspace = true
uuid = { workspace = true, features = ["v7", "js"] }
web-sys = { workspace = true, features = [
  "Navigator", "Window",
] }
# commented = "1"

[dev-dependencies]
"wasm-bindgen-test" = "0.3"

[target.'cfg(target_arch = "wasm32")'.dependencies]
getrandom = "0.3"

[dependencies.rexie]
version = "0.6"

[lints]
workspace = true
"#;
        let names: Vec<String> = extern_crates(manifest).into_iter().collect();
        assert_eq!(
            names,
            [
                "alloc",
                "core",
                "getrandom",
                "minicrm_core",
                "rexie",
                "std",
                "uuid",
                "wasm_bindgen_test",
                "web_sys"
            ]
        );
    }
}
