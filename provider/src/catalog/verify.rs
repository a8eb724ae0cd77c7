//! Drift check: the table rows of an upstream document as published, against the rows a release cites from it.
//!
//! A release cites each source row verbatim as `"<section> <subsection> | cell | cell | ..."` (for Longhorn's
//! networking page: `"Longhorn Manager Ingress | Conversion Webhook Server | 9501 | TCP"`). The same shape is built
//! from the document's Markdown port tables under their headings (and Docusaurus tabs, as on RKE2's requirements
//! page), so the two sets compare directly; citations of prose, which have no cells, are not compared.
//!
//! Deckhouse publishes its tables from a data file, `docs/documentation/_data/deckhouse-ports.yml` (groups, each
//! with an English title and destinations of ports, protocol and an English description). A document that starts
//! with `groups:` is read as that file and rendered as the page shows it: `"<title> | <ports> | <protocol> |
//! <description>"`, emphasis (`*`) and code marks dropped, block-scalar descriptions joined into one line, ranges
//! written with `&#8209;` shown with a hyphen, and the ports cell left out where it is empty (the ICMP row).
//!
//! A reStructuredText page (Cilium's system requirements) has simple tables, `=` borders with header and data
//! rows between them; each row is prefixed with the paragraph line that leads into its table ("Master Nodes
//! (``master-sg``) Rules:"), since those tables sit under no heading of their own ([`rst_rows`]).
//!
//! A page whose tables have no Markdown source (Kublr's) can be given as its text: each pipe table led by its
//! caption line, `Table <n>. <title>` ([`captioned_rows`]). Such a copy may hold some of the page's tables only;
//! the rows a release cites from tables it does not hold are listed as not checked, never compared, so they are
//! neither drift nor verified.

use std::collections::BTreeMap;

use semver::Version;
use serde::Serialize;

use super::model::Release;

/// What differs between a document and the rows a release cites from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Rows of the document that no flow or loopback entry cites.
    pub added: Vec<String>,
    /// Rows the release cites that the document no longer has.
    pub removed: Vec<String>,
    /// Rows whose first cell (the peer) is in both, with other cells: (cited, published).
    pub changed: Vec<(String, String)>,
    /// Rows the release cites from tables a copy of captioned tables does not hold: not compared, so not drift.
    pub not_checked: Vec<String>,
}

impl Drift {
    /// Whether the document and the release agree on the rows compared ([`Drift::not_checked`] aside).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The rows of every Markdown port table in `text` (a pipe table with a header cell naming a port, such as "Port"
/// or "Port Range"; hardware sizing tables and the like are not port tables), each prefixed with the headings it
/// sits under (the innermost two: a section and its subsection such as "Ingress:", colons and `{#anchor}` ids
/// dropped) and, inside a Docusaurus `<TabItem>`, the tab's label in parentheses ("... Rules (Canal)"), since
/// tabs on one page hold tables of the same shape. Cells lose their backticks and surplus spaces; the header row
/// and the `---` separator are not rows.
pub(crate) fn markdown_rows(text: &str) -> Vec<String> {
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut tab: Option<String> = None;
    let mut rows = Vec::new();
    let mut in_table = false;
    let mut previous: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some((level, title)) = heading(trimmed) {
            headings.retain(|(l, _)| *l < level);
            headings.push((level, title));
            in_table = false;
        } else if trimmed.starts_with("<TabItem") {
            tab = tab_label(trimmed);
            in_table = false;
        } else if trimmed.starts_with("</TabItem") {
            tab = None;
            in_table = false;
        } else if is_separator(trimmed) {
            // The line above was the header row; data rows follow if it names a port column.
            in_table = previous.is_some_and(names_a_port);
        } else if in_table && trimmed.contains('|') {
            let mut prefix = headings
                .iter()
                .rev()
                .take(2)
                .rev()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(tab) = &tab {
                prefix = format!("{prefix} ({tab})");
            }
            let cells: Vec<String> = split_cells(trimmed);
            rows.push(format!("{prefix} | {}", cells.join(" | ")));
        } else {
            in_table = false;
        }
        previous = Some(trimmed);
    }
    rows
}

/// The title a Docusaurus tab shows: its `label` attribute, else its `value`.
fn tab_label(line: &str) -> Option<String> {
    let attribute = |name: &str| {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let rest = line.get(start..)?;
        rest.find('"')
            .and_then(|end| rest.get(..end))
            .map(str::to_owned)
    };
    attribute("label").or_else(|| attribute("value"))
}

/// The table rows of a document and, for a copy of captioned tables, the captions of the tables it holds (`None`:
/// the document is whole, so a cited row missing from it is drift). A Deckhouse ports data file when its first
/// line that is not blank or a comment is `groups:`, captioned pipe tables when it is a caption (`Table 1. ...`),
/// reStructuredText when it is explicit markup (`.. only::`, `.. _label:`), else Markdown pipe tables.
pub(crate) fn document_rows(text: &str) -> (Vec<String>, Option<Vec<String>>) {
    let first = text
        .lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    match first {
        Some("groups:") => (ports_data_rows(text), None),
        Some(line) if is_caption(line.trim()) => {
            let (rows, tables) = captioned_rows(text);
            (rows, Some(tables))
        }
        Some(line) if line.starts_with(".. ") => (rst_rows(text), None),
        _ => (markdown_rows(text), None),
    }
}

/// A table caption as a page's text shows it: `Table <n>. <title>`.
fn is_caption(line: &str) -> bool {
    caption_number(line).is_some()
}

/// The number of a table caption (`12` of `Table 12. Other`), `None` when `line` is no caption.
fn caption_number(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("Table ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, title) = rest.split_at_checked(digits)?;
    (digits > 0 && title.starts_with(". ")).then_some(number)
}

/// The rows of pipe tables each led by its caption line (`Table 1. Node to Node (masters and workers)`, then the
/// header row naming a port column, the `---` separator and the data rows), as the text of Kublr's Network Access
/// page shows them: `"<caption> | cell | cell | ..."`, with the captions of the tables found. A row's empty last
/// cells are dropped: rows without a condition put their description in the Conditions column and leave Notes
/// empty, and the cited rows quote the cells shown. A table without a caption above it is not read.
pub(crate) fn captioned_rows(text: &str) -> (Vec<String>, Vec<String>) {
    let mut rows = Vec::new();
    let mut tables = Vec::new();
    let mut caption: Option<&str> = None;
    let mut in_table = false;
    let mut previous: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if is_caption(trimmed) {
            caption = Some(trimmed);
            tables.push(trimmed.to_owned());
            in_table = false;
        } else if is_separator(trimmed) {
            in_table = caption.is_some() && previous.is_some_and(names_a_port);
        } else if let (true, Some(caption), true) = (in_table, caption, trimmed.contains('|')) {
            let mut cells = split_cells(trimmed);
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            rows.push(format!("{caption} | {}", cells.join(" | ")));
        } else {
            in_table = false;
        }
        previous = Some(trimmed);
    }
    (rows, tables)
}

/// Where the reader of a reStructuredText simple table is.
enum Simple {
    /// Outside a table.
    Outside,
    /// Between the top border and the border under the header rows.
    Header,
    /// Between the border under the header rows and the bottom border.
    Body,
}

/// The rows of the port tables (a header cell naming a port) among the reStructuredText simple tables of `text`:
/// `"<lead-in> | cell | cell | ..."`, where the lead-in is the last line of the paragraph above the table and the
/// cells are the text within each column of the border (`==== ====`; the last column runs to the end of the
/// line). A row whose first cell is empty continues the row above, so its cells are joined to that row's.
pub(crate) fn rst_rows(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut state = Simple::Outside;
    let mut columns: Vec<(usize, usize)> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut lead_in = "";
    let mut paragraph = "";
    for line in text.lines() {
        let trimmed = line.trim_end();
        match state {
            Simple::Outside => match border_columns(trimmed) {
                Some(found) if found.len() > 1 => {
                    columns = found;
                    header.clear();
                    table.clear();
                    lead_in = paragraph;
                    state = Simple::Header;
                }
                _ if trimmed.trim().is_empty() => {}
                _ => paragraph = trimmed.trim(),
            },
            Simple::Header if border_columns(trimmed).is_some() => state = Simple::Body,
            Simple::Header => header.extend(column_cells(trimmed, &columns)),
            Simple::Body if border_columns(trimmed).is_some() => {
                if header.iter().any(|c| c.to_lowercase().contains("port")) {
                    rows.extend(
                        table
                            .iter()
                            .map(|cells| format!("{lead_in} | {}", cells.join(" | "))),
                    );
                }
                paragraph = "";
                state = Simple::Outside;
            }
            Simple::Body if trimmed.trim().is_empty() => {}
            Simple::Body => {
                let cells = column_cells(trimmed, &columns);
                match table.last_mut() {
                    Some(last) if cells.first().is_some_and(String::is_empty) => {
                        for (cell, more) in last.iter_mut().zip(&cells) {
                            if !more.is_empty() {
                                *cell = format!("{cell} {more}").trim().to_owned();
                            }
                        }
                    }
                    _ => table.push(cells),
                }
            }
        }
    }
    rows
}

/// The columns of a simple table's border line (runs of `=` apart by spaces), as character ranges; `None` for
/// any other line.
fn border_columns(line: &str) -> Option<Vec<(usize, usize)>> {
    if !line.starts_with('=') || !line.chars().all(|c| c == '=' || c == ' ') {
        return None;
    }
    let mut columns = Vec::new();
    let mut start = None;
    for (at, c) in line.chars().chain(std::iter::once(' ')).enumerate() {
        match (c, start) {
            ('=', None) => start = Some(at),
            (' ', Some(from)) => {
                columns.push((from, at));
                start = None;
            }
            _ => {}
        }
    }
    Some(columns)
}

/// The text of `line` in each column, trimmed; the last column runs to the end of the line.
fn column_cells(line: &str, columns: &[(usize, usize)]) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut cells = Vec::new();
    for (index, (start, end)) in columns.iter().enumerate() {
        let end = if index + 1 == columns.len() {
            chars.len()
        } else {
            *end
        };
        let cell: String = chars
            .get((*start).min(chars.len())..end.min(chars.len()))
            .unwrap_or_default()
            .iter()
            .collect();
        cells.push(cell.trim().to_owned());
    }
    cells
}

/// Whether a table's header row names a port column ("Port", "Port Range"): the other tables (hardware sizing
/// and the like) are not port tables.
fn names_a_port(header: &str) -> bool {
    header.contains('|')
        && split_cells(header)
            .iter()
            .any(|c| c.to_lowercase().contains("port"))
}

/// Where the parser of a ports data file is: in a group's header or in one of its destinations.
enum Place {
    Group,
    Destination,
}

/// The rows of a Deckhouse ports data file (the subset of YAML that file uses: `- group:` entries with a
/// `description` whose `en` is the table title, and `destinations` of `ports`, `protocol` and `description.en`).
/// A description may be a block scalar (`en: |` and the more indented lines below it); the page shows its lines
/// as one paragraph, so they are joined with spaces.
pub(crate) fn ports_data_rows(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut title = String::new();
    let mut place = Place::Group;
    let mut ports = String::new();
    let mut protocol = String::new();
    let mut described = false;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("- group:") {
            place = Place::Group;
            described = false;
        } else if let Some(value) = trimmed.strip_prefix("- ports:") {
            place = Place::Destination;
            ports = page_text(&unquote(value));
            protocol.clear();
            described = false;
        } else if let Some(value) = trimmed.strip_prefix("protocol:") {
            protocol = unquote(value);
        } else if trimmed == "description:" {
            described = true;
        } else if let (true, Some(value)) = (described, trimmed.strip_prefix("en:")) {
            let value = if is_block_indicator(value.trim()) {
                let indent = indentation(line);
                let mut block = Vec::new();
                while let Some(next) =
                    lines.next_if(|l| l.trim().is_empty() || indentation(l) > indent)
                {
                    if !next.trim().is_empty() {
                        block.push(next.trim());
                    }
                }
                block.join(" ")
            } else {
                unquote(value)
            };
            match place {
                Place::Group => title = value,
                Place::Destination => {
                    let description = value.replace(['*', '`'], "");
                    if ports.is_empty() {
                        rows.push(format!("{title} | {protocol} | {description}"));
                    } else {
                        rows.push(format!("{title} | {ports} | {protocol} | {description}"));
                    }
                }
            }
            described = false;
        }
    }
    rows
}

/// `|` or `>` with an optional chomping indicator: the value is the block of lines below.
fn is_block_indicator(value: &str) -> bool {
    matches!(value, "|" | "|-" | "|+" | ">" | ">-" | ">+")
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A cell as the page shows it: the data file writes ranges with `&#8209;` (a non-breaking hyphen, so the
/// browser keeps the range on one line); the cited rows write the plain hyphen of the other tables.
fn page_text(cell: &str) -> String {
    cell.replace("&#8209;", "-")
}

/// A YAML scalar without its quotes (`"..."` with `\"` and `\\` escapes, or `'...'` with `''`).
fn unquote(value: &str) -> String {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        value.to_owned()
    }
}

/// Compares the table rows `release` cites from its source `source` (flows that apply to `version`, all of them
/// when `None`, loopback entries and rows that are not flows; cited prose is left out) with the table rows of `document`
/// ([`document_rows`]). Cited rows of tables a copy of captioned tables does not hold are [`Drift::not_checked`].
/// Errors name a source the release does not have.
pub fn verify(
    release: &Release,
    source: &str,
    version: Option<&Version>,
    document: &str,
) -> Result<Drift, String> {
    if !release.sources.iter().any(|s| s.id == source) {
        return Err(format!(
            "{} ({}) has no source {source:?}; its sources: {}",
            release.platform.name,
            release.origin,
            release
                .sources
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let flow_rows = release
        .flows
        .iter()
        .filter(|f| f.source == source && f.applies_to_version(release, version))
        .flat_map(|f| f.rows.iter());
    let loopback_rows = release
        .loopback
        .iter()
        .filter(|l| l.source == source)
        .flat_map(|l| l.rows.iter());
    let not_flow_rows = release
        .not_flows
        .iter()
        .filter(|n| n.source == source)
        .flat_map(|n| n.rows.iter());
    let (published_rows, held) = document_rows(document);
    // The numbers of the tables a partial copy holds: a row cited from another numbered table is not checked; a
    // row whose caption is mistyped, or names a held table's number, is compared (and is drift if it differs).
    let held: Option<Vec<String>> = held.map(|tables| {
        tables
            .iter()
            .filter_map(|t| caption_number(t.trim()).map(str::to_owned))
            .collect()
    });
    let mut drift = Drift::default();
    let mut compared = Vec::new();
    // A citation without cells quotes the page's prose, which has no table row to compare with.
    for row in flow_rows
        .chain(loopback_rows)
        .chain(not_flow_rows)
        .filter(|row| row.contains('|'))
    {
        let cells = split_cells(row);
        let table = cells.first().and_then(|t| caption_number(t.trim()));
        match (&held, table) {
            (Some(held), Some(table)) if !held.iter().any(|number| number == table) => {
                if !drift.not_checked.contains(row) {
                    drift.not_checked.push(row.clone());
                }
            }
            _ => compared.push(row.as_str()),
        }
    }
    let cited = keyed(compared.into_iter());
    let published = keyed(published_rows.iter().map(String::as_str));

    let only_cited: Vec<&String> = cited
        .iter()
        .filter(|(k, _)| !published.contains_key(*k))
        .map(|(_, row)| row)
        .collect();
    let mut only_published: Vec<&String> = published
        .iter()
        .filter(|(k, _)| !cited.contains_key(*k))
        .map(|(_, row)| row)
        .collect();
    for row in only_cited {
        let peer = peer_key(row);
        match only_published.iter().position(|p| peer_key(p) == peer) {
            Some(at) => {
                let published_row = only_published.remove(at);
                drift.changed.push((row.clone(), published_row.clone()));
            }
            None => drift.removed.push(row.clone()),
        }
    }
    drift.added = only_published.into_iter().cloned().collect();
    Ok(drift)
}

/// Rows by their comparison key (spacing, backticks and case ignored), first spelling kept.
fn keyed<'a>(rows: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for row in rows {
        out.entry(normalize(row)).or_insert_with(|| row.to_owned());
    }
    out
}

/// The comparison form of a row: its cells, lower case, typographic apostrophes as plain ones (the rendered page
/// shows "node’s" where the data file has "node's").
fn normalize(row: &str) -> String {
    split_cells(row)
        .join(" | ")
        .to_lowercase()
        .replace('’', "'")
}

/// The part of a row that names the table and the peer: everything up to the second cell.
fn peer_key(row: &str) -> String {
    let cells = split_cells(row);
    cells
        .iter()
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join(" | ")
        .to_lowercase()
}

fn split_cells(row: &str) -> Vec<String> {
    row.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| {
            cell.replace('`', "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A Markdown ATX heading: its level and its text without a `{#id}` and trailing colons.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !rest.starts_with(' ') {
        return None;
    }
    let mut title = rest.trim();
    // Hugo's custom heading id, `## Worker node(s) {#node}`, is not shown on the page.
    if let Some((shown, id)) = title.rsplit_once(" {#") {
        if id.ends_with('}') {
            title = shown;
        }
    }
    Some((level, title.trim_end_matches(':').trim().to_owned()))
}

/// A table separator row such as `--- | ---` or `|:---|---:|`.
fn is_separator(line: &str) -> bool {
    line.contains('-')
        && line.contains('|')
        && line
            .chars()
            .all(|c| matches!(c, '-' | '|' | ':' | ' ' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\ntitle: Demo\n---\n\n### Overview\n\nText | with a bar but no table.\n\n### Manager\n\
#### Ingress:\nFrom | Port | Protocol\n--- | --- | ---\n`Other Manager` | 9500 | TCP\n`UI` |  9500 | TCP\n\n\
#### egress\n| To | Port | Protocol |\n|:---|---:|---|\n| `Store` | User defined | TCP |\n\n### UI\n#### ingress:\n\
Users defined\n";

    #[test]
    fn rows_carry_their_headings_and_clean_cells() {
        assert_eq!(
            markdown_rows(PAGE),
            [
                "Manager Ingress | Other Manager | 9500 | TCP",
                "Manager Ingress | UI | 9500 | TCP",
                "Manager egress | Store | User defined | TCP",
            ]
        );
    }

    const PORTS: &str = "# comment\ngroups:\n- group: AToB\n  description:\n    en: A to B traffic\n    ru: x\n  \
destinations:\n  - ports: \"1, 2\"\n    protocol: TCP\n    description:\n      en: \"*emphasis* and `code`\"\n      \
ru: y\n  - ports: \"\"\n    protocol: ICMP\n    description:\n      en: 'it''s ICMP'\n- group: BToC\n  \
description:\n    en: B to C traffic\n  destinations:\n  - ports: \"3\"\n    protocol: UDP\n    description:\n      \
en: plain\n  - ports: \"4&#8209;5\"\n    protocol: UDP\n    description:\n      en: |\n        **Long** \
text\n\n        over lines\n      ru: |\n        z\n- group: CToD\n  description:\n    en: C to D\n  destinations:\n  \
- ports: \"6\"\n    protocol: TCP\n    description:\n      en: six\n";

    #[test]
    fn ports_data_files_render_as_the_page_shows_them() {
        assert_eq!(
            document_rows(PORTS),
            (
                vec![
                    "A to B traffic | 1, 2 | TCP | emphasis and code",
                    "A to B traffic | ICMP | it's ICMP",
                    "B to C traffic | 3 | UDP | plain",
                    "B to C traffic | 4-5 | UDP | Long text over lines",
                    "C to D | 6 | TCP | six",
                ]
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
                None
            )
        );
        assert_eq!(document_rows(PAGE), (markdown_rows(PAGE), None));
        assert_eq!(
            normalize("T | 1 | TCP | node’s"),
            normalize("T | 1 | TCP | node's")
        );
    }

    const TABBED: &str = "## Networking\n### Sizing\n| CPU | RAM |\n|---|---|\n| 2 | 4 GB |\n\n\
### Inbound Rules {#inbound}\n| Port | Protocol | Description\n|---|---|---\n| 6443 | TCP | API\n\n\
<Tabs groupId=\"cni\">\n<TabItem value=\"Canal\">\n\n| Port | Protocol | Description\n|---|---|---\n\
| 8472 | UDP | VXLAN\n\n</TabItem>\n<TabItem value=\"rhel\" label=\"Red Hat\">\n\n| Protocol | Port Range |\n\
|---|---|\n| TCP | 9099 |\n</TabItem>\n</Tabs>\n\n### Local\n| Protocol | Port\n|---|---\n| TCP | 10248\n";

    #[test]
    fn only_port_tables_count_and_tabs_name_their_tables() {
        assert_eq!(
            markdown_rows(TABBED),
            [
                "Networking Inbound Rules | 6443 | TCP | API",
                "Networking Inbound Rules (Canal) | 8472 | UDP | VXLAN",
                "Networking Inbound Rules (Red Hat) | TCP | 9099",
                "Networking Local | TCP | 10248",
            ]
        );
    }

    const CAPTIONED: &str = "Table 1. A to B\nPort | Protocol | Notes |\n---|---|---|\n1 | TCP | one | |\n\
2 | UDP | |\nTable 2. Sizes\nCPU | RAM |\n---|---|\n2 | 4 GB |\nTable 3. B to C\nPort | Notes |\n---|---|\n\
3 | three |\n\nProse | with a bar\n";

    #[test]
    fn captioned_tables_name_their_rows_and_the_tables_held() {
        let rows = [
            "Table 1. A to B | 1 | TCP | one",
            "Table 1. A to B | 2 | UDP",
            "Table 3. B to C | 3 | three",
        ];
        let tables = ["Table 1. A to B", "Table 2. Sizes", "Table 3. B to C"];
        assert_eq!(
            document_rows(CAPTIONED),
            (
                rows.map(str::to_owned).to_vec(),
                Some(tables.map(str::to_owned).to_vec())
            )
        );
        assert!(is_caption("Table 12. Other"));
        assert_eq!(caption_number("Table 12. Other"), Some("12"));
        assert_eq!(caption_number("Table 1: Other"), None);
        assert!(!is_caption("Table of contents"));
        assert!(!is_caption("Table 1 without a dot"));
    }

    /// A release citing `rows` of CAPTIONED's kind of page from its source `doc`.
    fn citing(rows: &[&str]) -> Release {
        let minimal = include_str!("testdata/minimal.toml");
        let rows: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
        let text = minimal.replace(
            r#"rows = ["Node | 10250 | TCP"]"#,
            &format!("rows = [{}]", rows.join(", ")),
        );
        crate::catalog::Catalog::parse_release(&text, "demo.toml").expect("parses")
    }

    /// Only a row of a numbered table the copy lacks goes unchecked: a caption mistyped, or with a held table's
    /// number and another title, is compared and is drift.
    #[test]
    fn only_tables_absent_from_a_captioned_copy_go_unchecked() {
        let held = [
            "Table 1. A to B | 1 | TCP | one",
            "Table 1. A to B | 2 | UDP",
            "Table 3. B to C | 3 | three",
        ];
        let release = citing(&[held.as_slice(), &["Table 4. C to D | 4 | TCP"]].concat());
        let drift = verify(&release, "doc", None, CAPTIONED).expect("verifies");
        assert!(drift.is_empty(), "{drift:?}");
        assert_eq!(drift.not_checked, ["Table 4. C to D | 4 | TCP"]);

        for mistyped in ["Table 3. B to D | 3 | three", "Table 3 B to C | 3 | three"] {
            let release = citing(&[&held[..2], &[mistyped]].concat());
            let drift = verify(&release, "doc", None, CAPTIONED).expect("verifies");
            assert_eq!(drift.removed, [mistyped], "{drift:?}");
            assert_eq!(drift.added, ["Table 3. B to C | 3 | three"], "{drift:?}");
            assert!(drift.not_checked.is_empty(), "{drift:?}");
        }
    }

    const RST: &str =
        ".. only:: not html\n\nSizes\n\n===== ===\nCPU   RAM\n===== ===\n2     4\n===== ===\n\n\
Master Nodes (``m``) Rules:\n\n========= ======= ========\nPort      Dir     Description\n\
========= ======= ========\n1/tcp     ingress ``m`` (self) checks\n2/udp     egress  overlay\n\
\x20                 and more\n========= ======= ========\n";

    #[test]
    fn rst_simple_port_tables_are_named_by_their_lead_in() {
        assert_eq!(
            document_rows(RST).0,
            [
                "Master Nodes (``m``) Rules: | 1/tcp | ingress | ``m`` (self) checks",
                "Master Nodes (``m``) Rules: | 2/udp | egress | overlay and more",
            ]
        );
        assert_eq!(border_columns("=== =="), Some(vec![(0, 3), (4, 6)]));
        assert_eq!(border_columns("Port  Description"), None);
    }

    #[test]
    fn headings_and_separators() {
        assert_eq!(heading("#### Ingress:"), Some((4, "Ingress".to_owned())));
        assert_eq!(
            heading("## Worker node(s) {#node}"),
            Some((2, "Worker node(s)".to_owned()))
        );
        assert_eq!(heading("## Sets {a}"), Some((2, "Sets {a}".to_owned())));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("plain"), None);
        assert!(is_separator("--- | ---"));
        assert!(is_separator("|:---|---:|"));
        assert!(!is_separator("---"));
        assert!(!is_separator("a | b"));
    }
}
