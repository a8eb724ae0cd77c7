//! TOML text -> raw (serde) structures -> validated [`Release`], with line numbers for every error.
//!
//! Line numbers come from byte offsets in two ways:
//! * errors of `toml` itself (syntax, unknown keys, wrong types) carry a span (`toml::de::Error::span`); the
//!   field path is found by walking a spanned parse tree (`toml::de::DeTable`) for the innermost key or value
//!   that contains the offset;
//! * validation errors name a field path (`flows[3].protocol`); the same spanned tree gives that field's line.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::CatalogError;
use super::model::Release;
use super::raw::RawRelease;
use super::validate;

/// Parses and validates one catalog document; `origin` names it in errors.
pub(super) fn parse_release(text: &str, origin: &str) -> Result<Release, CatalogError> {
    let raw: RawRelease = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start);
        CatalogError {
            origin: origin.to_owned(),
            line: offset.map(|o| line_at(text, o)),
            field: offset.map(|o| path_at(text, o)).unwrap_or_default(),
            message: e.message().trim().to_owned(),
        }
    })?;
    validate::release(raw, origin).map_err(|mut e| {
        e.line = line_of_field(text, &e.field);
        e
    })
}

/// 1-based line of a byte offset (offsets past the end count as the last line).
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `flows[3].when.cni` into segments; anything unexpected ends the path (lines are best effort).
fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some((index, after)) = rest.split_once(']') {
            match index.parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => return out,
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// The line of the deepest existing part of `path` (a missing key reports the line of its table).
fn line_of_field(text: &str, path: &str) -> Option<usize> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let mut table = Some(doc.get_ref());
    let mut array = None;
    let mut span: Option<Range<usize>> = None;
    for segment in segments(path) {
        let (found_span, value): (Range<usize>, &DeValue<'_>) = match segment {
            Segment::Key(name) => {
                let Some((key, value)) =
                    table.and_then(|t| t.iter().find(|(k, _)| k.get_ref() == name))
                else {
                    break;
                };
                (key.span(), value.get_ref())
            }
            Segment::Index(i) => {
                let Some(item) = array.and_then(|a: &toml::de::DeArray<'_>| a.get(i)) else {
                    break;
                };
                (item.span(), item.get_ref())
            }
        };
        span = Some(found_span);
        table = value.as_table();
        array = value.as_array();
    }
    Some(line_at(text, span.map_or(0, |s| s.start)))
}

/// The field path of the innermost key, value or array item whose span contains `offset`.
fn path_at(text: &str, offset: usize) -> String {
    let (doc, _) = DeTable::parse_recoverable(text);
    let mut best: Option<(usize, String)> = None;
    visit_table(doc.get_ref(), "", offset, &mut best);
    best.map(|(_, path)| path).unwrap_or_default()
}

fn consider(span: Range<usize>, path: &str, offset: usize, best: &mut Option<(usize, String)>) {
    let contains = span.start <= offset && (offset < span.end || offset == span.start);
    let width = span.end.saturating_sub(span.start);
    if contains && best.as_ref().is_none_or(|(w, _)| width <= *w) {
        *best = Some((width, path.to_owned()));
    }
}

fn visit_table(
    table: &DeTable<'_>,
    prefix: &str,
    offset: usize,
    best: &mut Option<(usize, String)>,
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        consider(key.span(), &path, offset, best);
        visit_value(value, &path, offset, best);
    }
}

fn visit_value(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    offset: usize,
    best: &mut Option<(usize, String)>,
) {
    consider(value.span(), path, offset, best);
    match value.get_ref() {
        DeValue::Table(table) => visit_table(table, path, offset, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                visit_value(item, &format!("{path}[{i}]"), offset, best);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths() {
        use Segment::*;
        assert_eq!(
            segments("flows[3].when.cni"),
            [Key("flows"), Index(3), Key("when"), Key("cni")]
        );
        assert_eq!(
            segments("flows[1].rows[0]"),
            [Key("flows"), Index(1), Key("rows"), Index(0)]
        );
        assert_eq!(segments("a[1][2]"), [Key("a"), Index(1), Index(2)]);
        assert_eq!(segments(""), []);
        assert_eq!(segments("a[x]"), [Key("a")]);
    }

    #[test]
    fn locates_lines_and_paths() {
        let text = "format = 1\n[platform]\nname = 'x'\n\n[[flows]]\nfrom = 'a'\n\n[[flows]]\nfrom = 'b'\nrows = [\n  'r1',\n  'r2',\n]\n";
        assert_eq!(line_of_field(text, "format"), Some(1));
        assert_eq!(line_of_field(text, "platform.name"), Some(3));
        assert_eq!(line_of_field(text, "flows[0]"), Some(5));
        assert_eq!(line_of_field(text, "flows[1]"), Some(8));
        assert_eq!(line_of_field(text, "flows[1].from"), Some(9));
        assert_eq!(line_of_field(text, "flows[1].rows[1]"), Some(12));
        // Missing parts fall back to the deepest part that exists.
        assert_eq!(line_of_field(text, "flows[1].ports"), Some(8));
        assert_eq!(line_of_field(text, "flows[7]"), Some(5));
        assert_eq!(line_of_field(text, ""), Some(1));
        let offset = text.find("'r2'").unwrap();
        assert_eq!(path_at(text, offset), "flows[1].rows[1]");
        assert_eq!(
            path_at(text, text.find("from = 'b'").unwrap()),
            "flows[1].from"
        );
        assert_eq!(line_at(text, usize::MAX), text.lines().count() + 1);
    }
}
