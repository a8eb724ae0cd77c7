//! A small YAML emitter for manifests: block style, two-space indents, strings quoted unless they are plainly
//! words.
//!
//! The Rust YAML emitters are either deprecated (serde_yaml) or forks of uncertain upkeep, and manifests need
//! only maps, lists, strings, integers and booleans. Every string that could read as anything but itself (a
//! number, `true`, `on`, `null`, a string with `:` or `#`, ...) is written as a JSON string, which is a valid
//! YAML double-quoted scalar; the rest are plain. The result reads the same in YAML 1.1 and 1.2 parsers.

use serde_json::Value;

/// One YAML document (without the `---` line) for a JSON value.
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => sequence(items, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn mapping(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(key));
        out.push(':');
        nested(value, indent + 2, out);
    }
}

fn sequence(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        // An entry's first line follows the `- `; the rest of it is indented past the dash.
        let mut entry = String::new();
        match item {
            Value::Object(map) if !map.is_empty() => mapping(map, indent + 2, &mut entry),
            Value::Array(inner) if !inner.is_empty() => sequence(inner, indent + 2, &mut entry),
            scalar => {
                entry.push_str(&" ".repeat(indent + 2));
                entry.push_str(&inline(scalar));
                entry.push('\n');
            }
        }
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        out.push_str(&entry[indent + 2..]);
    }
}

/// What follows `key:`: a scalar on the same line, or a nested block on the next lines. `indent` is the key's
/// indent plus two.
fn nested(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(map, indent, out);
        }
        // Sequences under a key sit at the key's indent, as kubectl writes them.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(items, indent.saturating_sub(2), out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Words YAML 1.1 or 1.2 resolves to booleans or null when written plain.
const RESERVED: [&str; 11] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
];

/// A string as a plain scalar when it can only be read as that string, else double-quoted.
fn string(text: &str) -> String {
    let plain = text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        Value::String(text.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_style_with_entries_after_dashes() {
        let value = json!({
            "apiVersion": "networking.k8s.io/v1",
            "metadata": { "name": "web", "labels": { "app.kubernetes.io/name": "web" } },
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    { "from": [{ "ipBlock": { "cidr": "10.0.0.0/24" } }],
                      "ports": [{ "protocol": "TCP", "port": 10000, "endPort": 30000 }] }
                ],
            },
        });
        let expected = "\
apiVersion: networking.k8s.io/v1
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  ingress:
  - from:
    - ipBlock:
        cidr: \"10.0.0.0/24\"
    ports:
    - protocol: TCP
      port: 10000
      endPort: 30000
";
        assert_eq!(document(&value), expected);
    }

    #[test]
    fn quotes_what_would_read_as_something_else() {
        for (text, written) in [
            ("on", "\"on\""),
            ("Yes", "\"Yes\""),
            ("y", "\"y\""),
            ("null", "\"null\""),
            ("1.5", "\"1.5\""),
            ("0x1F", "\"0x1F\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("#x", "\"#x\""),
            ("-x", "\"-x\""),
            (".inf", "\".inf\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("longhorn.io/component", "longhorn.io/component"),
            ("instance-manager", "instance-manager"),
            ("TCP", "TCP"),
        ] {
            assert_eq!(string(text), written, "{text:?}");
        }
        assert_eq!(document(&json!([])), "[]\n");
        assert_eq!(
            document(&json!({"a": [], "b": true, "c": 3})),
            "a: []\nb: true\nc: 3\n"
        );
        assert_eq!(document(&json!([["x"], "z"])), "- - x\n- z\n");
    }
}
