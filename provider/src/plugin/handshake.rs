//! The go-plugin launch contract: what Terraform puts in our environment, and the one line we print back.
//!
//! Terraform starts a provider with a magic cookie, the plugin protocol versions it speaks and (with AutoMTLS)
//! its client certificate. The provider answers with a single handshake line on stdout naming the protocol
//! version it chose, where it listens and its own certificate. Nothing else may ever reach stdout.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// Environment variable through which Terraform proves that it launched the plugin.
pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The cookie value shared by every Terraform (and OpenTofu) release since 0.12.
pub(crate) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only Terraform plugin protocol this provider speaks.
pub(crate) const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's own wire version; clients reject anything else.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Why the process cannot serve as a plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    /// Started by hand instead of by Terraform.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         It is the portmatrix Terraform provider: Terraform starts it on its own when a configuration uses\n\
         provider \"portmatrix\". To run it by hand for debugging, start it with --debug and export the\n\
         TF_REATTACH_PROVIDERS value it prints. For the catalog on the command line, use `portmatrix`."
    )]
    NotLaunchedByTerraform,
    /// Terraform offered only protocol versions we do not speak.
    #[error(
        "Terraform offered plugin protocol versions \"{offered}\", but portmatrix speaks only version 6. \
         Use Terraform 1.0 or newer."
    )]
    NoCommonProtocol {
        /// The raw `PLUGIN_PROTOCOL_VERSIONS` value.
        offered: String,
    },
    /// `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` do not form a usable range.
    #[error("PLUGIN_MIN_PORT/PLUGIN_MAX_PORT do not form a port range: {0}")]
    BadPortRange(String),
}

/// What the launching Terraform asked of us, read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchEnv {
    /// PEM of the client certificate Terraform will present (AutoMTLS); `None` means plaintext.
    pub client_cert_pem: Option<String>,
    /// Ports a TCP listener may use.
    pub tcp_ports: RangeInclusive<u16>,
    /// Where to create the Unix socket (`PLUGIN_UNIX_SOCKET_DIR`), if the client chose.
    pub unix_socket_dir: Option<PathBuf>,
}

impl LaunchEnv {
    /// Reads the launch environment through `var`, checking the cookie unless `debug` is set.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        debug: bool,
    ) -> Result<Self, LaunchError> {
        if !debug && var(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(LaunchError::NotLaunchedByTerraform);
        }
        if let Some(offered) = var("PLUGIN_PROTOCOL_VERSIONS") {
            let speaks_ours = offered
                .split(',')
                .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
            if !speaks_ours {
                return Err(LaunchError::NoCommonProtocol { offered });
            }
        }
        let port = |key: &str, default: u16| -> Result<u16, LaunchError> {
            match var(key) {
                None => Ok(default),
                Some(text) => text.trim().parse::<u16>().map_err(|_| {
                    LaunchError::BadPortRange(format!("{key}={text:?} is not a port"))
                }),
            }
        };
        // go-plugin's defaults when the client sets none.
        let (min, max) = (
            port("PLUGIN_MIN_PORT", 10000)?,
            port("PLUGIN_MAX_PORT", 25000)?,
        );
        if min > max {
            return Err(LaunchError::BadPortRange(format!("{min} > {max}")));
        }
        let nonempty = |key: &str| var(key).filter(|v| !v.trim().is_empty());
        Ok(LaunchEnv {
            // Debug (reattach) mode is plaintext by definition: Terraform does not manage the process.
            client_cert_pem: if debug {
                None
            } else {
                nonempty("PLUGIN_CLIENT_CERT")
            },
            tcp_ports: min..=max,
            unix_socket_dir: nonempty("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
        })
    }
}

/// Where the plugin listens, as go-plugin names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListenAddr {
    /// A Unix domain socket path.
    Unix(PathBuf),
    /// A loopback TCP address.
    Tcp(std::net::SocketAddr),
}

impl ListenAddr {
    /// go-plugin's network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Unix(path) => write!(f, "{}", path.display()),
            ListenAddr::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The handshake line (without newline): `1|6|NETWORK|ADDR|grpc|CERT`.
///
/// CERT is the server's DER certificate in unpadded standard base64 (go-plugin decodes it with
/// `base64.RawStdEncoding`; padding breaks current Terraform). It is empty when serving plaintext.
pub(crate) fn handshake_line(addr: &ListenAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{}|{addr}|grpc|{cert}",
        addr.network()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn refuses_to_run_without_the_cookie() {
        assert_eq!(
            LaunchEnv::from_vars(env(&[]), false),
            Err(LaunchError::NotLaunchedByTerraform)
        );
        let wrong = env(&[(MAGIC_COOKIE_KEY, "nope")]);
        assert_eq!(
            LaunchEnv::from_vars(wrong, false),
            Err(LaunchError::NotLaunchedByTerraform)
        );
        let message = LaunchError::NotLaunchedByTerraform.to_string();
        assert!(message.starts_with("This binary is a plugin."), "{message}");
        assert!(message.contains("--debug"), "{message}");
    }

    #[test]
    fn debug_mode_skips_the_cookie_and_tls() {
        let launch = LaunchEnv::from_vars(env(&[("PLUGIN_CLIENT_CERT", "pem")]), true).unwrap();
        assert_eq!(launch.client_cert_pem, None);
    }

    #[test]
    fn requires_protocol_six_in_any_order() {
        for offered in ["5,6", "6,5", "6", " 5 , 6 "] {
            let launch = LaunchEnv::from_vars(
                env(&[
                    (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                    ("PLUGIN_PROTOCOL_VERSIONS", offered),
                ]),
                false,
            );
            assert!(launch.is_ok(), "{offered}: {launch:?}");
        }
        let err = LaunchEnv::from_vars(
            env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
            ]),
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            LaunchError::NoCommonProtocol {
                offered: "4,5".into()
            }
        );
        assert!(err.to_string().contains("Terraform 1.0 or newer"));
    }

    #[test]
    fn reads_cert_ports_and_socket_dir() {
        let launch = LaunchEnv::from_vars(
            env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
                ("PLUGIN_MIN_PORT", "12000"),
                ("PLUGIN_MAX_PORT", "12010"),
                ("PLUGIN_UNIX_SOCKET_DIR", "/run/x"),
            ]),
            false,
        )
        .unwrap();
        assert_eq!(
            launch.client_cert_pem.as_deref(),
            Some("-----BEGIN CERTIFICATE-----")
        );
        assert_eq!(launch.tcp_ports, 12000..=12010);
        assert_eq!(launch.unix_socket_dir, Some(PathBuf::from("/run/x")));
        let defaults =
            LaunchEnv::from_vars(env(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)]), false).unwrap();
        assert_eq!(defaults.tcp_ports, 10000..=25000);
        assert_eq!(defaults.client_cert_pem, None);
    }

    #[test]
    fn rejects_bad_port_ranges() {
        for (min, max) in [("20000", "10000"), ("x", "10"), ("1", "70000")] {
            let launch = LaunchEnv::from_vars(
                env(&[
                    (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                    ("PLUGIN_MIN_PORT", min),
                    ("PLUGIN_MAX_PORT", max),
                ]),
                false,
            );
            assert!(
                matches!(launch, Err(LaunchError::BadPortRange(_))),
                "{min}..{max}"
            );
        }
    }

    #[test]
    fn handshake_line_matches_go_plugin() {
        let unix = ListenAddr::Unix(PathBuf::from("/tmp/plugin1/plugin.sock"));
        assert_eq!(
            handshake_line(&unix, None),
            "1|6|unix|/tmp/plugin1/plugin.sock|grpc|"
        );
        let tcp = ListenAddr::Tcp("127.0.0.1:10000".parse().unwrap());
        // 4 bytes encode to 6 characters without the "==" padding go-plugin would choke on.
        assert_eq!(
            handshake_line(&tcp, Some(&[1, 2, 3, 4])),
            "1|6|tcp|127.0.0.1:10000|grpc|AQIDBA"
        );
    }
}
