//! A real EC2 API on loopback for the audit and apply tests: moto's server from `.tools/moto-venv` (installed by
//! `acceptance-tests/setup.sh`), one per test, stopped when dropped. It runs through
//! `acceptance-tests/moto/server.py`, which mends two bugs of moto's EC2 emulation that the real AWS provider
//! trips over (rules for IP protocols without ports; descriptions of group and prefix-list rules). boto3 calls through
//! `acceptance-tests/moto/ec2.py` create groups and apply rules. A missing moto is a failure, never a skip.

use crate::repo_root;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer its first EC2 call (measured: 1.5 to 2 s; the EC2 backend loads lazily).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running `moto_server`.
pub struct Moto {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

fn venv() -> PathBuf {
    repo_root().join(".tools/moto-venv")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Whether moto answers an EC2 call on `port`. Moto picks the service from the credential scope of the
/// `Authorization` header and does not check signatures.
fn ec2_answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let body = "Action=DescribeRegions&Version=2016-11-15";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") && response.contains("DescribeRegionsResponse")
}

impl Moto {
    /// Starts moto on a free port and waits until an EC2 call answers.
    pub fn start() -> Moto {
        let python = venv().join("bin/python");
        assert!(
            venv().join("bin/moto_server").exists(),
            "moto not found in {}: run acceptance-tests/setup.sh first",
            venv().display()
        );
        let server = repo_root().join("acceptance-tests/moto/server.py");
        // Another process may take the free port before moto binds it: then moto exits and we try again.
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("moto log file");
            let child = Command::new(&python)
                .arg(&server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("log"))
                .stderr(log.reopen().expect("log"))
                .spawn()
                .expect("moto_server starts");
            let mut moto = Moto { child, port, log };
            let started = Instant::now();
            loop {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break;
                }
                if ec2_answers(port) {
                    return moto;
                }
                assert!(
                    started.elapsed() < READY_WITHIN,
                    "moto did not answer an EC2 call within {READY_WITHIN:?}:\n{}",
                    moto.log()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("moto_server exited three times before answering");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What moto printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The environment that makes the provider and the CLI find credentials moto accepts, and nothing of the
    /// host's AWS configuration.
    pub fn env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/portmatrix-test/config"),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/portmatrix-test/credentials",
            ),
        ]
    }

    /// Runs a command of `acceptance-tests/moto/ec2.py` (boto3) against this server; panics with its error.
    pub fn ec2(&self, command: &str, request: &Value) -> Value {
        let script = repo_root().join("acceptance-tests/moto/ec2.py");
        let mut child = Command::new(venv().join("bin/python"))
            .arg(&script)
            .args([&self.endpoint(), command])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(request.to_string().as_bytes())
            .expect("write the request");
        let output = child.wait_with_output().expect("ec2.py finishes");
        assert!(
            output.status.success(),
            "ec2.py {command} failed:\n{}\nmoto log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        serde_json::from_slice(&output.stdout).expect("ec2.py prints JSON")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
