//! A provider that never blocks: a live audit against an EC2 endpoint that never answers must not hold up other
//! reads, and Terraform's stop requests (`StopProvider` after Ctrl-C, go-plugin's `Shutdown`) must end it at
//! once rather than after the SDK's timeouts.
//!
//! The "EC2 endpoint" is a loopback listener that accepts connections and never answers, as a firewalled or
//! overloaded endpoint behaves. The first tests play Terraform's part over gRPC (the provider started with
//! `--debug`, plaintext on its Unix socket), so they can issue reads while the audit hangs and time each
//! answer; the last one runs real Terraform and interrupts its plan as Ctrl-C does.

use portmatrix_acceptance_tests::{provider_binary, terraforms, Workspace};
use portmatrix_proto::plugin::grpc_controller_client::GrpcControllerClient;
use portmatrix_proto::tfplugin6 as proto;
use portmatrix_proto::tfplugin6::provider_client::ProviderClient;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// The audit's type name, and the data source the other reads use.
const AUDIT: &str = "portmatrix_aws_security_group_audit";
const FLOWS: &str = "portmatrix_flows";

/// What the SDK alone would wait for an endpoint that never answers: 20 s per attempt, and the audit's deadline
/// of 60 s. Every bound asserted below is a small fraction of it, so a provider that waits is caught with
/// a wide margin even on a loaded machine.
const PROMPT: Duration = Duration::from_secs(10);

/// A TCP endpoint that accepts connections and never answers; it counts the connections it holds.
struct SilentEndpoint {
    url: String,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentEndpoint {
    fn start() -> SilentEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&held);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                keep.lock().expect("held").push(stream);
            }
        });
        SilentEndpoint { url, held }
    }

    /// How many connections the endpoint holds.
    fn clients(&self) -> usize {
        self.held.lock().expect("held").len()
    }
}

/// Credentials and files that keep the host's AWS configuration out of the test.
fn aws_env(home: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", home.join("config").display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("credentials").display().to_string(),
        ),
        ("HOME", home.display().to_string()),
    ]
}

/// A provider started with `--debug`, serving plaintext gRPC on a Unix socket.
struct DebugProvider {
    child: Child,
    socket: String,
    /// Kept open: the provider writes its instructions line by line, and a closed pipe would end it.
    _stdout: BufReader<std::process::ChildStdout>,
    _home: tempfile::TempDir,
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DebugProvider {
    fn start() -> DebugProvider {
        let home = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(provider_binary())
            .arg("--debug")
            .envs(aws_env(home.path()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the provider starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut socket = None;
        let mut line = String::new();
        while stdout.read_line(&mut line).expect("stdout is text") > 0 {
            if let Some(config) = line
                .trim()
                .strip_prefix("TF_REATTACH_PROVIDERS='")
                .and_then(|rest| rest.strip_suffix('\''))
            {
                let config: Value = serde_json::from_str(config).expect("reattach JSON");
                let (_, entry) = config
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .expect("one provider");
                socket = entry["Addr"]["String"].as_str().map(str::to_string);
                break;
            }
            line.clear();
        }
        DebugProvider {
            child,
            _stdout: stdout,
            socket: socket.expect("the provider printed its reattach configuration"),
            _home: home,
        }
    }

    async fn channel(&self) -> Channel {
        let socket = self.socket.clone();
        tonic::transport::Endpoint::try_from("http://localhost")
            .expect("endpoint")
            .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
                let socket = socket.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(socket).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .expect("connect to the provider")
    }

    fn wait_for_exit(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.child.try_wait().expect("wait").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

fn dynamic(value: Value) -> Option<proto::DynamicValue> {
    Some(proto::DynamicValue {
        msgpack: Vec::new(),
        json: serde_json::to_vec(&value).expect("JSON"),
    })
}

/// Points the provider's `aws` block at `endpoint`.
async fn configure(client: &mut ProviderClient<Channel>, endpoint: &str) {
    let response = client
        .configure_provider(proto::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(json!({
                "aws": { "region": "us-east-1", "endpoint_url": endpoint }
            })),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider answers")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
}

/// A Kubernetes + Calico selection on three tiers.
fn selection() -> serde_json::Map<String, Value> {
    let value = json!({
        "platform": [{ "name": "kubernetes" }, { "name": "calico" }],
        "endpoint": [
            { "name": "api-clients", "cidr_ipv4": ["10.20.0.0/16"] },
            { "name": "nodeport-clients", "cidr_ipv4": ["10.20.0.0/16"] },
            { "name": "load-balancers", "tier": "lb" }
        ]
    });
    value.as_object().cloned().expect("an object")
}

fn audit_request() -> proto::read_data_source::Request {
    let mut config = selection();
    config.insert(
        "security_groups".into(),
        json!({ "lb": "sg-0a", "master": "sg-0b", "worker": "sg-0c" }),
    );
    proto::read_data_source::Request {
        type_name: AUDIT.into(),
        config: dynamic(Value::Object(config)),
        ..Default::default()
    }
}

fn flows_request() -> proto::read_data_source::Request {
    proto::read_data_source::Request {
        type_name: FLOWS.into(),
        config: dynamic(Value::Object(selection())),
        ..Default::default()
    }
}

fn summaries(response: &proto::read_data_source::Response) -> Vec<String> {
    response
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// Starts the audit against the silent endpoint and waits until it is waiting for EC2's answer.
async fn hanging_audit(
    provider: &DebugProvider,
    endpoint: &SilentEndpoint,
) -> tokio::task::JoinHandle<(proto::read_data_source::Response, Instant)> {
    let mut client = ProviderClient::new(provider.channel().await);
    configure(&mut client, &endpoint.url).await;
    let audit = tokio::spawn(async move {
        let response = client
            .read_data_source(audit_request())
            .await
            .expect("the audit answers")
            .into_inner();
        (response, Instant::now())
    });
    let start = Instant::now();
    while endpoint.clients() == 0 {
        assert!(
            start.elapsed() < PROMPT,
            "the audit never called the endpoint"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    audit
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_are_served_while_an_audit_waits_and_stop_provider_cancels_it() {
    let endpoint = SilentEndpoint::start();
    let provider = DebugProvider::start();
    let audit = hanging_audit(&provider, &endpoint).await;

    // 100 reads on other connections and on the audit's own, 10 at a time as Terraform's default parallelism.
    let channel = provider.channel().await;
    let started = Instant::now();
    for _ in 0..10 {
        let batch: Vec<_> = (0..10)
            .map(|_| {
                let mut client = ProviderClient::new(channel.clone());
                tokio::spawn(async move { client.read_data_source(flows_request()).await })
            })
            .collect();
        for read in batch {
            let response = read
                .await
                .expect("task")
                .expect("read answers")
                .into_inner();
            assert!(response.state.is_some(), "{:?}", summaries(&response));
        }
    }
    let reads = started.elapsed();
    assert!(
        !audit.is_finished(),
        "the audit ended before the other reads were done; it cannot have been waiting for EC2"
    );
    println!("100 reads while the audit waits: {reads:?}");
    assert!(
        reads < PROMPT,
        "100 reads took {reads:?} while the audit waited"
    );

    let mut client = ProviderClient::new(channel.clone());
    let stop = Instant::now();
    let answer = client
        .stop_provider(proto::stop_provider::Request {})
        .await
        .expect("StopProvider answers")
        .into_inner();
    assert_eq!(answer.error, "");
    let (response, ended) = audit.await.expect("audit task");
    let cancelled_in = ended.duration_since(stop);
    println!("audit cancelled {cancelled_in:?} after StopProvider");
    assert!(
        cancelled_in < PROMPT,
        "the audit took {cancelled_in:?} to stop"
    );
    assert!(response.state.is_none());
    let messages = summaries(&response);
    assert!(
        messages.iter().any(|m| m.contains("cancelled")),
        "the audit's error says it was cancelled: {messages:?}"
    );

    // A stop ends what is in flight, not the provider: later reads are served.
    let response = client
        .read_data_source(flows_request())
        .await
        .expect("a read after StopProvider answers")
        .into_inner();
    assert!(response.state.is_some(), "{:?}", summaries(&response));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_ends_the_process_while_an_audit_waits() {
    let endpoint = SilentEndpoint::start();
    let mut provider = DebugProvider::start();
    let _audit = hanging_audit(&provider, &endpoint).await;
    let mut controller = GrpcControllerClient::new(provider.channel().await);
    let started = Instant::now();
    controller
        .shutdown(portmatrix_proto::plugin::Empty {})
        .await
        .expect("Shutdown answers");
    assert!(
        provider.wait_for_exit(PROMPT),
        "the provider still runs {:?} after Shutdown",
        started.elapsed()
    );
    println!("exited {:?} after Shutdown", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_ends_the_process_while_an_audit_waits_and_removes_its_socket() {
    let endpoint = SilentEndpoint::start();
    let mut provider = DebugProvider::start();
    let _audit = hanging_audit(&provider, &endpoint).await;
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &provider.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert!(
        provider.wait_for_exit(PROMPT),
        "the provider still runs {:?} after SIGTERM",
        started.elapsed()
    );
    println!("exited {:?} after SIGTERM", started.elapsed());
    let directory = std::path::Path::new(&provider.socket)
        .parent()
        .expect("the socket is in a directory");
    assert!(
        !directory.exists(),
        "SIGTERM leaves {} behind",
        directory.display()
    );
}

#[test]
fn ctrl_c_ends_a_plan_whose_audit_waits() {
    let endpoint = SilentEndpoint::start();
    let home = tempfile::tempdir().expect("temp dir");
    let env = aws_env(home.path());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Terraform 1.0.3 does not react to SIGINT while a plan reads a data source: no "Interrupt received", no
    // StopProvider in its trace log, even after a second SIGINT (tried by hand, 2026-12-04); the plan ends when
    // the audit's own deadline does. Newer Terraforms call StopProvider at once.
    for terraform in terraforms()
        .iter()
        .filter(|t| !t.version.starts_with("1.0."))
    {
        let held_before = endpoint.clients();
        let workspace = Workspace::new(
            terraform,
            &format!(
                r#"
provider "portmatrix" {{
  aws {{
    region       = "us-east-1"
    endpoint_url = "{url}"
  }}
}}

data "portmatrix_aws_security_group_audit" "cluster" {{
  platform {{
    name = "kubernetes"
  }}
  platform {{
    name = "calico"
  }}
  endpoint {{
    name      = "api-clients"
    cidr_ipv4 = ["10.20.0.0/16"]
  }}
  endpoint {{
    name      = "nodeport-clients"
    cidr_ipv4 = ["10.20.0.0/16"]
  }}
  endpoint {{
    name = "load-balancers"
    tier = "lb"
  }}
  security_groups = {{ lb = "sg-0a", master = "sg-0b", worker = "sg-0c" }}
}}
"#,
                url = endpoint.url
            ),
        );
        let mut plan = workspace
            .command(&["plan", "-input=false", "-no-color"], &env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terraform starts");
        let start = Instant::now();
        while endpoint.clients() == held_before {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "terraform {} never started the audit",
                terraform.version
            );
            if plan.try_wait().expect("wait").is_some() {
                let output = plan.wait_with_output().expect("output");
                panic!(
                    "terraform {} ended before the audit called EC2:\n{}\n{}",
                    terraform.version,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let interrupted = Instant::now();
        // What Ctrl-C sends to the terminal's foreground process; Terraform then asks its providers to stop.
        let status = Command::new("kill")
            .args(["-INT", &plan.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let output = plan.wait_with_output().expect("terraform ends");
        let took = interrupted.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!(
            "terraform {}: plan ended {took:?} after SIGINT",
            terraform.version
        );
        assert!(
            took < PROMPT,
            "terraform {} took {took:?} to end after SIGINT:\n{stderr}",
            terraform.version
        );
        assert!(!output.status.success());
        assert!(
            stderr.contains("cancelled"),
            "terraform {} shows the audit's cancellation:\n{stderr}",
            terraform.version
        );
    }
}
