//! The inputs a message mentions, written neutrally so that each front end spells them its own way.
//!
//! The pure layers (engine, targets) tell the user what to set, but they know neither Terraform nor the command
//! line: `widen_to_fit = true` is right in a Terraform diagnostic and wrong on the command line, where it is
//! `--widen-to-fit`. A message therefore embeds a [`Setting`] (its `Display` writes a marker) and the front end
//! renders every marker of a text with [`render`] before a user sees it: the Terraform layer as attributes and
//! blocks, the command line as flags.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Opens a marker; private-use characters, so that no message text collides with one.
const OPEN: char = '\u{E000}';
/// Closes a marker.
const CLOSE: char = '\u{E001}';

/// A value a message suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// A number, or a placeholder standing for one (`<port>`).
    Number(String),
    /// Text, or a placeholder standing for it (`<CIDR>`).
    Text(String),
    /// A list of texts.
    Texts(Vec<String>),
}

impl Literal {
    /// The literal as HCL and TOML both write it (Terraform's arguments, the command line's selection file):
    /// booleans and numbers bare, texts quoted, lists in brackets with each element as `element` writes it.
    pub fn bracketed(&self, element: impl Fn(&str) -> String) -> String {
        match self {
            Literal::Bool(b) => b.to_string(),
            Literal::Number(n) => n.clone(),
            Literal::Text(text) => format!("{text:?}"),
            Literal::Texts(items) => {
                let items: Vec<String> = items.iter().map(|item| element(item)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// An input a message refers to, with the value it suggests where the fix is a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    /// A target option, alone or with the value to give it.
    Option {
        /// The option's name (`widen_to_fit`).
        name: String,
        /// The suggested value.
        value: Option<Literal>,
    },
    /// One entry of a map option (`tier_ranges` for tier `master`).
    OptionEntry {
        /// The option's name.
        name: String,
        /// The entry's key.
        key: String,
        /// The suggested value.
        value: Literal,
    },
    /// The selection of a platform.
    Platform {
        /// The platform's name.
        name: String,
    },
    /// An option of a selected platform, alone or with a suggested value.
    PlatformOption {
        /// The platform.
        platform: String,
        /// The option's key.
        key: String,
        /// The suggested value.
        value: Option<String>,
    },
    /// A tier of the selection.
    Tier {
        /// The tier's name.
        name: String,
    },
    /// The namespace and labels of a pod role (NetworkPolicy).
    PodSelector {
        /// The role, `platform/role`.
        role: String,
    },
    /// The addresses of an endpoint.
    Endpoint {
        /// The endpoint's name.
        name: String,
    },
    /// A port parameter.
    Parameter {
        /// The parameter's name.
        name: String,
        /// The suggested value.
        value: Option<Literal>,
    },
    /// The Kubernetes API server port.
    ApiServerPort {
        /// The suggested value.
        value: Option<Literal>,
    },
    /// The pod network mode.
    PodNetwork {
        /// The suggested mode.
        value: String,
    },
    /// A field of an extra flow.
    ExtraFlowField {
        /// The field's name (`ports`).
        field: String,
        /// The suggested value.
        value: Literal,
    },
}

impl Setting {
    /// Target option `name`.
    pub fn option(name: &str) -> Self {
        Setting::Option {
            name: name.to_string(),
            value: None,
        }
    }

    /// Target option `name` set to `value`.
    pub fn option_value(name: &str, value: Literal) -> Self {
        Setting::Option {
            name: name.to_string(),
            value: Some(value),
        }
    }

    /// Entry `key` of map option `name`, set to `value`.
    pub fn option_entry(name: &str, key: &str, value: Literal) -> Self {
        Setting::OptionEntry {
            name: name.to_string(),
            key: key.to_string(),
            value,
        }
    }

    /// The text `name` set to text `value`.
    pub fn text(name: &str, value: &str) -> Self {
        Setting::option_value(name, Literal::Text(value.to_string()))
    }
}

impl fmt::Display for Setting {
    /// Writes the marker [`render`] replaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        // A marker ends at the first CLOSE: escape the two characters inside the payload (JSON accepts the escape).
        let json = json.replace(OPEN, "\\ue000").replace(CLOSE, "\\ue001");
        write!(f, "{OPEN}{json}{CLOSE}")
    }
}

/// `text` with every [`Setting`] marker replaced by `spell`'s spelling of it.
pub fn render(text: &str, spell: &dyn Fn(&Setting) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + OPEN.len_utf8()..).unwrap_or_default();
        let Some(end) = after.find(CLOSE) else {
            out.push_str(after);
            return out;
        };
        let payload = after.get(..end).unwrap_or_default();
        match serde_json::from_str::<Setting>(payload) {
            Ok(setting) => out.push_str(&spell(&setting)),
            Err(_) => out.push_str(payload),
        }
        rest = after.get(end + CLOSE.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// The first byte of a marker's UTF-8 (both are three bytes long, U+E000 and U+E001).
const MARKER_LEAD: u8 = 0xE0 | (OPEN as u32 >> 12) as u8;

/// Whether `text` still holds a marker: true of text no front end rendered. Every output text passes here, so
/// one byte search (memchr) clears the texts without a character from the markers' block first.
pub fn has_markers(text: &str) -> bool {
    text.as_bytes().contains(&MARKER_LEAD) && text.contains(OPEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_by_their_lead_byte() {
        for marker in [OPEN, CLOSE] {
            assert_eq!(marker.to_string().as_bytes()[0], MARKER_LEAD);
        }
        assert!(has_markers(&format!(
            "set {}",
            Setting::option("widen_to_fit")
        )));
        assert!(!has_markers("plain text, and \u{E123} from the same block"));
    }

    fn name(setting: &Setting) -> String {
        match setting {
            Setting::Option { name, .. } => format!("<{name}>"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn markers_are_replaced_and_text_around_them_kept() {
        let text = format!(
            "set {} or {}.",
            Setting::option("widen_to_fit"),
            Setting::text("unsupported_flows", "skip")
        );
        assert!(has_markers(&text));
        assert_eq!(
            render(&text, &name),
            "set <widen_to_fit> or <unsupported_flows>."
        );
        assert_eq!(render("no marker", &name), "no marker");
    }

    #[test]
    fn marker_characters_in_values_do_not_end_the_marker() {
        let key = format!("a{CLOSE}b{OPEN}c");
        let setting = Setting::option_entry("tier_ranges", &key, Literal::Text("x".into()));
        let text = format!("[{setting}]");
        let rendered = render(&text, &|s| match s {
            Setting::OptionEntry { key, .. } => key.clone(),
            _ => String::new(),
        });
        assert_eq!(rendered, format!("[{key}]"));
    }
}
