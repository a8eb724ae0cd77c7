//! The JSON form of `DynamicValue`, following go-cty's `cty/json`
//! unmarshal. Terraform core sends msgpack; JSON is only a fallback, so
//! only decoding is offered.
//!
//! A small JSON reader lives here rather than `serde_json` because cty
//! numbers are arbitrary precision and must reach [`Number`] as the exact
//! text that was sent.

use std::collections::BTreeMap;

use super::decode::{decode_indexed, Entries, EntryDecoder};
use super::{CodecError, CtyType, Number, Value};

/// Nesting limit of the JSON reader, to bound recursion on hostile input.
const MAX_DEPTH: usize = 256;

/// Decodes JSON bytes as a value of type `ty`, as go-cty's `json.Unmarshal`
/// does: object attributes that are absent become null; numbers may be
/// JSON numbers or decimal strings; a `dynamic` value is
/// `{"type": <type JSON>, "value": <value>}`. JSON has no unknowns.
pub(crate) fn decode_json(ty: &CtyType, bytes: &[u8]) -> Result<Value, CodecError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| CodecError::here("JSON is not valid UTF-8"))?;
    let mut reader = Reader { text, pos: 0 };
    let json = reader
        .document()
        .map_err(|m| CodecError::here(format!("invalid JSON at byte {}: {m}", reader.pos)))?;
    decode_value(ty, json)
}

/// A `serde_json` value as a value of its own exact type (objects and tuples, as Terraform's `jsondecode`
/// gives), for outputs of dynamic type.
pub fn typed_from_serde(value: &serde_json::Value) -> (CtyType, Value) {
    match value {
        serde_json::Value::Null => (CtyType::String, Value::Null),
        serde_json::Value::Bool(b) => (CtyType::Bool, Value::Bool(*b)),
        serde_json::Value::Number(n) => (
            CtyType::Number,
            Number::parse(&n.to_string())
                .map(Value::Number)
                .unwrap_or(Value::Null),
        ),
        serde_json::Value::String(s) => (CtyType::String, Value::string(s)),
        serde_json::Value::Array(items) => {
            let (types, values) = items.iter().map(typed_from_serde).unzip();
            (CtyType::Tuple(types), Value::Tuple(values))
        }
        serde_json::Value::Object(map) => {
            let mut types = BTreeMap::new();
            let mut values = BTreeMap::new();
            for (key, item) in map {
                let (ty, value) = typed_from_serde(item);
                types.insert(key.clone(), ty);
                values.insert(key.clone(), value);
            }
            (CtyType::Object(types), Value::Object(values))
        }
    }
}

/// A parsed JSON value, numbers kept as their text.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn document(&mut self) -> Result<Json, &'static str> {
        let v = self.value(0)?;
        self.skip_ws();
        if self.pos != self.text.len() {
            return Err("unexpected data after the value");
        }
        Ok(v)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, &'static str> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err("invalid literal")
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, &'static str> {
        if depth > MAX_DEPTH {
            return Err("nesting too deep");
        }
        self.skip_ws();
        match self.peek().ok_or("unexpected end of input")? {
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => self
                .items(b']', "expected ',' or ']'", |p| p.value(depth + 1))
                .map(Json::Array),
            b'{' => self
                .items(b'}', "expected ',' or '}'", |p| {
                    p.skip_ws();
                    if p.peek() != Some(b'"') {
                        return Err("expected a string key");
                    }
                    let key = p.string()?;
                    p.skip_ws();
                    if p.peek() != Some(b':') {
                        return Err("expected ':'");
                    }
                    p.pos += 1;
                    Ok((key, p.value(depth + 1)?))
                })
                .map(Json::Object),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => Err("unexpected character"),
        }
    }

    /// The items of an array or object whose opening byte is next, each read by `item`, up to `close`; `expected`
    /// is the error when an item is followed by neither `,` nor `close`.
    fn items<T>(
        &mut self,
        close: u8,
        expected: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<T, &'static str>,
    ) -> Result<Vec<T>, &'static str> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(next) if next == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(expected),
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<String, &'static str> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |pos: &mut usize| {
            let s = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - s
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        let int_start = pos;
        let n = digits(&mut pos);
        if n == 0 || (n > 1 && bytes.get(int_start) == Some(&b'0')) {
            return Err("invalid number");
        }
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            if digits(&mut pos) == 0 {
                return Err("invalid number");
            }
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            pos += 1;
            if let Some(b'+' | b'-') = bytes.get(pos) {
                pos += 1;
            }
            if digits(&mut pos) == 0 {
                return Err("invalid number");
            }
        }
        self.pos = pos;
        Ok(self.text[start..pos].to_owned())
    }

    fn string(&mut self) -> Result<String, &'static str> {
        // Caller checked the opening quote.
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let stop = rest
                .find(|c: char| c == '"' || c == '\\' || c < ' ')
                .ok_or("unterminated string")?;
            out.push_str(&rest[..stop]);
            self.pos += stop;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or("unterminated escape")?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err("invalid escape"),
                    }
                }
                _ => return Err("control character in string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or("short \\u escape")?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| "invalid \\u escape")?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("invalid \\u escape");
        }
        self.pos += 4;
        Ok(v)
    }

    /// After `\u`. Lone or mismatched surrogates become U+FFFD, as in Go.
    fn unicode_escape(&mut self) -> Result<char, &'static str> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.text[self.pos..].starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

fn decode_value(ty: &CtyType, json: Json) -> Result<Value, CodecError> {
    if json == Json::Null {
        return Ok(Value::Null);
    }
    match ty {
        CtyType::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(b)),
            // go-cty converts strings with its string-to-bool conversion.
            Json::String(s) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(CodecError::here("a bool is required")),
            },
            _ => Err(CodecError::here("bool is required")),
        },
        CtyType::Number => match json {
            Json::Number(text) | Json::String(text) => Number::parse(&text)
                .map(Value::Number)
                .map_err(|_| CodecError::here("a number is required")),
            _ => Err(CodecError::here("number is required")),
        },
        CtyType::String => match json {
            Json::String(s) | Json::Number(s) => Ok(Value::String(s)),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(CodecError::here("string is required")),
        },
        CtyType::List(ety) => match json {
            Json::Array(items) => {
                decode_indexed(items, |item| decode_value(ety, item)).map(Value::List)
            }
            _ => Err(CodecError::here("need JSON array for list")),
        },
        CtyType::Set(ety) => match json {
            Json::Array(items) => {
                decode_indexed(items, |item| decode_value(ety, item)).map(Value::Set)
            }
            _ => Err(CodecError::here("need JSON array for set")),
        },
        CtyType::Tuple(etys) => match json {
            Json::Array(items) if items.len() == etys.len() => {
                decode_indexed(etys.iter().zip(items), |(ety, item)| {
                    decode_value(ety, item)
                })
                .map(Value::Tuple)
            }
            Json::Array(_) => Err(CodecError::here(format!(
                "a tuple of length {} is required",
                etys.len()
            ))),
            _ => Err(CodecError::here("need JSON array for tuple")),
        },
        CtyType::Map(ety) => match json {
            Json::Object(entries) => decode_entries(Entries::Map(ety), entries).map(Value::Map),
            _ => Err(CodecError::here("need JSON object for map")),
        },
        CtyType::Object(atys) => match json {
            Json::Object(entries) => {
                let mut out = decode_entries(Entries::Object(atys), entries)?;
                for name in atys.keys() {
                    out.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
            _ => Err(CodecError::here("need JSON object for object")),
        },
        CtyType::Dynamic => decode_dynamic(json),
    }
}

/// The entries of a JSON object, whose keys are always text.
fn decode_entries(
    into: Entries<'_>,
    entries: Vec<(String, Json)>,
) -> Result<BTreeMap<String, Value>, CodecError> {
    let mut decoder = EntryDecoder::new(into);
    for (key, item) in entries {
        decoder.entry(key, |ty| decode_value(ty, item))?;
    }
    Ok(decoder.finish())
}

fn decode_dynamic(json: Json) -> Result<Value, CodecError> {
    let Json::Object(entries) = json else {
        return Err(CodecError::here(
            "need JSON object for dynamically-typed value",
        ));
    };
    let mut ty = None;
    let mut body = None;
    for (key, item) in entries {
        match key.as_str() {
            "type" => {
                let parsed = CtyType::from_json(&to_serde(&item))
                    .map_err(|e| CodecError::here(e.to_string()))?;
                ty = Some(parsed);
            }
            "value" => body = Some(item),
            _ => {
                return Err(CodecError::here(format!(
                    "invalid key {key:?} in dynamically-typed value"
                )))
            }
        }
    }
    let ty = ty.ok_or_else(|| CodecError::here("missing type in dynamically-typed value"))?;
    let body = body.ok_or_else(|| CodecError::here("missing value in dynamically-typed value"))?;
    let value = decode_value(&ty, body)?;
    Ok(match ty {
        CtyType::Dynamic => value,
        ty => Value::dynamic(ty, value),
    })
}

/// For type expressions only, which contain no numbers worth keeping exact.
fn to_serde(json: &Json) -> serde_json::Value {
    match json {
        Json::Null => serde_json::Value::Null,
        Json::Bool(b) => serde_json::Value::Bool(*b),
        Json::Number(text) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
        Json::String(s) => serde_json::Value::String(s.clone()),
        Json::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Json::Object(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_serde(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn serde_json_values_take_their_own_exact_types() {
        let (ty, value) = typed_from_serde(&serde_json::json!({"a": [true, "x"]}));
        assert_eq!(
            ty,
            CtyType::object([("a", CtyType::Tuple(vec![CtyType::Bool, CtyType::String]))])
        );
        assert_eq!(
            value,
            Value::object([("a", Value::Tuple(vec![true.into(), "x".into()]))])
        );
    }

    fn port_type() -> CtyType {
        CtyType::object([
            ("from_port", CtyType::Number),
            ("protocol", CtyType::String),
            ("tags", CtyType::map(CtyType::String)),
        ])
    }

    #[test]
    fn object_fills_absent_attributes_with_null() {
        let v = decode_json(&port_type(), br#"{"from_port": 443, "protocol": "tcp"}"#).unwrap();
        assert_eq!(
            v,
            Value::object([
                ("from_port", Value::number(443)),
                ("protocol", Value::from("tcp")),
                ("tags", Value::Null),
            ])
        );
    }

    #[test]
    fn unsupported_attribute_names_its_path() {
        let ty = CtyType::object([("rules", CtyType::list(port_type()))]);
        let err = decode_json(&ty, br#"{"rules":[{"from_port":1},{"bogus":true}]}"#).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[1].bogus");
        assert_eq!(err.message, "unsupported attribute");
    }

    #[test]
    fn numbers_stay_exact() {
        let text = "123456789012345678901234567890.5";
        match decode_json(&CtyType::Number, text.as_bytes()).unwrap() {
            Value::Number(Number::Decimal(s)) => assert_eq!(s, text),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decode_json(&CtyType::Number, b"18446744073709551615").unwrap(),
            Value::Number(Number::UInt(u64::MAX))
        );
        assert_eq!(
            decode_json(&CtyType::Number, b"\"-1\"").unwrap(),
            Value::number(-1)
        );
        assert_eq!(
            decode_json(&CtyType::Number, b"1.5").unwrap(),
            Value::Number(Number::Float(1.5))
        );
        assert!(decode_json(&CtyType::Number, b"\"NaN\"").is_err());
        assert!(decode_json(&CtyType::Number, b"01").is_err());
    }

    #[test]
    fn primitive_conversions_follow_go_cty() {
        assert_eq!(
            decode_json(&CtyType::Bool, b"\"true\"").unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            decode_json(&CtyType::String, b"12.50").unwrap(),
            Value::from("12.50")
        );
        assert_eq!(
            decode_json(&CtyType::String, b"false").unwrap(),
            Value::from("false")
        );
        assert!(decode_json(&CtyType::Bool, b"1").is_err());
        assert!(decode_json(&CtyType::String, b"[]").is_err());
    }

    #[test]
    fn strings_unescape() {
        let v = decode_json(&CtyType::String, br#""a\"b\\c\n\u00e9\ud83d\ude00\ud800x""#).unwrap();
        assert_eq!(v, Value::from("a\"b\\c\n\u{e9}\u{1F600}\u{FFFD}x"));
        assert!(decode_json(&CtyType::String, b"\"a\x01\"").is_err());
        assert!(decode_json(&CtyType::String, b"\"abc").is_err());
    }

    #[test]
    fn collections_and_dynamic() {
        let ty = CtyType::object([
            ("l", CtyType::list(CtyType::Number)),
            ("s", CtyType::set(CtyType::String)),
            ("t", CtyType::tuple(vec![CtyType::Bool, CtyType::String])),
            ("d", CtyType::Dynamic),
            ("n", CtyType::Dynamic),
        ]);
        let v = decode_json(
            &ty,
            br#"{"l":[1,2],"s":["a"],"t":[true,"x"],"d":{"value":{"k":"v"},"type":["map","string"]},"n":null}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            Value::object([
                ("l", Value::List(vec![Value::number(1), Value::number(2)])),
                ("s", Value::Set(vec!["a".into()])),
                ("t", Value::Tuple(vec![true.into(), "x".into()])),
                (
                    "d",
                    Value::dynamic(
                        CtyType::map(CtyType::String),
                        Value::Map([("k".to_owned(), "v".into())].into())
                    )
                ),
                ("n", Value::Null),
            ])
        );
        assert!(decode_json(&CtyType::Dynamic, br#"{"value":1}"#).is_err());
        assert!(decode_json(&CtyType::Dynamic, br#"{"type":"number","value":1,"x":2}"#).is_err());
        assert!(decode_json(&CtyType::tuple(vec![CtyType::Bool]), b"[]").is_err());
        assert!(decode_json(&CtyType::map(CtyType::Bool), br#"{"a":true,"a":false}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(decode_json(&CtyType::Dynamic, deep.as_bytes()).is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_json(&CtyType::Dynamic, &bytes);
            let _ = decode_json(&port_type(), &bytes);
        }

        #[test]
        fn json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-z\\ .eE+-]{0,40}"#) {
            let _ = decode_json(&port_type(), text.as_bytes());
            let _ = decode_json(&CtyType::list(CtyType::Dynamic), text.as_bytes());
        }
    }
}
