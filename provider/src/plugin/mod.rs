//! The go-plugin transport: how Terraform launches, reaches and stops a provider process.
//!
//! This layer knows gRPC, TLS and go-plugin's conventions, and nothing about ports or data sources. It takes
//! the provider's gRPC routes, adds the services every go-plugin server exposes (health named `plugin`, the
//! controller whose `Shutdown` ends the process), binds a listener, prints the handshake line and serves until
//! Terraform says to stop.

pub mod handshake;
pub mod logging;
pub mod tls;

use handshake::{handshake_line, LaunchEnv, ListenAddr};
use portmatrix_proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
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
    /// The SIGINT handler could not be installed.
    #[error("cannot handle SIGINT: {0}")]
    Signal(io::Error),
    /// Writing the handshake to stdout failed.
    #[error("cannot write the handshake line: {0}")]
    Handshake(io::Error),
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `routes` (the provider's services) as a go-plugin server until told to stop. `shutdown` is fired by
/// go-plugin's `Shutdown` (or Ctrl-C in debug mode); the provider's routes watch the same token to cancel the
/// work in flight.
pub async fn serve(
    routes: Routes,
    launch: LaunchEnv,
    mode: Mode,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
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
    let (listener, addr, _socket_dir) = bind(&launch).map_err(ServeError::Listen)?;

    // The SIGINT handler is registered before anything is announced: a Ctrl-C that arrives between the handshake
    // and the first poll of a lazily registered handler would otherwise kill the process with the default action.
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(ServeError::Signal)?;
    match &mode {
        Mode::Managed => {
            announce(&handshake_line(
                &addr,
                tls.as_ref().map(|(der, _)| der.as_ref()),
            ))?;
            // go-plugin servers ignore SIGINT: Ctrl-C reaches the whole process group, and Terraform itself
            // decides when to stop us (StopProvider, then Shutdown).
            tokio::spawn(async move {
                while sigint.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT; Terraform stops the provider itself");
                }
            });
        }
        Mode::Debug { provider_address } => {
            announce(&reattach_instructions(provider_address, &addr))?;
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                if sigint.recv().await.is_some() {
                    shutdown.cancel();
                }
            });
        }
    }
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
fn bind(launch: &LaunchEnv) -> io::Result<(Listener, ListenAddr, Option<tempfile::TempDir>)> {
    let dir = match &launch.unix_socket_dir {
        Some(dir) => tempfile::Builder::new().prefix("plugin").tempdir_in(dir),
        None => tempfile::Builder::new().prefix("plugin").tempdir(),
    };
    let unix = dir.and_then(|dir| {
        let path: PathBuf = dir.path().join("plugin.sock");
        UnixListener::bind(&path).map(|listener| (listener, path, dir))
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
    stopped: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
{
    let server = Server::builder().add_routes(routes);
    match tls {
        None => server.serve_with_incoming_shutdown(incoming, stopped).await,
        Some(acceptor) => {
            let (tx, rx) = mpsc::channel(16);
            tokio::spawn(accept_tls(incoming, acceptor, tx));
            server
                .serve_with_incoming_shutdown(ReceiverStream::new(rx), stopped)
                .await
        }
    }
}

/// Completes TLS handshakes off the accept loop, so one stalled or refused client cannot block the others.
async fn accept_tls<IO>(
    mut incoming: impl Stream<Item = io::Result<IO>> + Unpin,
    acceptor: tokio_rustls::TlsAcceptor,
    ready: mpsc::Sender<io::Result<tokio_rustls::server::TlsStream<IO>>>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    while let Some(connection) = incoming.next().await {
        let io = match connection {
            Ok(io) => io,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match acceptor.accept(io).await {
                Ok(stream) => {
                    // The server is gone only while shutting down; the connection is simply dropped then.
                    let _ = ready.send(Ok(stream)).await;
                }
                Err(error) => tracing::warn!(%error, "refused a connection: TLS handshake failed"),
            }
        });
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
        assert!(path.exists());
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
