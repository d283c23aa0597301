//! The documentation's cross-references resolve: every reference to a file
//! of docs/ or to a heading of README.md, in any tracked file, and every
//! relative link of the markdown files names a file that exists and, with
//! an anchor, one of its headings; and no comment still cites a README
//! section that is no longer a heading there.

use std::path::Path;
use std::process::Command;

/// GitHub's anchor of a heading: lower case, spaces to '-', punctuation dropped.
fn slug(heading: &str) -> String {
    let kept = |c: &char| c.is_alphanumeric() || "-_".contains(*c);
    heading.trim().to_lowercase().replace(' ', "-").chars().filter(kept).collect()
}

/// The anchors of a markdown file's headings, code blocks left out.
fn anchors(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut anchors = Vec::new();
    for line in markdown.lines() {
        in_code ^= line.starts_with("```");
        let title = line.trim_start_matches('#');
        if !in_code && line.starts_with('#') && title.starts_with(' ') {
            anchors.push(slug(title));
        }
    }
    anchors
}

/// What is wrong with a reference to `file` and `#anchor` (if not empty).
fn problem(file: &Path, anchor: &str) -> Option<&'static str> {
    let markdown = file.extension().is_some_and(|e| e == "md");
    let found = || anchors(&std::fs::read_to_string(file).unwrap_or_default()).iter().any(|a| a == anchor);
    if !file.exists() {
        Some("no such file")
    } else {
        (markdown && !anchor.is_empty() && !found()).then_some("no heading has this anchor")
    }
}

/// The references of a line to `README.md` or to a file of docs/, each as
/// written, as a path from the repository's root, and its anchor or "".
fn file_references(line: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    let in_token = |c: char| c.is_ascii_alphanumeric() || "_-./#".contains(c);
    line.split(move |c| !in_token(c)).map(|token| token.trim_end_matches('.')).filter_map(|token| {
        let (path, anchor) = token.split_once('#').unwrap_or((token, ""));
        let docs_file = path.strip_prefix("docs/").is_some_and(|name| name.ends_with(".md") && !name.contains('/'));
        (docs_file || path == "README.md").then_some((token, path, anchor))
    })
}

/// The sections that old-style citations of the README name: after the
/// word, a comma, or an apostrophe-s and a quote, or a space and a capital;
/// up to the next punctuation. A line ending on the comma goes on in `next`.
fn old_citations(line: &str, next: &str) -> Vec<String> {
    let next = next.trim_start_matches(|c: char| c.is_whitespace() || "/!#*".contains(c));
    let section = |at: usize| {
        let rest = if line[at..].trim() == "," { format!(", {next}") } else { line[at..].to_string() };
        let rest = rest.strip_prefix("'s").unwrap_or(&rest);
        let capital = |r: &&str| r.starts_with(|c: char| c.is_uppercase() || c == '"');
        let after = rest.strip_prefix(',').or_else(|| rest.strip_prefix(' ').filter(capital))?.trim_start();
        let after = after.trim_start_matches('"');
        let section = after[..after.find(|c| ",;.)\"".contains(c)).unwrap_or(after.len())].trim();
        (!section.is_empty()).then(|| section.to_string())
    };
    line.match_indices("README").filter_map(|(at, word)| section(at + word.len())).collect()
}

#[test]
fn every_reference_to_the_documentation_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = anchors(&std::fs::read_to_string(root.join("README.md")).unwrap());
    let listed = Command::new("git").arg("ls-files").current_dir(&root).output().expect("git ls-files");
    let mut failures = Vec::new();
    for name in String::from_utf8(listed.stdout).unwrap().lines() {
        // Binary files and files being moved (listed, not on disk) are skipped.
        let Ok(text) = std::fs::read_to_string(root.join(name)) else { continue };
        if ["openapi.json", "Cargo.lock"].contains(&name) || text.contains('\0') {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            for (written, path, anchor) in file_references(line) {
                if let Some(problem) = problem(&root.join(path), anchor) {
                    failures.push(format!("{name}:{}: {written}: {problem}", i + 1));
                }
            }
            for section in old_citations(line, lines.get(i + 1).unwrap_or(&"")) {
                if !readme.contains(&slug(&section)) {
                    failures
                        .push(format!("{name}:{}: cites the README's section {section:?}, not a heading there", i + 1));
                }
            }
        }
    }

    // The relative links of README.md and of every markdown file of docs/.
    let docs = std::fs::read_dir(root.join("docs")).unwrap().map(|entry| entry.unwrap().path());
    for file in docs.filter(|p| p.extension().is_some_and(|e| e == "md")).chain([root.join("README.md")]) {
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let mut in_code = false;
        for (i, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            in_code ^= line.starts_with("```");
            for (at, _) in line.match_indices("](").filter(|_| !in_code) {
                let target = &line[at + 2..];
                let target = target[..target.find([')', ' ']).unwrap_or(target.len())].trim_matches(['<', '>']);
                if ["http://", "https://", "mailto:"].iter().any(|scheme| target.starts_with(scheme)) {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let linked = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
                if let Some(problem) = problem(&linked, anchor) {
                    failures.push(format!("{name}:{}: link ({target}): {problem}", i + 1));
                }
            }
        }
    }
    assert!(failures.is_empty(), "dangling documentation references:\n{}", failures.join("\n"));
}
