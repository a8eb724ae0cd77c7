//! The go-plugin transport: how Terraform launches, reaches and stops a provider process.
//!
//! This layer knows gRPC, TLS and go-plugin's conventions, and nothing about ports or data sources. It takes
//! the provider's gRPC routes, adds the services every go-plugin server exposes (health named `plugin`, the
//! controller whose `Shutdown` ends the process), binds a listener, prints the handshake line and serves until
//! Terraform says to stop.

pub mod handshake;
pub mod logging;
pub(crate) mod tls;

use handshake::{handshake_line, LaunchEnv, ListenAddr};
use portmatrix_proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use std::future::Future;
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream, UnixListenerStream};
use tokio_stream::{Stream, StreamExt as _};
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::server::Connected;
use tonic::transport::Server;

/// How long in-flight requests may take to finish once Terraform asked us to shut down. Terraform kills the
/// process 2 s after `Shutdown`, and its own connection stays open until then, so waiting longer is pointless.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How long a client may take to complete the TLS handshake after connecting. go-plugin's client finishes it in
/// milliseconds; a connection that has not by then is stuck or hostile, and would otherwise hold a descriptor
/// and a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The first pause after a failed `accept`, doubled on each further failure up to [`ACCEPT_BACKOFF_MAX`] (the
/// values of Go's net/http). Without it a listener out of descriptors (EMFILE) is reported ready again at once
/// and the loop spins a core.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
/// The longest pause between retries of a failing `accept`.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// A repeated failure (accept errors, refused handshakes) is logged at most once per interval.
const WARN_INTERVAL: Duration = Duration::from_secs(1);

/// How often a managed provider checks that the process that launched it is still there.
const PARENT_POLL: Duration = Duration::from_secs(1);

/// How the process was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Launched by Terraform: handshake on stdout, SIGINT ignored, stop on `Shutdown`.
    Managed,
    /// Started by a developer with `--debug`: plaintext, prints `TF_REATTACH_PROVIDERS`, stops on Ctrl-C.
    Debug {
        /// The provider's source address, e.g. `registry.terraform.io/portmatrix/portmatrix`.
        provider_address: String,
    },
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No listener could be bound.
    #[error("cannot listen: {0}")]
    Listen(io::Error),
    /// TLS could not be configured.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The signal handlers could not be installed.
    #[error("cannot handle signals: {0}")]
    Signal(io::Error),
    /// Writing the handshake to stdout failed.
    #[error("cannot write the handshake line: {0}")]
    Handshake(io::Error),
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `routes` (the provider's services) as a go-plugin server until told to stop. `shutdown` is fired by
/// go-plugin's `Shutdown`, SIGTERM, SIGHUP, Ctrl-C in debug mode and the launching process going away; the
/// provider's routes watch the same token to cancel the work in flight.
///
/// Every way of stopping ends here with the socket directory removed, a failing server included (the directory
/// guard is dropped on return). Only SIGKILL leaves it behind.
pub async fn serve(
    routes: Routes,
    launch: LaunchEnv,
    mode: Mode,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    // Read first: the parent can only be seen changing if we know which one it was.
    let parent = std::os::unix::process::parent_id();
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let routes = routes
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }));

    let tls = match &launch.client_cert_pem {
        Some(client_pem) => {
            let identity = tls::ServerIdentity::generate()?;
            let config = identity.server_config(client_pem)?;
            Some((
                identity.cert_der,
                tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            ))
        }
        None => None,
    };
    // Handlers are registered before anything is bound or announced: a signal that arrives before a lazily
    // registered handler would take the default action, killing the process and leaving the directory behind.
    let signals = Signals::register().map_err(ServeError::Signal)?;
    let (listener, addr, _socket_dir) = bind(&launch).map_err(ServeError::Listen)?;

    let managed = match &mode {
        Mode::Managed => {
            announce(&handshake_line(
                &addr,
                tls.as_ref().map(|(der, _)| der.as_ref()),
            ))?;
            true
        }
        Mode::Debug { provider_address } => {
            announce(&reattach_instructions(provider_address, &addr))?;
            false
        }
    };
    let stop = shutdown.clone();
    tokio::spawn(async move {
        // Only a managed provider has a parent that owns it: a debug one outlives the shell that started it
        // if the developer wants so.
        let reason = tokio::select! {
            reason = signals.stopping(managed) => reason,
            () = parent_gone(parent), if managed => "the process that launched the provider exited",
        };
        tracing::info!(reason, "stopping");
        stop.cancel();
    });
    tracing::info!(network = addr.network(), address = %addr, tls = tls.is_some(), "plugin serving");

    let acceptor = tls.map(|(_, acceptor)| acceptor);
    let stopped = shutdown.clone().cancelled_owned();
    let server = async {
        match listener {
            Listener::Unix(l) => {
                serve_incoming(routes, UnixListenerStream::new(l), acceptor, stopped).await
            }
            Listener::Tcp(l) => {
                serve_incoming(routes, TcpListenerStream::new(l), acceptor, stopped).await
            }
        }
    };
    tokio::select! {
        result = server => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::debug!("connections still open after the shutdown grace period; exiting anyway");
        }
    }
    tracing::info!("plugin stopped");
    Ok(())
}

/// The signals a provider handles.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    fn register() -> io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Resolves with the name of the first signal that stops the provider. SIGTERM and SIGHUP always do. SIGINT
    /// stops only a debug provider: go-plugin servers ignore it, because Ctrl-C reaches the whole process group
    /// and Terraform itself decides when to stop its providers (StopProvider, then Shutdown).
    async fn stopping(mut self, managed: bool) -> &'static str {
        loop {
            tokio::select! {
                Some(()) = self.interrupt.recv() => {
                    if !managed {
                        return "SIGINT";
                    }
                    tracing::debug!("ignoring SIGINT; Terraform stops the provider itself");
                }
                Some(()) = self.terminate.recv() => return "SIGTERM",
                Some(()) = self.hangup.recv() => return "SIGHUP",
                // The signal driver is gone only while the runtime shuts down.
                else => std::future::pending::<()>().await,
            }
        }
    }
}

/// Resolves once our parent process is no longer `original`, i.e. the Terraform that launched us is gone and
/// we were adopted by init or a subreaper.
///
/// Polling `getppid` is the one check that is both portable across Unixes and free of races:
/// `prctl(PR_SET_PDEATHSIG)` is Linux-only, fires when the *thread* that forked us exits (Go forks from
/// arbitrary runtime threads) and misses a parent that died before the call; stdin cannot tell, because
/// go-plugin hands the plugin Terraform's own stdin rather than a pipe; and the stdout/stderr pipes close only
/// once every holder of their read end has. A parent that is init from the start (Terraform as a container's
/// PID 1) never changes, which is right: it outlives us.
async fn parent_gone(original: u32) {
    let mut ticks = tokio::time::interval(PARENT_POLL);
    loop {
        ticks.tick().await;
        if std::os::unix::process::parent_id() != original {
            return;
        }
    }
}

/// Prints `text` as the only output on stdout, flushed at once.
fn announce(text: &str) -> Result<(), ServeError> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Handshake)
}

/// The text terraform-plugin-go prints in debug mode, with the reattach configuration to export.
fn reattach_instructions(provider_address: &str, addr: &ListenAddr) -> String {
    let config = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.to_string() },
        }
    });
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable \
         with the following:\n\n\tTF_REATTACH_PROVIDERS='{config}'\n\nStop the provider with Ctrl-C."
    )
}

/// A bound listener of either kind.
enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// Binds a Unix socket in a fresh private directory, or a loopback TCP port in the allowed range where
/// sockets are impossible. The returned directory removes itself (and the socket) when dropped.
///
/// The directory is created 0700, as go-plugin's, so no other user can reach the socket; the socket itself is
/// made 0600 as well, because the umask alone usually leaves it world-readable.
fn bind(launch: &LaunchEnv) -> io::Result<(Listener, ListenAddr, Option<tempfile::TempDir>)> {
    let private = std::fs::Permissions::from_mode(0o700);
    let mut builder = tempfile::Builder::new();
    builder.prefix("plugin").permissions(private);
    let dir = match &launch.unix_socket_dir {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    };
    let unix = dir.and_then(|dir| {
        let path: PathBuf = dir.path().join("plugin.sock");
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok((listener, path, dir))
    });
    match unix {
        Ok((listener, path, dir)) => {
            Ok((Listener::Unix(listener), ListenAddr::Unix(path), Some(dir)))
        }
        Err(unix_error) => {
            tracing::warn!(error = %unix_error, "cannot use a Unix socket; falling back to loopback TCP");
            let (listener, addr) = bind_tcp(launch)?;
            Ok((Listener::Tcp(listener), ListenAddr::Tcp(addr), None))
        }
    }
}

/// Binds the first free port of the allowed range on 127.0.0.1.
fn bind_tcp(launch: &LaunchEnv) -> io::Result<(TcpListener, std::net::SocketAddr)> {
    for port in launch.tcp_ports.clone() {
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            listener.set_nonblocking(true)?;
            let listener = TcpListener::from_std(listener)?;
            let addr = listener.local_addr()?;
            return Ok((listener, addr));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!(
            "no free port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT ({}..{})",
            launch.tcp_ports.start(),
            launch.tcp_ports.end()
        ),
    ))
}

/// Serves gRPC on `incoming` connections, through TLS when an acceptor is given.
async fn serve_incoming<IO>(
    routes: Routes,
    incoming: impl Stream<Item = io::Result<IO>> + Send + Unpin + 'static,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stopped: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
{
    let server = Server::builder().add_routes(routes);
    // Both paths accept through `accept_loop`, which backs off on errors: tonic's own loop retries a failing
    // accept at once, forever.
    match tls {
        None => {
            let (tx, rx) = mpsc::channel(16);
            tokio::spawn(accept_loop(incoming, |io| async { Ok(io) }, tx));
            server
                .serve_with_incoming_shutdown(ReceiverStream::new(rx), stopped)
                .await
        }
        Some(acceptor) => {
            let (tx, rx) = mpsc::channel(16);
            let handshake = move |io| {
                let accept = acceptor.accept(io);
                async move {
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, accept)
                        .await
                        .unwrap_or_else(|_| {
                            Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                format!("no TLS handshake within {HANDSHAKE_TIMEOUT:?}"),
                            ))
                        })
                }
            };
            tokio::spawn(accept_loop(incoming, handshake, tx));
            server
                .serve_with_incoming_shutdown(ReceiverStream::new(rx), stopped)
                .await
        }
    }
}

/// Accepts connections and hands each to the server once `handshake` completed it. Handshakes run off the loop,
/// so one stalled or refused client cannot block the others. A failing accept (typically EMFILE: out of file
/// descriptors) is retried with exponential back-off, and failures are logged at most once per
/// [`WARN_INTERVAL`], so that running out of descriptors costs neither a core nor the disk.
async fn accept_loop<IO, S, H, F>(
    mut incoming: impl Stream<Item = io::Result<IO>> + Unpin,
    handshake: H,
    ready: mpsc::Sender<io::Result<S>>,
) where
    H: Fn(IO) -> F,
    F: Future<Output = io::Result<S>> + Send + 'static,
    S: Send + 'static,
{
    let mut accept_errors = Throttle::default();
    let refusals = Arc::new(Mutex::new(Throttle::default()));
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut failures: u64 = 0;
    while let Some(connection) = incoming.next().await {
        let io = match connection {
            Ok(io) => io,
            Err(error) => {
                failures += 1;
                accept_errors.warn(&error, "accepting a connection failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                continue;
            }
        };
        if failures > 0 {
            // Closes the episode in the log, with the count the throttled warnings could not all show.
            tracing::warn!(failures, "accepting connections again");
            failures = 0;
        }
        backoff = ACCEPT_BACKOFF_MIN;
        let handshake = handshake(io);
        let ready = ready.clone();
        let refusals = refusals.clone();
        tokio::spawn(async move {
            match handshake.await {
                Ok(stream) => {
                    // The server is gone only while shutting down; the connection is simply dropped then.
                    let _ = ready.send(Ok(stream)).await;
                }
                Err(error) => {
                    // A poisoned lock only means another refusal's log line panicked; the counts are still usable.
                    let mut refusals = refusals.lock().unwrap_or_else(|e| e.into_inner());
                    refusals.warn(&error, "refused a connection: TLS handshake failed");
                }
            }
        });
    }
}

/// Logs a repeated failure at most once per [`WARN_INTERVAL`], saying how many were left out since.
#[derive(Default)]
struct Throttle {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    fn warn(&mut self, error: &io::Error, message: &str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < WARN_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(%error, suppressed = self.suppressed, "{message}");
        self.last = Some(now);
        self.suppressed = 0;
    }
}

/// go-plugin's controller: `Shutdown` answers, then stops the server and cancels the work in flight.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<portmatrix_proto::plugin::Empty>,
    ) -> Result<tonic::Response<portmatrix_proto::plugin::Empty>, tonic::Status> {
        tracing::debug!("Shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(tonic::Response::new(portmatrix_proto::plugin::Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(ports: std::ops::RangeInclusive<u16>) -> LaunchEnv {
        LaunchEnv {
            client_cert_pem: None,
            tcp_ports: ports,
            unix_socket_dir: None,
        }
    }

    #[tokio::test]
    async fn binds_a_unix_socket_in_a_private_directory() {
        let (listener, addr, dir) = bind(&launch(10000..=25000)).unwrap();
        assert!(matches!(listener, Listener::Unix(_)));
        let ListenAddr::Unix(path) = addr else {
            panic!("expected a Unix socket")
        };
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(path.parent().unwrap()) & 0o777, 0o700);
        assert_eq!(mode(&path) & 0o077, 0, "no access for group or others");
        drop(listener);
        drop(dir);
        assert!(
            !path.exists(),
            "the socket directory is removed with the guard"
        );
    }

    #[tokio::test]
    async fn falls_back_to_tcp_within_the_allowed_range() {
        let unusable = LaunchEnv {
            unix_socket_dir: Some(PathBuf::from("/nonexistent/portmatrix-test")),
            ..launch(0..=0)
        };
        // Port 0 asks the OS for any port; the range check itself is covered below.
        let (listener, addr, dir) = bind(&unusable).unwrap();
        assert!(matches!(listener, Listener::Tcp(_)));
        assert!(dir.is_none());
        let ListenAddr::Tcp(socket) = addr else {
            panic!("expected TCP")
        };
        assert!(socket.ip().is_loopback());
    }

    #[tokio::test]
    async fn tcp_uses_the_next_free_port_of_the_range() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let result = bind_tcp(&launch(port..=port));
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn reattach_instructions_name_protocol_six() {
        let addr = ListenAddr::Unix(PathBuf::from("/tmp/p/plugin.sock"));
        let text = reattach_instructions("registry.terraform.io/portmatrix/portmatrix", &addr);
        let json = text.split('\'').nth(1).unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let entry = &value["registry.terraform.io/portmatrix/portmatrix"];
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/p/plugin.sock");
    }
}
