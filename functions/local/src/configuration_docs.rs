//! The documentation's configuration tables against the declarations:
//! docs/deploy.md#configuration lists every setting (its variable, its flag
//! and its default) and docs/development.md#the-local-server every flag of
//! the local server's own, as clap declares them in [`Cli`]. An option
//! missing from the tables, or in them but declared nowhere, fails the test
//! with its name; so does a flag or default the table gives otherwise.

use super::cli::Cli;
use clap::CommandFactory;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::path::Path;

/// A cell of a Markdown table: the text of its code spans.
type Cell = Vec<String>;

/// A Markdown table: the heading it is under, its header, its rows.
struct Table {
    section: String,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn column(&self, file: &str, name: &str) -> usize {
        let found = self.header.iter().position(|header| header == name);
        found.unwrap_or_else(|| panic!("{file}#{}: the table has no column {name:?}: {:?}", self.section, self.header))
    }
}

/// The tables of the Markdown file `file` (a path from the repository's
/// root), read with a CommonMark parser.
fn tables(file: &str) -> Vec<Table> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(file);
    let markdown = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut tables: Vec<Table> = Vec::new();
    let (mut heading, mut in_heading, mut in_head) = (String::new(), false, false);
    let (mut row, mut cell, mut text) = (Vec::new(), Cell::new(), String::new());
    for event in Parser::new_ext(&markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                heading.clear();
                in_heading = true;
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::Table(_)) => {
                tables.push(Table { section: heading.clone(), header: vec![], rows: vec![] })
            }
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableCell) => {
                cell.clear();
                text.clear();
            }
            Event::End(TagEnd::TableCell) if in_head => tables.last_mut().unwrap().header.push(text.trim().to_owned()),
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut cell)),
            Event::End(TagEnd::TableRow) => tables.last_mut().unwrap().rows.push(std::mem::take(&mut row)),
            Event::Text(words) if in_heading => heading.push_str(&words),
            Event::Code(code) if in_heading => heading.push_str(&code),
            Event::Text(words) => text.push_str(&words),
            Event::Code(code) => {
                text.push_str(&code);
                cell.push(code.into_string());
            }
            _ => {}
        }
    }
    tables
}

/// The one table of `file` under the heading `section`.
fn table(file: &str, section: &str) -> Table {
    let mut found: Vec<_> = tables(file).into_iter().filter(|table| table.section == section).collect();
    assert_eq!(found.len(), 1, "{file}: one table under the heading {section:?}");
    found.remove(0)
}

/// The first code span of a cell, if any.
fn code(row: &[Cell], column: usize) -> Option<String> {
    row.get(column).and_then(|cell| cell.first().cloned())
}

/// A cell's value as the failures show it.
fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), |value| format!("`{value}`"))
}

#[test]
fn the_configuration_tables_list_every_declared_option() {
    const SETTINGS: &str = "docs/deploy.md";
    const FLAGS: &str = "docs/development.md";
    let settings = table(SETTINGS, "Configuration");
    let (variable, flag, default) = (
        settings.column(SETTINGS, "Variable"),
        settings.column(SETTINGS, "Flag"),
        settings.column(SETTINGS, "Default"),
    );
    let mut documented_settings = BTreeMap::new();
    for row in &settings.rows {
        let name = code(row, variable).unwrap_or_else(|| panic!("{SETTINGS}: a row names no variable: {row:?}"));
        documented_settings.insert(name, (code(row, flag), code(row, default)));
    }
    let flags = table(FLAGS, "The local server");
    let column = flags.column(FLAGS, "Flag");
    let mut documented_flags: Vec<_> = flags.rows.iter().filter_map(|row| code(row, column)).collect();

    let mut failures = Vec::new();
    for arg in Cli::command().get_arguments().filter(|arg| arg.get_id() != "help") {
        let long = format!("--{}", arg.get_long().expect("every option is a long flag"));
        let Some(name) = arg.get_env().map(|name| name.to_string_lossy().into_owned()) else {
            match documented_flags.iter().position(|documented| *documented == long) {
                Some(at) => drop(documented_flags.remove(at)),
                None => failures.push(format!("{long} is declared but not in {FLAGS}'s table of flags")),
            }
            continue;
        };
        let declared_default = arg.get_default_values().iter().map(|value| value.to_string_lossy()).collect::<Vec<_>>();
        let declared_default = (!declared_default.is_empty()).then(|| declared_default.join(" "));
        match documented_settings.remove(&name) {
            None => failures.push(format!("{name} ({long}) is declared but not in {SETTINGS}'s configuration table")),
            Some((flag, default)) => {
                if flag.as_deref() != Some(long.as_str()) {
                    let documented = shown(flag.as_deref());
                    failures.push(format!("{name}: its flag is {long}, not {documented} as {SETTINGS} says"));
                }
                if default != declared_default {
                    let (declared, documented) = (shown(declared_default.as_deref()), shown(default.as_deref()));
                    failures.push(format!("{name}: its default is {declared}, not {documented} as {SETTINGS} says"));
                }
            }
        }
    }
    for name in documented_settings.keys() {
        failures.push(format!("{name} is in {SETTINGS}'s configuration table but no option declares it"));
    }
    for long in documented_flags {
        failures.push(format!("{long} is in {FLAGS}'s table of flags but no option declares it"));
    }
    assert!(failures.is_empty(), "the configuration tables and the declarations differ:\n{}", failures.join("\n"));
}
