//! The namespaces of the rig: one per node and per outside host, each with one veth into a bridge that lives
//! in a namespace of its own (so nothing is added to the machine's own network), IPv4 and IPv6 on every host,
//! and permanent neighbour entries so that no probe waits for ARP or neighbour discovery. Names carry the
//! process id and a counter, so parallel tests and parallel runs never collide; [`Rig`]'s `Drop` stops the
//! agents and deletes every namespace it made, whether the test passed, failed or panicked.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a host stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// A node of a tier (`master`, `worker`, `lb`).
    Tier(String),
    /// The host of an endpoint block (clients, a backup store, ...).
    Endpoint(String),
    /// An address no rule names.
    Outside,
}

/// One namespace of the rig.
#[derive(Debug, Clone)]
pub struct Host {
    /// `master1`, `worker2`, `endpoint:clients`, `outside`.
    pub label: String,
    pub ns: String,
    pub group: Group,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
    mac: String,
}

/// The tiers of the rig and how many nodes each has.
pub const TIERS: [(&str, u8); 3] = [("master", 2), ("worker", 2), ("lb", 2)];

/// The address blocks of a tier, as `tier_addresses` takes them.
pub fn tier_cidrs(tier: &str) -> (String, String) {
    let index = TIERS
        .iter()
        .position(|(t, _)| *t == tier)
        .expect("a tier of the rig");
    tier_block(index)
}

/// The address blocks of the `index`th tier of a layout ([`Rig::with_tiers`]).
pub fn tier_block(index: usize) -> (String, String) {
    let n = index + 1;
    assert!(n < 50, "tier blocks end where endpoint blocks begin");
    (format!("10.99.{n}.0/24"), format!("fd00:99:{n}::/64"))
}

/// The address blocks of the `index`th endpoint block.
pub fn endpoint_cidrs(index: usize) -> (String, String) {
    let n = 50 + index;
    (format!("10.99.{n}.0/24"), format!("fd00:99:{n}::/64"))
}

/// The `ip` executable (not on every user's PATH).
pub fn ip_program() -> Option<PathBuf> {
    find_program("ip")
}

/// The `nft` executable.
pub fn nft_program() -> Option<PathBuf> {
    find_program("nft")
}

fn find_program(name: &str) -> Option<PathBuf> {
    [
        PathBuf::from(name),
        Path::new("/usr/sbin").join(name),
        Path::new("/sbin").join(name),
    ]
    .into_iter()
    .find(|candidate| {
        Command::new(candidate)
            .arg(if name == "ip" { "-V" } else { "--version" })
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn probe_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packet_proof/probe.py")
}

fn checked(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn with_input(command: &mut Command, input: &str, what: &str) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The agent process of one namespace (listener and prober, `probe.py`).
struct Agent {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// The ports and protocols a host's listener binds.
#[derive(Debug, Default, Clone)]
pub struct ListenSpec {
    pub tcp: Vec<u16>,
    pub udp: Vec<u16>,
    pub raw4: Vec<u8>,
    pub raw6: Vec<u8>,
}

impl ListenSpec {
    fn to_json(&self) -> String {
        serde_json::json!({"tcp": self.tcp, "udp": self.udp, "raw4": self.raw4, "raw6": self.raw6})
            .to_string()
    }
}

/// The namespaces, bridge and agents of one proof.
pub struct Rig {
    pub hosts: Vec<Host>,
    hub: String,
    created: Vec<String>,
    agents: Vec<Agent>,
    ip: PathBuf,
    nft: PathBuf,
    dir: tempfile::TempDir,
}

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

impl Rig {
    /// Namespaces for two masters, two workers, two load balancers, one host per endpoint name and one outside
    /// host, all on one bridge.
    pub fn new(endpoints: &[&str]) -> Rig {
        let tiers: Vec<(String, u8)> = TIERS.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        Rig::with_tiers(&tiers, endpoints)
    }

    /// Namespaces for `count` hosts of each tier (in the blocks of [`tier_block`], by position), one host per
    /// endpoint name and one outside host, all on one bridge.
    pub fn with_tiers(tiers: &[(String, u8)], endpoints: &[&str]) -> Rig {
        let ip = ip_program().expect("ip (iproute2) is installed");
        let nft = nft_program().expect("nft (nftables) is installed");
        let prefix = format!(
            "pmx{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::SeqCst)
        );
        let mut hosts = Vec::new();
        for (t, (tier, count)) in tiers.iter().enumerate() {
            assert!(t < 49, "tier blocks end where endpoint blocks begin");
            for node in 1..=*count {
                hosts.push((
                    format!("{tier}{node}"),
                    Group::Tier(tier.clone()),
                    t as u16 + 1,
                    10 + node as u16,
                ));
            }
        }
        for (i, endpoint) in endpoints.iter().enumerate() {
            hosts.push((
                format!("endpoint:{endpoint}"),
                Group::Endpoint(endpoint.to_string()),
                50 + i as u16,
                10,
            ));
        }
        hosts.push(("outside".into(), Group::Outside, 200, 10));
        let hosts: Vec<Host> = hosts
            .into_iter()
            .enumerate()
            .map(|(i, (label, group, net, host))| Host {
                ns: format!("{prefix}-h{i}"),
                label,
                group,
                // Written as the address blocks are, in decimal digits: fd00:99:50::10 is in fd00:99:50::/64.
                v4: format!("10.99.{net}.{host}").parse().expect("IPv4 address"),
                v6: format!("fd00:99:{net}::{host}")
                    .parse()
                    .expect("IPv6 address"),
                mac: format!("02:99:00:00:00:{:02x}", i + 1),
            })
            .collect();
        let mut rig = Rig {
            hub: format!("{prefix}-hub"),
            created: Vec::new(),
            hosts,
            agents: Vec::new(),
            ip,
            nft,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        // Recorded before they exist, so that a failure half-way still deletes what was made.
        rig.created.push(rig.hub.clone());
        rig.created.extend(rig.hosts.iter().map(|h| h.ns.clone()));
        let adds: String = rig
            .created
            .iter()
            .map(|ns| format!("netns add {ns}\n"))
            .collect();
        with_input(
            Command::new(&rig.ip).args(["-batch", "-"]),
            &adds,
            "ip netns add",
        );
        let mut hub = String::from("link add br0 type bridge\nlink set br0 up\n");
        for (i, host) in rig.hosts.iter().enumerate() {
            hub.push_str(&format!(
                "link add v{i} type veth peer name eth0 netns {}\nlink set v{i} master br0 up\n",
                host.ns
            ));
        }
        with_input(
            Command::new(&rig.ip).args(["-n", &rig.hub, "-batch", "-"]),
            &hub,
            "ip: bridge and veths",
        );
        for host in &rig.hosts {
            let mut batch = format!(
                "link set lo up\nlink set eth0 address {}\nlink set eth0 up\naddr add {}/16 dev eth0\naddr add {}/32 dev eth0 nodad\n",
                host.mac, host.v4, host.v6
            );
            for other in rig.hosts.iter().filter(|o| o.ns != host.ns) {
                for address in [other.v4.to_string(), other.v6.to_string()] {
                    batch.push_str(&format!(
                        "neigh replace {address} lladdr {} dev eth0 nud permanent\n",
                        other.mac
                    ));
                }
            }
            with_input(
                Command::new(&rig.ip).args(["-n", &host.ns, "-batch", "-"]),
                &batch,
                &format!("ip: configure {}", host.label),
            );
        }
        rig
    }

    fn exec(&self, host: &Host) -> Command {
        let mut command = Command::new(&self.ip);
        command.args(["netns", "exec", &host.ns]);
        command
    }

    /// Starts the agent of every host, listening on `specs[label]`; returns when all are bound.
    pub fn listen(&mut self, specs: &BTreeMap<String, ListenSpec>) {
        let mut started = Vec::new();
        for host in &self.hosts {
            let spec = specs.get(&host.label).cloned().unwrap_or_default();
            let mut child = self
                .exec(host)
                .arg("python3")
                .arg(probe_script())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            let mut stdin = child.stdin.take().expect("stdin");
            writeln!(stdin, "{}", spec.to_json()).expect("write spec");
            let stdout = BufReader::new(child.stdout.take().expect("stdout"));
            started.push((host.label.clone(), child, stdin, stdout));
        }
        for (label, child, stdin, mut stdout) in started {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("read agent");
            self.agents.push(Agent {
                child,
                stdin: Some(stdin),
                stdout,
            });
            assert_eq!(line.trim(), "ready", "the agent of {label} did not start");
        }
    }

    /// Sends `commands[i]` to the agent of host `i`, all at once, and returns each one's answer line.
    fn command(&mut self, commands: &[String]) -> Vec<String> {
        assert_eq!(self.agents.len(), self.hosts.len(), "agents started");
        for (agent, command) in self.agents.iter_mut().zip(commands) {
            let stdin = agent.stdin.as_mut().expect("agent running");
            stdin.write_all(command.as_bytes()).expect("command agent");
            stdin.flush().expect("flush");
        }
        self.agents
            .iter_mut()
            .zip(&self.hosts)
            .map(|(agent, host)| {
                let mut line = String::new();
                agent.stdout.read_line(&mut line).expect("read agent");
                assert!(!line.is_empty(), "the agent of {} stopped", host.label);
                line
            })
            .collect()
    }

    /// The tokens each host's agent saw on its raw sockets since the last report.
    pub fn seen(&mut self) -> Vec<std::collections::BTreeSet<String>> {
        let commands = vec!["report\n".to_string(); self.hosts.len()];
        self.command(&commands)
            .into_iter()
            .map(|line| {
                let tokens: Vec<String> = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("agent report {line:?}: {e}"));
                tokens.into_iter().collect()
            })
            .collect()
    }

    /// Replaces the whole ruleset of every host: `rulesets[i]` for host `i`, or none.
    pub fn load(&self, rulesets: &[Option<String>]) {
        for (i, host) in self.hosts.iter().enumerate() {
            let file = self
                .dir
                .path()
                .join(format!("{}.nft", host.label.replace(':', "_")));
            let text = format!("flush ruleset\n{}", rulesets[i].as_deref().unwrap_or(""));
            std::fs::write(&file, &text).expect("write ruleset");
            checked(
                self.exec(host).arg(&self.nft).arg("-f").arg(&file),
                &format!("nft -f on {}:\n{text}", host.label),
            );
        }
    }

    /// Empties the connection tracking table of every host.
    pub fn flush_conntrack(&mut self) {
        let commands = vec!["flush\n".to_string(); self.hosts.len()];
        let answers = self.command(&commands);
        for (host, answer) in self.hosts.iter().zip(answers) {
            assert_eq!(answer.trim(), "ok", "conntrack flush on {}", host.label);
        }
    }

    /// Runs `batches[i]` (probes) from host `i`, all hosts at once; the verdicts by token.
    pub fn probe(&mut self, batches: &[Vec<serde_json::Value>]) -> BTreeMap<String, String> {
        let commands: Vec<String> = batches
            .iter()
            .map(|batch| format!("probe\n{}\n", serde_json::Value::from(batch.clone())))
            .collect();
        let answers = self.command(&commands);
        let mut verdicts = BTreeMap::new();
        for (host, answer) in self.hosts.iter().zip(answers) {
            let results: BTreeMap<String, String> = serde_json::from_str(&answer)
                .unwrap_or_else(|e| panic!("prober of {}: {e}: {answer}", host.label));
            verdicts.extend(results);
        }
        verdicts
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        for agent in &mut self.agents {
            agent.stdin.take();
            let _ = agent.child.kill();
            let _ = agent.child.wait();
        }
        for ns in &self.created {
            let _ = Command::new(&self.ip).args(["netns", "del", ns]).output();
        }
    }
}
