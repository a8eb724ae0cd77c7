//! `portmatrix diagram`: the flows between tiers and endpoints as a Mermaid flowchart or a Graphviz graph (or
//! SVG rendered by Graphviz `dot`), one edge per ordered pair labelled with its ports.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::selection::SelectionArgs;
use super::Outcome;
use crate::catalog::{Catalog, Protocol};
use crate::engine::{Expansion, Peer};

/// `portmatrix diagram` arguments.
#[derive(Debug, Args)]
pub(super) struct DiagramArgs {
    #[command(flatten)]
    selection: SelectionArgs,
    #[command(flatten)]
    format: DiagramFormat,
    /// With --svg: stop Graphviz `dot` and fail when it has not finished after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "svg",
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    svg_timeout: u64,
}

/// Mermaid unless one is given.
#[derive(Debug, Args)]
#[group(multiple = false)]
struct DiagramFormat {
    /// Print a Mermaid flowchart (the default).
    #[arg(long)]
    mermaid: bool,
    /// Print a Graphviz DOT graph.
    #[arg(long)]
    dot: bool,
    /// Print SVG, rendered by Graphviz `dot` (which must be on PATH).
    #[arg(long)]
    svg: bool,
}

/// One edge: a source, a destination, and the ports per protocol.
struct Edge<'a> {
    source: &'a Peer,
    destination: &'a Peer,
    label: Vec<String>,
}

/// The nodes (tiers in the selection's order, then endpoints by name) and one edge per ordered pair.
fn graph(expansion: &Expansion) -> (Vec<Peer>, Vec<Edge<'_>>) {
    let mut nodes: Vec<Peer> = expansion
        .tiers
        .iter()
        .map(|(name, _)| Peer::Tier(name.clone()))
        .collect();
    let mut endpoints: Vec<Peer> = expansion
        .rules
        .iter()
        .flat_map(|r| [&r.source, &r.destination])
        .filter(|p| matches!(p, Peer::Endpoint(_)))
        .cloned()
        .collect();
    endpoints.sort();
    endpoints.dedup();
    nodes.extend(endpoints);

    let mut pairs: BTreeMap<(&Peer, &Peer), BTreeMap<Protocol, Vec<String>>> = BTreeMap::new();
    for rule in &expansion.rules {
        pairs
            .entry((&rule.source, &rule.destination))
            .or_default()
            .entry(rule.protocol)
            .or_default()
            .push(rule.ports.to_string());
    }
    let edges = pairs
        .into_iter()
        .map(|((source, destination), protocols)| Edge {
            source,
            destination,
            label: protocols
                .into_iter()
                .map(|(protocol, ports)| match protocol {
                    // Whole IP protocols have no ports: name them by number.
                    Protocol::Number(n) => format!("proto {n}"),
                    other => format!("{other} {}", ports.join(", ")),
                })
                .collect(),
        })
        .collect();
    (nodes, edges)
}

fn mermaid(expansion: &Expansion) -> String {
    let (nodes, edges) = graph(expansion);
    let id = |peer: &Peer| {
        nodes
            .iter()
            .position(|n| n == peer)
            .map_or_else(String::new, |i| format!("n{i}"))
    };
    let text = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for (i, node) in nodes.iter().enumerate() {
        match node {
            Peer::Tier(name) => out.push_str(&format!("  n{i}[\"{}\"]\n", text(name))),
            Peer::Endpoint(name) => out.push_str(&format!("  n{i}([\"{}\"])\n", text(name))),
        }
    }
    for edge in &edges {
        let label: Vec<String> = edge.label.iter().map(|l| text(l)).collect();
        out.push_str(&format!(
            "  {} -->|\"{}\"| {}\n",
            id(edge.source),
            label.join("<br/>"),
            id(edge.destination)
        ));
    }
    out
}

fn dot(expansion: &Expansion) -> String {
    let (nodes, edges) = graph(expansion);
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from("digraph portmatrix {\n  rankdir=LR;\n  node [shape=box];\n");
    for node in &nodes {
        match node {
            Peer::Tier(name) => out.push_str(&format!("  {};\n", quote(name))),
            Peer::Endpoint(name) => {
                out.push_str(&format!("  {} [shape=ellipse];\n", quote(name)));
            }
        }
    }
    for edge in &edges {
        // `\n` inside a DOT string is a centred line break.
        let label: Vec<String> = edge
            .label
            .iter()
            .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
            .collect();
        out.push_str(&format!(
            "  {} -> {} [label=\"{}\"];\n",
            quote(edge.source.name()),
            quote(edge.destination.name()),
            label.join("\\n")
        ));
    }
    out.push_str("}\n");
    out
}

/// Renders DOT to SVG with Graphviz `dot` from PATH, stopping (killing) it after `timeout`: a Graphviz that hangs
/// must not hang portmatrix, nor the CI job around it.
fn svg(source: &str, timeout: Duration) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("--svg: cannot start the runtime that runs Graphviz `dot`: {e}"))?;
    runtime.block_on(async {
        let mut child = tokio::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run Graphviz `dot` ({e}): install Graphviz, or print DOT with --dot and render it \
                     elsewhere"
                )
            })?;
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let write = async move {
            match stdin {
                // Dropped at the end, closing dot's input.
                Some(mut stdin) => stdin.write_all(source.as_bytes()).await,
                None => Ok(()),
            }
        };
        let finished = tokio::time::timeout(timeout, async {
            tokio::join!(write, read_all(stdout), read_all(stderr), child.wait())
        })
        .await;
        let Ok((written, output, errors, status)) = finished else {
            // Kill it and wait for it to end, so that no dot outlives portmatrix.
            let _ = child.kill().await;
            return Err(format!(
                "--svg: Graphviz `dot -Tsvg` did not finish within {} s and was stopped; give it longer with \
                 --svg-timeout SECONDS, or print DOT with --dot and render it elsewhere",
                timeout.as_secs()
            ));
        };
        let status = status.map_err(|e| format!("`dot` failed: {e}"))?;
        if !status.success() {
            return Err(format!(
                "`dot` failed ({status}): {}",
                String::from_utf8_lossy(&errors.unwrap_or_default()).trim()
            ));
        }
        written.map_err(|e| format!("cannot write to `dot`: {e}"))?;
        let output = output.map_err(|e| format!("cannot read the output of `dot`: {e}"))?;
        String::from_utf8(output).map_err(|_| "`dot` wrote output that is not UTF-8".to_string())
    })
}

/// All that `pipe` gives until it ends (nothing without a pipe).
async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut bytes).await?;
    }
    Ok(bytes)
}

/// Runs `diagram`.
pub(super) fn run(args: &DiagramArgs, catalog: &Catalog) -> Result<Outcome, String> {
    let expansion = args.selection.expand(catalog)?;
    let output = if args.format.dot {
        dot(&expansion)
    } else if args.format.svg {
        svg(&dot(&expansion), Duration::from_secs(args.svg_timeout))?
    } else {
        mermaid(&expansion)
    };
    Ok(Outcome {
        output,
        warnings: expansion.warnings,
        findings: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PortRange;
    use crate::engine::{Rule, RulePorts};
    use crate::targets::fixtures::{expansion_of, TIERS};

    fn rule(source: Peer, destination: Peer, protocol: Protocol, ports: RulePorts) -> Rule {
        Rule {
            source,
            destination,
            protocol,
            ports,
            reasons: vec![],
        }
    }

    fn range(from: u16, to: u16) -> RulePorts {
        RulePorts::Range(PortRange { from, to })
    }

    fn sample() -> Expansion {
        let tier = |n: &str| Peer::Tier(n.into());
        expansion_of(
            vec![
                rule(
                    tier("worker"),
                    tier("master"),
                    Protocol::Tcp,
                    range(6443, 6443),
                ),
                rule(
                    tier("worker"),
                    tier("master"),
                    Protocol::Tcp,
                    range(10250, 10250),
                ),
                rule(
                    tier("worker"),
                    tier("master"),
                    Protocol::Udp,
                    range(8472, 8472),
                ),
                rule(
                    tier("worker"),
                    tier("master"),
                    Protocol::Number(4),
                    RulePorts::All,
                ),
                rule(
                    tier("master"),
                    tier("master"),
                    Protocol::Icmp,
                    RulePorts::IcmpType(Some(8)),
                ),
                rule(
                    Peer::Endpoint("say \"hi\"".into()),
                    tier("worker"),
                    Protocol::Tcp,
                    range(80, 80),
                ),
            ],
            TIERS,
            &[],
        )
    }

    #[test]
    fn mermaid_has_one_edge_per_pair() {
        assert_eq!(
            mermaid(&sample()),
            "flowchart LR\n  n0[\"master\"]\n  n1[\"worker\"]\n  n2[\"lb\"]\n  n3([\"say #quot;hi#quot;\"])\n  \
             n0 -->|\"icmp 8\"| n0\n  n1 -->|\"tcp 6443, 10250<br/>udp 8472<br/>proto 4\"| n0\n  \
             n3 -->|\"tcp 80\"| n1\n"
        );
    }

    #[test]
    fn dot_quotes_names_and_breaks_labels() {
        assert_eq!(
            dot(&sample()),
            "digraph portmatrix {\n  rankdir=LR;\n  node [shape=box];\n  \"master\";\n  \"worker\";\n  \"lb\";\n  \
             \"say \\\"hi\\\"\" [shape=ellipse];\n  \"master\" -> \"master\" [label=\"icmp 8\"];\n  \
             \"worker\" -> \"master\" [label=\"tcp 6443, 10250\\nudp 8472\\nproto 4\"];\n  \
             \"say \\\"hi\\\"\" -> \"worker\" [label=\"tcp 80\"];\n}\n"
        );
    }
}
