//! `tracing` events written to stderr as hclog JSON lines, the format go-plugin parses.
//!
//! Terraform reads the plugin's stderr line by line. A line that parses as JSON with string `@level` and
//! `@message` and an `@timestamp` of exactly `2006-01-02T15:04:05.000000Z07:00` shape becomes a log entry at that
//! level under `provider.terraform-provider-portmatrix`; other keys become key/value pairs. Terraform 1.0.3
//! type-asserts `@level` and `@message` as strings, so they are always strings here.

use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The `@module` every entry carries.
const MODULE: &str = "provider.portmatrix";

/// A layer writing each event as one hclog JSON line to stderr.
pub(crate) struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = hclog_line(
            event.metadata().level(),
            time::OffsetDateTime::now_utc(),
            |visitor| event.record(visitor),
        );
        // A failed write to stderr has nowhere to be reported; dropping the entry is the only option.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Formats one entry. `record` fills in the event's fields.
fn hclog_line(
    level: &Level,
    at: time::OffsetDateTime,
    record: impl FnOnce(&mut FieldVisitor),
) -> String {
    let mut visitor = FieldVisitor::default();
    record(&mut visitor);
    let mut entry = serde_json::Map::new();
    entry.insert("@level".into(), hclog_level(level).into());
    entry.insert(
        "@message".into(),
        visitor.message.unwrap_or_default().into(),
    );
    entry.insert("@timestamp".into(), timestamp(at).into());
    entry.insert("@module".into(), MODULE.into());
    for (key, value) in visitor.fields {
        // Keys starting with '@' are hclog's own; keep user fields from shadowing them.
        let key = if key.starts_with('@') {
            format!("field{key}")
        } else {
            key
        };
        entry.insert(key, value);
    }
    serde_json::Value::Object(entry).to_string()
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// `2006-01-02T15:04:05.000000Z07:00` in UTC: six fractional digits, or go-plugin treats the line as plain text.
fn timestamp(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000000Z".to_string())
}

/// Collects an event's message and fields as JSON values.
#[derive(Default)]
pub(crate) struct FieldVisitor {
    message: Option<String>,
    fields: Vec<(String, serde_json::Value)>,
}

impl FieldVisitor {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.push((field.name().to_string(), value));
        }
    }
}

impl Visit for FieldVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
}

/// The level Terraform asked for: `TF_LOG_PROVIDER`, else `TF_LOG`, else warnings only.
///
/// Terraform filters again on its side; reading the same variables avoids formatting entries it would drop.
pub fn level_from_env(var: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let requested = var("TF_LOG_PROVIDER")
        .or_else(|| var("TF_LOG"))
        .unwrap_or_default();
    match requested.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

/// Installs the hclog layer as the global subscriber at `level`.
pub fn init(level: LevelFilter) {
    use tracing_subscriber::prelude::*;
    // Only fails when a subscriber is already set (tests); the existing one keeps working.
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(level))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_has_the_fields_go_plugin_parses() {
        let at = time::macros::datetime!(2026-11-22 02:26:47.071123 UTC);
        let line = hclog_line(&Level::INFO, at, |_| {});
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(entry["@level"], "info");
        assert_eq!(entry["@message"], "");
        assert_eq!(entry["@timestamp"], "2026-11-22T02:26:47.071123Z");
        assert_eq!(entry["@module"], MODULE);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn timestamp_always_has_six_fractional_digits() {
        let at = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(timestamp(at), "2026-01-02T03:04:05.000000Z");
        let offset = time::macros::datetime!(2026-01-02 03:04:05.5 +02:00);
        assert_eq!(timestamp(offset), "2026-01-02T01:04:05.500000Z");
    }

    #[test]
    fn levels_follow_terraform_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(vars(&[])), LevelFilter::WARN);
        assert_eq!(
            level_from_env(vars(&[("TF_LOG", "debug")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(vars(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "TRACE")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(vars(&[("TF_LOG_PROVIDER", "json")])),
            LevelFilter::TRACE
        );
    }

    #[test]
    fn real_events_become_json_lines() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::prelude::*;
        // A capturing layer that formats exactly like HclogLayer, to check field handling end to end.
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
                let at = time::OffsetDateTime::now_utc();
                let line = hclog_line(event.metadata().level(), at, |v| event.record(v));
                self.0.lock().unwrap().push(line);
            }
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(rpc = "ReadDataSource", flows = 12u64, "read \"catalog\"");
        });
        let lines = lines.lock().unwrap();
        let entry: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(entry["@level"], "warn");
        assert_eq!(entry["@message"], "read \"catalog\"");
        assert_eq!(entry["rpc"], "ReadDataSource");
        assert_eq!(entry["flows"], 12);
    }
}
