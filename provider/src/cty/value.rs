//! cty values: known values, nulls, (refined) unknowns, and exact numbers.

use std::collections::BTreeMap;
use std::fmt;

use super::CtyType;

/// A cty value. Which variants are valid where is decided by the
/// [`CtyType`] the value is encoded or decoded with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null of whatever type the context requires.
    Null,
    /// A value not known yet (planning), with whatever Terraform knows
    /// about its range.
    Unknown(Refinements),
    /// A known `bool`.
    Bool(bool),
    /// A known `number`.
    Number(Number),
    /// A known `string`.
    String(String),
    /// A known `list(T)`.
    List(Vec<Value>),
    /// A known `set(T)`. Elements are kept in the given order and are not
    /// deduplicated; Terraform normalises sets on its side.
    Set(Vec<Value>),
    /// A known `map(T)`.
    Map(BTreeMap<String, Value>),
    /// A known `object({...})`: one entry per attribute of the type.
    Object(BTreeMap<String, Value>),
    /// A known `tuple([...])`.
    Tuple(Vec<Value>),
    /// A value in a `dynamic` slot, carrying its concrete type.
    Dynamic {
        /// The value's concrete type.
        ty: CtyType,
        /// The value itself, conforming to `ty`.
        value: Box<Value>,
    },
}

impl Value {
    /// An unknown value with no refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    /// A known string.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A known number.
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A known object from `(attribute, value)` pairs.
    pub fn object<I, K>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A value in a `dynamic` slot.
    pub fn dynamic(ty: CtyType, value: Value) -> Value {
        Value::Dynamic {
            ty,
            value: Box::new(value),
        }
    }

    /// Whether this is a null (looking through a `Dynamic` wrapper).
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic { value, .. } => value.is_null(),
            _ => false,
        }
    }

    /// Whether this value itself is unknown (looking through `Dynamic`).
    pub(crate) fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic { value, .. } => value.is_unknown(),
            _ => false,
        }
    }

    /// Whether no unknown occurs anywhere in this value.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            Value::Dynamic { value, .. } => value.is_wholly_known(),
        }
    }

    /// The bool, if this is a known bool.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic { value, .. } => value.as_bool(),
            _ => None,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic { value, .. } => value.as_str(),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub(crate) fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            Value::Dynamic { value, .. } => value.as_number(),
            _ => None,
        }
    }

    /// The elements of a known list, set or tuple.
    pub(crate) fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            Value::Dynamic { value, .. } => value.as_elements(),
            _ => None,
        }
    }

    /// The entries of a known map or object.
    pub(crate) fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            Value::Dynamic { value, .. } => value.as_map(),
            _ => None,
        }
    }

    /// An attribute of a known object.
    pub(crate) fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) => attrs.get(name),
            Value::Dynamic { value, .. } => value.get_attr(name),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

/// What Terraform (≥ 1.6) knows about an unknown value. The default is a
/// plain unknown. Only refinements that apply to the value's type are put
/// on the wire, as go-cty does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// The value will definitely not be null.
    pub not_null: bool,
    /// A string value will start with this prefix.
    pub string_prefix: Option<String>,
    /// A number value's lower bound and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// A number value's upper bound and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// A collection's minimum length (inclusive).
    pub length_lower: Option<u64>,
    /// A collection's maximum length (inclusive).
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// Refinements saying only "definitely not null".
    pub fn not_null() -> Self {
        Refinements {
            not_null: true,
            ..Refinements::default()
        }
    }

    /// Whether this says nothing beyond "unknown".
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A cty number, kept exact: integers as integers, binary floats as `f64`,
/// and anything else (too big or too precise) as decimal text.
///
/// Equality compares numeric values exactly, across variants
/// (`Int(1) == Float(1.0) == Decimal("1.0")`); NaN equals nothing.
#[derive(Debug, Clone)]
pub enum Number {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (used when it doesn't fit `i64`).
    UInt(u64),
    /// A binary floating-point value (may be infinite; NaN is not a valid
    /// cty number and is rejected by the encoder).
    Float(f64),
    /// Decimal text such as `"123456789012345678901234567890.5"` or
    /// `"1e400"`, for values no other variant holds exactly.
    Decimal(String),
}

/// Error from [`Number::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid number")]
pub struct NumberError(pub String);

/// Largest decimal exponent accepted in number text. It bounds the size of
/// the plain decimal text the encoder writes; every finite `f64` needs at
/// most 1074 fractional digits, far inside this limit.
const MAX_DECIMAL_EXPONENT: i64 = 10_000;

impl Number {
    /// Parses decimal number text (`-12`, `1.5`, `.5`, `1e400`, `Inf`),
    /// choosing the most specific exact variant.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        match Exact::parse(text) {
            Some(Exact::PosInf) => Ok(Number::Float(f64::INFINITY)),
            Some(Exact::NegInf) => Ok(Number::Float(f64::NEG_INFINITY)),
            Some(Exact::Finite(d)) => Ok(match d.to_i128() {
                Some(i) if i64::try_from(i).is_ok() => Number::Int(i as i64),
                Some(i) if u64::try_from(i).is_ok() => Number::UInt(i as u64),
                _ => Number::Decimal(d.to_plain()),
            }),
            Some(Exact::NaN) | None => Err(NumberError(text.to_owned())),
        }
    }

    /// The value as `i64`, if it is an integer in range.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            _ => self.as_i128().and_then(|i| i64::try_from(i).ok()),
        }
    }

    /// The value as `u64`, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::UInt(u) => Some(*u),
            _ => self.as_i128().and_then(|i| u64::try_from(i).ok()),
        }
    }

    /// The value as `f64`, only if that conversion is exact (infinities
    /// included, NaN never).
    // Only the tests read it.
    #[cfg(test)]
    pub(crate) fn to_f64(&self) -> Option<f64> {
        match self {
            Number::Float(f) if f.is_nan() => None,
            Number::Float(f) => Some(*f),
            Number::Int(i) => exact_int_f64(i128::from(*i)),
            Number::UInt(u) => exact_int_f64(i128::from(*u)),
            Number::Decimal(_) => match self.exact() {
                Some(Exact::Finite(d)) => d.to_exact_f64(),
                Some(Exact::PosInf) => Some(f64::INFINITY),
                Some(Exact::NegInf) => Some(f64::NEG_INFINITY),
                Some(Exact::NaN) | None => None,
            },
        }
    }

    fn as_i128(&self) -> Option<i128> {
        match self {
            Number::Int(i) => Some(i128::from(*i)),
            Number::UInt(u) => Some(i128::from(*u)),
            _ => match self.exact()? {
                Exact::Finite(d) => d.to_i128(),
                _ => None,
            },
        }
    }

    /// The exact value, or `None` for `Decimal` text that isn't a number.
    fn exact(&self) -> Option<Exact> {
        Some(match self {
            Number::Int(i) => Exact::Finite(Dec::from_i128(i128::from(*i))),
            Number::UInt(u) => Exact::Finite(Dec::from_i128(i128::from(*u))),
            Number::Float(f) => Exact::from_f64(*f),
            Number::Decimal(s) => return Exact::parse(s),
        })
    }

    /// The form go-cty's msgpack encoder would choose for this value: an
    /// integer if it is one that fits `i64`, else an `f64` if that is exact,
    /// else decimal text.
    pub(crate) fn wire_form(&self) -> Result<WireNumber, String> {
        match self {
            Number::Int(i) => Ok(WireNumber::Int(*i)),
            Number::UInt(u) => Ok(match i64::try_from(*u) {
                Ok(i) => WireNumber::Int(i),
                Err(_) => match exact_int_f64(i128::from(*u)) {
                    Some(f) => WireNumber::Float(f),
                    None => WireNumber::Text(u.to_string()),
                },
            }),
            Number::Float(f) if f.is_nan() => Err("NaN is not a valid number".to_owned()),
            Number::Float(f) => Ok(float_wire_form(*f)),
            Number::Decimal(s) => match Exact::parse(s) {
                Some(Exact::PosInf) => Ok(WireNumber::Float(f64::INFINITY)),
                Some(Exact::NegInf) => Ok(WireNumber::Float(f64::NEG_INFINITY)),
                Some(Exact::Finite(d)) => {
                    if let Some(i) = d.to_i128().and_then(|i| i64::try_from(i).ok()) {
                        Ok(WireNumber::Int(i))
                    } else if let Some(f) = d.to_exact_f64() {
                        Ok(WireNumber::Float(f))
                    } else {
                        Ok(WireNumber::Text(d.to_plain()))
                    }
                }
                Some(Exact::NaN) | None => Err(format!("{s:?} is not a valid number")),
            },
        }
    }
}

/// How a number goes on the msgpack wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireNumber {
    /// Most compact msgpack int.
    Int(i64),
    /// msgpack float64.
    Float(f64),
    /// msgpack string of decimal text.
    Text(String),
}

fn float_wire_form(f: f64) -> WireNumber {
    // -2^63 <= f < 2^63, both bounds exact in f64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        WireNumber::Int(f as i64)
    } else {
        WireNumber::Float(f)
    }
}

fn exact_int_f64(i: i128) -> Option<f64> {
    let f = i as f64;
    // Every f64 below 2^127 converts back to i128 exactly, so a lossy
    // conversion shows up as a mismatch.
    (f as i128 == i).then_some(f)
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::UInt(a), Number::UInt(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b,
            _ => match (self.exact(), other.exact()) {
                (Some(a), Some(b)) => a == b && a != Exact::NaN,
                _ => false,
            },
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::UInt(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number::Int(i)
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Self {
        Number::Int(i64::from(i))
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        match i64::try_from(u) {
            Ok(i) => Number::Int(i),
            Err(_) => Number::UInt(u),
        }
    }
}

impl From<u32> for Number {
    fn from(u: u32) -> Self {
        Number::Int(i64::from(u))
    }
}

impl From<u16> for Number {
    fn from(u: u16) -> Self {
        Number::Int(i64::from(u))
    }
}

impl From<f64> for Number {
    fn from(f: f64) -> Self {
        Number::Float(f)
    }
}

/// An exact number value, used to compare and convert [`Number`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exact {
    Finite(Dec),
    PosInf,
    NegInf,
    NaN,
}

impl Exact {
    fn from_f64(f: f64) -> Exact {
        if f.is_nan() {
            Exact::NaN
        } else if f == f64::INFINITY {
            Exact::PosInf
        } else if f == f64::NEG_INFINITY {
            Exact::NegInf
        } else {
            // 800 significant digits exceed the 767 an f64 can need, and
            // Rust's fixed-precision formatting is exact, so this is the
            // float's exact decimal value.
            match Dec::parse(&format!("{f:.800e}")) {
                Some(d) => Exact::Finite(d),
                None => Exact::NaN,
            }
        }
    }

    /// Parses the text big.Float accepts in base 10 (what go-cty's
    /// `ParseNumberVal` uses): `[sign] (digits [. digits] | . digits)
    /// [(e|E) [sign] digits]`, or `[sign] (Inf|inf)`.
    fn parse(text: &str) -> Option<Exact> {
        match text {
            "Inf" | "inf" | "+Inf" | "+inf" => Some(Exact::PosInf),
            "-Inf" | "-inf" => Some(Exact::NegInf),
            _ => Dec::parse(text).map(Exact::Finite),
        }
    }
}

/// Splits `bytes` after its leading ASCII digits: `(digits, rest)`.
fn split_digits(bytes: &[u8]) -> (&[u8], &[u8]) {
    let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    // `n` counts a prefix of `bytes`, so the split is in bounds and the fallback is never taken.
    bytes.split_at_checked(n).unwrap_or((bytes, &[]))
}

/// An exact finite decimal: `(-1)^neg × digits × 10^exp`, with `digits`
/// free of leading and trailing zeros (empty for zero, which is never
/// negative), so equal values have equal representations.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dec {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Dec {
    fn from_i128(i: i128) -> Dec {
        let mut d = Dec {
            neg: i < 0,
            digits: i.unsigned_abs().to_string().into_bytes(),
            exp: 0,
        };
        d.normalize();
        d
    }

    /// Parses `[sign] mantissa [exponent]` (see [`Exact::parse`]).
    fn parse(text: &str) -> Option<Dec> {
        let (neg, rest) = match text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            rest => (false, rest),
        };
        let (int_digits, rest) = split_digits(rest);
        let (frac_digits, rest) = match rest {
            [b'.', after @ ..] => split_digits(after),
            _ => (&[][..], rest),
        };
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        let rest = match rest {
            [b'e' | b'E', after @ ..] => {
                let (exp_neg, after) = match after {
                    [b'-', after @ ..] => (true, after),
                    [b'+', after @ ..] => (false, after),
                    _ => (false, after),
                };
                let (exp_digits, after) = split_digits(after);
                if exp_digits.is_empty() {
                    return None;
                }
                for &digit in exp_digits {
                    exp = exp.checked_mul(10)?.checked_add(i64::from(digit - b'0'))?;
                    if exp > MAX_DECIMAL_EXPONENT * 2 {
                        return None;
                    }
                }
                if exp_neg {
                    exp = -exp;
                }
                after
            }
            _ => rest,
        };
        if !rest.is_empty() {
            return None;
        }
        let mut digits = Vec::with_capacity(int_digits.len() + frac_digits.len());
        digits.extend_from_slice(int_digits);
        digits.extend_from_slice(frac_digits);
        let frac_len = i64::try_from(frac_digits.len()).ok()?;
        let mut d = Dec {
            neg,
            digits,
            exp: exp.checked_sub(frac_len)?,
        };
        d.normalize();
        // Bound the magnitude so the plain text stays reasonably small.
        let len = i64::try_from(d.digits.len()).ok()?;
        if !d.digits.is_empty()
            && (d.exp + len > MAX_DECIMAL_EXPONENT || d.exp < -MAX_DECIMAL_EXPONENT)
        {
            return None;
        }
        Some(d)
    }

    fn normalize(&mut self) {
        let leading = self.digits.iter().take_while(|&&c| c == b'0').count();
        self.digits.drain(..leading);
        let trailing = self.digits.iter().rev().take_while(|&&c| c == b'0').count();
        self.digits.truncate(self.digits.len() - trailing);
        // At most 2 * 10^4 + digit count: no overflow.
        self.exp += trailing as i64;
        if self.digits.is_empty() {
            self.neg = false;
            self.exp = 0;
        }
    }

    fn to_i128(&self) -> Option<i128> {
        if self.exp < 0 {
            return None;
        }
        if self.digits.len() as i64 + self.exp > 39 {
            return None;
        }
        let mut v: i128 = 0;
        for &c in &self.digits {
            v = v.checked_mul(10)?.checked_add(i128::from(c - b'0'))?;
        }
        for _ in 0..self.exp {
            v = v.checked_mul(10)?;
        }
        Some(if self.neg { -v } else { v })
    }

    fn to_exact_f64(&self) -> Option<f64> {
        let digits = if self.digits.is_empty() {
            "0"
        } else {
            std::str::from_utf8(&self.digits).ok()?
        };
        let sign = if self.neg { "-" } else { "" };
        let f: f64 = format!("{sign}{digits}e{}", self.exp).parse().ok()?;
        (f.is_finite() && Exact::from_f64(f) == Exact::Finite(self.clone())).then_some(f)
    }

    /// Plain decimal text without exponent, like Go's `Text('f', -1)`.
    fn to_plain(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_owned();
        }
        let digits = String::from_utf8_lossy(&self.digits);
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let len = self.digits.len() as i64;
        if self.exp >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exp as usize));
        } else if -self.exp < len {
            let split = (len + self.exp) as usize;
            out.push_str(&digits[..split]);
            out.push('.');
            out.push_str(&digits[split..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-self.exp - len) as usize));
            out.push_str(&digits);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_picks_exact_variants() {
        assert_eq!(Number::parse("42").unwrap(), Number::Int(42));
        assert!(matches!(Number::parse("-1").unwrap(), Number::Int(-1)));
        assert!(matches!(
            Number::parse("18446744073709551615").unwrap(),
            Number::UInt(u64::MAX)
        ));
        match Number::parse("123456789012345678901234567890.5").unwrap() {
            Number::Decimal(s) => assert_eq!(s, "123456789012345678901234567890.5"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(Number::parse("1.50").unwrap(), Number::Decimal(s) if s == "1.5"));
        assert!(matches!(Number::parse("2e3").unwrap(), Number::Int(2000)));
        assert!(matches!(Number::parse(".5e-2").unwrap(), Number::Decimal(s) if s == "0.005"));
        assert!(
            matches!(Number::parse("-Inf").unwrap(), Number::Float(f) if f == f64::NEG_INFINITY)
        );
        assert!(matches!(Number::parse("-0").unwrap(), Number::Int(0)));
    }

    #[test]
    fn parse_rejects_non_numbers() {
        for bad in [
            "", "-", ".", "1e", "e5", "1.2.3", "0x10", "NaN", "1_000", " 1", "1 ", "1e99999",
            "--5", "+-5",
        ] {
            assert!(Number::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn equality_is_numeric_and_exact() {
        assert_eq!(Number::Int(1), Number::Float(1.0));
        assert_eq!(Number::Int(1), Number::Decimal("1.000".into()));
        assert_eq!(Number::UInt(7), Number::Int(7));
        assert_eq!(Number::Float(1.5), Number::Decimal("15e-1".into()));
        assert_ne!(Number::Float(0.1), Number::Decimal("0.1".into()));
        assert_ne!(Number::Float(f64::NAN), Number::Float(f64::NAN));
        assert_ne!(Number::Decimal("x".into()), Number::Decimal("x".into()));
        assert_eq!(Number::Float(-0.0), Number::Int(0));
    }

    #[test]
    fn integer_accessors_refuse_lossy_results() {
        assert_eq!(Number::Int(443).as_u64(), Some(443));
        assert_eq!(Number::Int(-1).as_u64(), None);
        assert_eq!(Number::Int(-1).as_i64(), Some(-1));
        assert_eq!(Number::Float(80.0).as_u64(), Some(80));
        assert_eq!(Number::Float(80.5).as_u64(), None);
        assert_eq!(Number::UInt(u64::MAX).as_i64(), None);
        assert_eq!(Number::UInt(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(Number::Decimal("8080".into()).as_u64(), Some(8080));
        assert_eq!(Number::Decimal("1e30".into()).as_u64(), None);
    }

    #[test]
    fn to_f64_is_exact_or_none() {
        assert_eq!(Number::Int(3).to_f64(), Some(3.0));
        assert_eq!(Number::Int(i64::MAX).to_f64(), None);
        assert_eq!(
            Number::Int(i64::MIN).to_f64(),
            Some(-9_223_372_036_854_775_808.0)
        );
        assert_eq!(Number::UInt(u64::MAX).to_f64(), None);
        assert_eq!(Number::Decimal("0.1".into()).to_f64(), None);
        assert_eq!(Number::Decimal("0.25".into()).to_f64(), Some(0.25));
        assert_eq!(Number::Float(f64::NAN).to_f64(), None);
    }

    #[test]
    fn wire_form_follows_go_cty() {
        for (number, wire) in [
            (Number::Float(2.0), WireNumber::Int(2)),
            (Number::Float(1.5), WireNumber::Float(1.5)),
            (Number::Float(1e20), WireNumber::Float(1e20)),
            (
                Number::UInt(u64::MAX),
                WireNumber::Text("18446744073709551615".into()),
            ),
            (
                Number::UInt(1 << 63),
                WireNumber::Float(9_223_372_036_854_775_808.0),
            ),
            (Number::Decimal("0.5".into()), WireNumber::Float(0.5)),
            (
                Number::Decimal("0.1".into()),
                WireNumber::Text("0.1".into()),
            ),
            (Number::Decimal("1e22".into()), WireNumber::Float(1e22)),
            // 10^25 has no exact f64.
            (
                Number::Decimal("1e25".into()),
                WireNumber::Text("10000000000000000000000000".into()),
            ),
        ] {
            assert_eq!(number.wire_form(), Ok(wire), "{number:?}");
        }
        assert!(Number::Float(f64::NAN).wire_form().is_err());
        assert!(Number::Decimal("1,5".into()).wire_form().is_err());
    }

    #[test]
    fn value_helpers_look_through_dynamic() {
        let v = Value::dynamic(CtyType::String, Value::from("x"));
        assert_eq!(v.as_str(), Some("x"));
        assert!(!v.is_null());
        let obj = Value::object([("a", Value::unknown()), ("b", Value::Null)]);
        assert!(!obj.is_wholly_known());
        assert!(obj.get_attr("b").is_some_and(Value::is_null));
        assert!(Refinements::default().is_empty());
        assert!(!Refinements::not_null().is_empty());
    }
}
