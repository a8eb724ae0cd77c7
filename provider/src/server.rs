//! The `tfplugin6.Provider` gRPC service: decodes requests, dispatches to data sources, encodes responses.
//!
//! Terraform starts the provider several times per command (schema, validation, read), so every RPC here is
//! stateless apart from what `ConfigureProvider` hands over: the Terraform version, and the provider block's
//! settings, which Terraform sends to a process before it reads data sources in it. RPCs this provider has no
//! use for (resources, functions, ephemeral resources, ...) keep the generated default, `UNIMPLEMENTED`, which is
//! what Terraform expects from providers that lack them.
//!
//! The gRPC runtime only decodes, dispatches and encodes, and validates small configurations: reads, and the
//! validation of configurations larger than [`INLINE_VALIDATION_BYTES`], run on blocking threads
//! (`spawn_blocking`, one per core), and reads that wait outside the process (a live audit waiting on EC2) on
//! threads of their own, so one slow read never holds up the others or `Shutdown`.
//! Each read gets a [`CancellationToken`] that `StopProvider` (Terraform's answer to Ctrl-C) and go-plugin's
//! `Shutdown` fire; long work checks it and gives up with a diagnostic.

use crate::cty::{self, Value};
use crate::datasources::{self, DataSource};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::provider_config;
use crate::schema::Schema;
use portmatrix_proto::tfplugin6 as proto;
use portmatrix_proto::tfplugin6::provider_server::{Provider, ProviderServer};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Largest message either side may send; the same limit terraform-plugin-go uses.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// Largest configuration validated on the gRPC runtime's thread, for data sources whose validation reads nothing
/// but the configuration ([`DataSource::validates_from_config_alone`]): its time is then bounded by the
/// configuration's size, well under a millisecond up to this size, less than handing the work to a blocking
/// thread and back costs (an eighth of the provider's CPU per data source in a plan of a thousand). Larger
/// configurations (user catalogs of many kilobytes), and the validations that load built-in documents, run on a
/// blocking thread, as reads do.
const INLINE_VALIDATION_BYTES: usize = 64 << 10;

/// Largest state a read may return: half the message limit, leaving room for diagnostics and for the copies
/// Terraform makes of it. Selections are bounded long before this ([`crate::engine::MAX_RULES`]); this is the
/// last guard for what a target multiplies further (a rule per address of an endpoint with thousands).
const MAX_STATE_BYTES: usize = MAX_MESSAGE_BYTES / 2;

/// The provider's gRPC routes, ready for [`crate::plugin::serve`]. `shutdown` is the transport's shutdown signal:
/// when it fires, every read in flight is cancelled.
pub fn routes(shutdown: CancellationToken) -> tonic::service::Routes {
    let server = ProviderServer::new(PortmatrixProvider::new(shutdown))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    tonic::service::Routes::new(server)
}

/// Data sources by type name, shared with the blocking threads that validate and read.
type DataSources = Arc<BTreeMap<&'static str, Served>>;

/// A data source as the server holds it: the source, and its schema, built at the first request and kept. A plan
/// with a thousand data sources of one type is two thousand requests to one process, and each needs the schema
/// (to decode, check, complete and encode values); building it formats every description.
struct Served {
    source: Box<dyn DataSource>,
    schema: OnceLock<Schema>,
}

impl Served {
    fn new(source: Box<dyn DataSource>) -> Self {
        Served {
            source,
            schema: OnceLock::new(),
        }
    }

    fn schema(&self) -> &Schema {
        self.schema.get_or_init(|| self.source.schema())
    }

    /// Validates a decoded configuration ([`datasources::validate`]).
    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        datasources::validate(
            self.source.as_ref(),
            &self.schema().block,
            config,
            diagnostics,
        );
    }
}

/// The provider: its data sources, what Terraform told it at configuration time, and the stop signal of the
/// requests in flight.
pub(crate) struct PortmatrixProvider {
    data_sources: DataSources,
    terraform_version: Mutex<Option<String>>,
    /// Fired by go-plugin's `Shutdown`: the end of the process.
    shutdown: CancellationToken,
    /// Fired by `StopProvider`, then replaced by a fresh one, so requests after a stop are served again (as
    /// terraform-plugin-go does). A child of `shutdown`.
    stop: Mutex<CancellationToken>,
}

impl PortmatrixProvider {
    /// A provider serving every data source of [`datasources::all`], whose reads `shutdown` cancels.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self::serving(datasources::all(), shutdown)
    }

    /// A provider serving `data_sources`, whose reads `shutdown` cancels.
    fn serving(data_sources: Vec<Box<dyn DataSource>>, shutdown: CancellationToken) -> Self {
        let data_sources = data_sources
            .into_iter()
            .map(|ds| (ds.type_name(), Served::new(ds)))
            .collect();
        PortmatrixProvider {
            data_sources: Arc::new(data_sources),
            terraform_version: Mutex::new(None),
            stop: Mutex::new(shutdown.child_token()),
            shutdown,
        }
    }

    /// The token the next request watches: fired by the next `StopProvider` or by `Shutdown`.
    fn stop_token(&self) -> CancellationToken {
        match self.stop.lock() {
            Ok(stop) => stop.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The provider block's schema.
    fn provider_schema() -> Schema {
        provider_config::schema()
    }

    /// Runs `work` with the data source `type_name` off the gRPC runtime, and returns its result and diagnostics:
    /// on the runtime's blocking threads, which CPU-bound work queues for (one per core, `main.rs`), or on a thread
    /// of its own for a data source that waits outside the process. An unknown type name or a panic becomes an
    /// error diagnostic.
    async fn on_blocking_thread<T: Send + 'static>(
        &self,
        type_name: String,
        work: impl FnOnce(&Served, &mut Diagnostics) -> Option<T> + Send + 'static,
    ) -> (Option<T>, Diagnostics) {
        let data_sources = Arc::clone(&self.data_sources);
        let waits = data_sources
            .get(type_name.as_str())
            .is_some_and(|ds| ds.source.waits_outside());
        let run = move || with_data_source(&data_sources, &type_name, work);
        if waits {
            return on_own_thread(run).await;
        }
        let task = tokio::task::spawn_blocking(run);
        task.await.unwrap_or_else(|error| internal_failure(&error))
    }

    /// Runs `work` as [`Self::on_blocking_thread`] does, but on the calling thread: for work bounded by a small
    /// request, which costs less than the hand-over to a blocking thread.
    fn on_this_thread<T>(
        &self,
        type_name: &str,
        work: impl FnOnce(&Served, &mut Diagnostics) -> Option<T>,
    ) -> (Option<T>, Diagnostics) {
        let work = AssertUnwindSafe(|| with_data_source(&self.data_sources, type_name, work));
        std::panic::catch_unwind(work).unwrap_or_else(panicked)
    }
}

/// Runs `work` on a new thread and waits for it without holding a runtime or blocking thread.
async fn on_own_thread<T: Send + 'static>(
    work: impl FnOnce() -> (Option<T>, Diagnostics) + Send + 'static,
) -> (Option<T>, Diagnostics) {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("portmatrix-wait".into())
        .spawn(move || sender.send(std::panic::catch_unwind(AssertUnwindSafe(work))));
    if let Err(error) = spawned {
        return internal_failure(&error);
    }
    match receiver.await {
        Ok(Ok(done)) => done,
        Ok(Err(panic)) => panicked(panic),
        Err(error) => internal_failure(&error),
    }
}

/// The answer for work that panicked with `panic`.
fn panicked<T>(panic: Box<dyn std::any::Any + Send>) -> (Option<T>, Diagnostics) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    internal_failure(&format!("panicked: {message}"))
}

/// `work` with the data source `type_name`: its result and diagnostics, or an error naming the data sources there
/// are.
fn with_data_source<T>(
    data_sources: &BTreeMap<&'static str, Served>,
    type_name: &str,
    work: impl FnOnce(&Served, &mut Diagnostics) -> Option<T>,
) -> (Option<T>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let result = match data_source(data_sources, type_name) {
        Ok(ds) => work(ds, &mut diagnostics),
        Err(error) => {
            diagnostics.push(error);
            None
        }
    };
    (result, diagnostics)
}

/// No result, and an error diagnostic for a data source's work that failed (panicked) with `error`.
fn internal_failure<T>(error: &dyn std::fmt::Display) -> (Option<T>, Diagnostics) {
    tracing::error!(%error, "a data source task failed");
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(Diagnostic::error(
        "Provider failed internally",
        format!("This is a bug in the portmatrix provider; please report it. Details: {error}"),
    ));
    (None, diagnostics)
}

/// Looks up a data source, or explains which ones exist.
fn data_source<'a>(
    data_sources: &'a BTreeMap<&'static str, Served>,
    type_name: &str,
) -> Result<&'a Served, Diagnostic> {
    data_sources.get(type_name).ok_or_else(|| {
        let known: Vec<&str> = data_sources.keys().copied().collect();
        Diagnostic::error(
            format!("Unknown data source {type_name:?}"),
            format!("This provider offers: {}.", known.join(", ")),
        )
    })
}

/// Decodes a request's configuration against the schema's type.
fn decode_config(
    schema: &Schema,
    config: Option<&proto::DynamicValue>,
) -> Result<Value, Diagnostic> {
    let ty = schema.implied_type();
    let Some(config) = config else {
        return Err(Diagnostic::error(
            "Missing configuration",
            "Terraform sent no configuration.",
        ));
    };
    let decoded = if !config.msgpack.is_empty() {
        cty::decode_msgpack(ty, &config.msgpack)
    } else {
        cty::decode_json(ty, &config.json)
    };
    decoded.map_err(|error| {
        Diagnostic::error(
            "Cannot decode the configuration",
            format!("The configuration Terraform sent does not match the schema: {error}"),
        )
    })
}

/// The error for a result that does not fit the schema's type.
fn invalid_result(error: cty::CodecError) -> Diagnostic {
    Diagnostic::error(
        "Provider produced an invalid result",
        format!("This is a bug in the portmatrix provider; please report it. Details: {error}"),
    )
}

/// The provider block's configuration, decoded and handed to `use_config`: the diagnostics of both, for Terraform.
fn with_provider_config(
    config: Option<&proto::DynamicValue>,
    use_config: impl FnOnce(&Value, &mut Diagnostics),
) -> Vec<proto::Diagnostic> {
    let mut diagnostics = Diagnostics::default();
    match decode_config(&PortmatrixProvider::provider_schema(), config) {
        Ok(config) => use_config(&config, &mut diagnostics),
        Err(error) => diagnostics.push(error),
    }
    proto_diagnostics(diagnostics)
}

fn proto_diagnostics(diagnostics: Diagnostics) -> Vec<proto::Diagnostic> {
    // The pure layers mention settings neutrally; Terraform users read them as attributes and blocks.
    diagnostics
        .into_iter()
        .map(crate::terraform_terms::terraform_diagnostic)
        .map(|d| proto::Diagnostic::from(&d))
        .collect()
}

#[tonic::async_trait]
impl Provider for PortmatrixProvider {
    async fn get_metadata(
        &self,
        _request: Request<proto::get_metadata::Request>,
    ) -> Result<Response<proto::get_metadata::Response>, Status> {
        Ok(Response::new(proto::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| proto::get_metadata::DataSourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<proto::get_provider_schema::Request>,
    ) -> Result<Response<proto::get_provider_schema::Response>, Status> {
        let data_source_schemas = self
            .data_sources
            .iter()
            .map(|(name, ds)| (name.to_string(), proto::Schema::from(ds.schema())))
            .collect();
        Ok(Response::new(proto::get_provider_schema::Response {
            provider: Some(proto::Schema::from(&Self::provider_schema())),
            data_source_schemas,
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<proto::validate_provider_config::Request>,
    ) -> Result<Response<proto::validate_provider_config::Response>, Status> {
        let config = request.get_ref().config.as_ref();
        let diagnostics = with_provider_config(config, |config, diagnostics| {
            diagnostics.extend(provider_config::validate(config));
        });
        Ok(Response::new(proto::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<proto::configure_provider::Request>,
    ) -> Result<Response<proto::configure_provider::Response>, Status> {
        let request = request.into_inner();
        tracing::info!(terraform_version = %request.terraform_version, "provider configured");
        if let Ok(mut version) = self.terraform_version.lock() {
            *version = Some(request.terraform_version);
        }
        // The settings are not logged: they are harmless, but the habit keeps credentials out of logs.
        let diagnostics = with_provider_config(request.config.as_ref(), |config, diagnostics| {
            match provider_config::settings(config) {
                Ok(settings) => {
                    for ds in self.data_sources.values() {
                        ds.source.configure(&settings);
                    }
                }
                Err(errors) => diagnostics.extend(errors),
            }
        });
        Ok(Response::new(proto::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<proto::validate_data_resource_config::Request>,
    ) -> Result<Response<proto::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let config = request.config;
        let size = config
            .as_ref()
            .map_or(0, |c| c.msgpack.len() + c.json.len());
        let in_place = size <= INLINE_VALIDATION_BYTES
            && self
                .data_sources
                .get(request.type_name.as_str())
                .is_some_and(|ds| ds.source.validates_from_config_alone());
        let validate = move |ds: &Served, diagnostics: &mut Diagnostics| {
            match decode_config(ds.schema(), config.as_ref()) {
                Ok(config) => ds.validate(&config, diagnostics),
                Err(error) => diagnostics.push(error),
            }
            None::<()>
        };
        let (_, diagnostics) = if in_place {
            self.on_this_thread(&request.type_name, validate)
        } else {
            self.on_blocking_thread(request.type_name, validate).await
        };
        Ok(Response::new(
            proto::validate_data_resource_config::Response {
                diagnostics: proto_diagnostics(diagnostics),
            },
        ))
    }

    async fn read_data_source(
        &self,
        request: Request<proto::read_data_source::Request>,
    ) -> Result<Response<proto::read_data_source::Response>, Status> {
        let request = request.into_inner();
        tracing::debug!(type_name = %request.type_name, "ReadDataSource");
        let config = request.config;
        let stop = self.stop_token();
        let (state, diagnostics) = self
            .on_blocking_thread(request.type_name, move |ds, diagnostics| {
                read(ds, config.as_ref(), &stop, MAX_STATE_BYTES, diagnostics)
            })
            .await;
        Ok(Response::new(proto::read_data_source::Response {
            state,
            diagnostics: proto_diagnostics(diagnostics),
            deferred: None,
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<proto::stop_provider::Request>,
    ) -> Result<Response<proto::stop_provider::Response>, Status> {
        // Cancel what is in flight; later requests (Terraform may still ask for diagnostics) get a fresh token.
        // An empty error means "stopped".
        tracing::debug!("StopProvider: cancelling the requests in flight");
        let fresh = self.shutdown.child_token();
        let previous = match self.stop.lock() {
            Ok(mut stop) => std::mem::replace(&mut *stop, fresh),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), fresh),
        };
        previous.cancel();
        Ok(Response::new(proto::stop_provider::Response {
            error: String::new(),
        }))
    }
}

/// Reads one data source (Terraform has just validated the same configuration), returning the complete encoded
/// state on success. `stop` cancels a long
/// read; a state larger than `max_state_bytes` is an error instead of a message Terraform would refuse.
fn read(
    ds: &Served,
    config: Option<&proto::DynamicValue>,
    stop: &CancellationToken,
    max_state_bytes: usize,
    diagnostics: &mut Diagnostics,
) -> Option<proto::DynamicValue> {
    let schema = ds.schema();
    let config = match decode_config(schema, config) {
        Ok(config) => config,
        Err(error) => {
            diagnostics.push(error);
            return None;
        }
    };
    // No validation here: Terraform validates the same, wholly known configuration with
    // ValidateDataResourceConfig right before every ReadDataSource and reads only when that passed
    // (terraform's readDataSource, "Re-validating config"), so a second pass would repeat its work and warnings.
    let result = ds.source.read_until_stopped(&config, stop, diagnostics)?;
    match result.encode(schema) {
        Ok(msgpack) if msgpack.len() > max_state_bytes => {
            diagnostics.push(Diagnostic::error(
                "Result too large",
                format!(
                    "The result is {} MiB, more than the {} MiB one data source may return. Split the selection \
                     over several data sources, use fewer tiers, or give endpoints with many addresses as prefix \
                     lists or wider CIDR blocks.",
                    msgpack.len() >> 20,
                    max_state_bytes >> 20
                ),
            ));
            None
        }
        Ok(msgpack) => Some(proto::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(error) => {
            diagnostics.push(invalid_result(error));
            None
        }
    }
}

/// What this provider tells Terraform about itself.
fn server_capabilities() -> proto::ServerCapabilities {
    proto::ServerCapabilities {
        // Terraform 1.6+ may cache our schema instead of starting a process just to ask for it.
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows_config(ds: &dyn DataSource) -> proto::DynamicValue {
        let config = Value::object([(
            "platform",
            Value::List(vec![Value::object([("name", Value::string("kublr"))])]),
        )]);
        let block = ds.schema().block;
        let msgpack = cty::encode_msgpack(&block.implied_type(), &block.complete(config));
        proto::DynamicValue {
            msgpack: msgpack.expect("encodes"),
            json: Vec::new(),
        }
    }

    /// A data source that notes the thread each validation ran on, and panics validating the text "panic"; it
    /// validates from the configuration alone when `config_alone`, and waits outside the process when `waits`.
    #[derive(Default, Clone)]
    struct ThreadProbe {
        threads: Arc<Mutex<Vec<Option<String>>>>,
        config_alone: bool,
        waits: bool,
    }

    impl ThreadProbe {
        fn validating_from_config_alone() -> Self {
            ThreadProbe {
                config_alone: true,
                ..ThreadProbe::default()
            }
        }
    }

    fn thread_name() -> Option<String> {
        std::thread::current().name().map(str::to_string)
    }

    impl DataSource for ThreadProbe {
        fn type_name(&self) -> &'static str {
            "portmatrix_probe"
        }

        fn schema(&self) -> Schema {
            let text = crate::schema::Attribute::optional("text", cty::CtyType::String, "Text.");
            Schema::new(0, crate::schema::Block::new("Probe.").attribute(text))
        }

        fn waits_outside(&self) -> bool {
            self.waits
        }

        fn validates_from_config_alone(&self) -> bool {
            self.config_alone
        }

        fn validate(&self, config: &Value, _diagnostics: &mut Diagnostics) {
            self.threads
                .lock()
                .expect("not poisoned")
                .push(thread_name());
            assert_ne!(
                config.get_attr("text").and_then(Value::as_str),
                Some("panic")
            );
        }

        fn read(
            &self,
            _config: &Value,
            _diagnostics: &mut Diagnostics,
        ) -> Option<datasources::ReadResult> {
            None
        }
    }

    async fn validate_text(provider: &PortmatrixProvider, text: &str) -> Vec<proto::Diagnostic> {
        let block = ThreadProbe::default().schema().block;
        let config = Value::object([("text", Value::string(text))]);
        let msgpack = cty::encode_msgpack(&block.implied_type(), &config).expect("encodes");
        let request = proto::validate_data_resource_config::Request {
            type_name: "portmatrix_probe".into(),
            config: Some(proto::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
        };
        let response = provider
            .validate_data_resource_config(Request::new(request))
            .await;
        response.expect("answers").into_inner().diagnostics
    }

    /// The threads `probe` was validated on, for each of `texts` in turn (each validates without a diagnostic).
    async fn validation_threads(probe: ThreadProbe, texts: &[&str]) -> Vec<Option<String>> {
        let provider =
            PortmatrixProvider::serving(vec![Box::new(probe.clone())], CancellationToken::new());
        for text in texts {
            assert!(validate_text(&provider, text).await.is_empty());
        }
        let threads = probe.threads.lock().expect("not poisoned").clone();
        threads
    }

    #[tokio::test]
    async fn small_configurations_are_validated_in_place_large_ones_on_a_blocking_thread() {
        let large = "x".repeat(INLINE_VALIDATION_BYTES + 1);
        let probe = ThreadProbe::validating_from_config_alone();
        let threads = validation_threads(probe, &["small", &large]).await;
        let here = thread_name();
        assert_eq!(
            threads[0], here,
            "a small configuration is validated on the runtime's thread"
        );
        assert_ne!(threads[1], here, "a large one on a blocking thread");
        assert_ne!(threads[1].as_deref(), Some("portmatrix-wait"));
    }

    #[tokio::test]
    async fn validation_that_reads_more_than_the_configuration_is_never_in_place() {
        let threads = validation_threads(ThreadProbe::default(), &["small"]).await;
        assert_ne!(threads[0], thread_name(), "validated on a blocking thread");
    }

    #[tokio::test]
    async fn a_data_source_that_waits_outside_works_on_a_thread_of_its_own() {
        let probe = ThreadProbe {
            waits: true,
            ..ThreadProbe::default()
        };
        let large = "x".repeat(INLINE_VALIDATION_BYTES + 1);
        let threads = validation_threads(probe, &[&large]).await;
        assert_eq!(threads, [Some("portmatrix-wait".to_string())]);
    }

    #[tokio::test]
    async fn a_validation_that_panics_is_a_diagnostic_and_the_provider_serves_on() {
        let provider = PortmatrixProvider::serving(
            vec![Box::new(ThreadProbe::validating_from_config_alone())],
            CancellationToken::new(),
        );
        let diagnostics = validate_text(&provider, "panic").await;
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].summary, "Provider failed internally");
        assert!(
            diagnostics[0].detail.contains("panicked"),
            "{diagnostics:?}"
        );
        assert!(validate_text(&provider, "fine").await.is_empty());
    }

    #[test]
    fn a_state_over_the_limit_is_a_diagnostic_not_a_transport_error() {
        let flows = Served::new(Box::new(datasources::FlowsDataSource));
        let config = flows_config(flows.source.as_ref());
        let stop = CancellationToken::new();
        let mut diagnostics = Diagnostics::default();
        let state = read(
            &flows,
            Some(&config),
            &stop,
            MAX_STATE_BYTES,
            &mut diagnostics,
        );
        let size = state.expect("Kublr's flows fit").msgpack.len();
        let mut diagnostics = Diagnostics::default();
        assert!(read(&flows, Some(&config), &stop, size - 1, &mut diagnostics).is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Result too large"), "{text}");
    }
}
