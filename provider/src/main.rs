//! `terraform-provider-portmatrix`: the process Terraform launches.
//!
//! Run by Terraform it serves the plugin protocol; run by hand it explains itself and exits 1, unless started
//! with `--debug`, which serves for `TF_REATTACH_PROVIDERS`.

use portmatrix::plugin::{self, handshake::LaunchEnv, Mode};
use std::process::ExitCode;

/// The address users write in `required_providers` (`source = "portmatrix/portmatrix"`).
const PROVIDER_ADDRESS: &str = "registry.terraform.io/portmatrix/portmatrix";

/// How long the process waits, once serving ended, for blocking reads to notice the cancellation.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// A read builds and drops thousands of small values (configuration, rules, the result), where glibc's allocator
/// took about a third of a read's CPU. Built without transparent huge pages (`no_thp`), which doubled the peak RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: terraform-provider-portmatrix [--debug | --version]\n\n\
    Terraform starts this provider itself. --debug serves it for TF_REATTACH_PROVIDERS instead.";

fn main() -> ExitCode {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" => debug = true,
            "--version" => {
                println!(
                    "terraform-provider-portmatrix {}",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let var = |key: &str| std::env::var(key).ok();
    let launch = match LaunchEnv::from_vars(var, debug) {
        Ok(launch) => launch,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    plugin::logging::init(plugin::logging::level_from_env(var));
    let mode = if debug {
        Mode::Debug {
            provider_address: PROVIDER_ADDRESS.to_string(),
        }
    } else {
        Mode::Managed
    };
    // One thread is plenty for a handful of short RPCs, and keeps start-up and memory small. Reads are CPU-bound
    // (those that wait on the network get threads of their own, server.rs), so they queue for one blocking thread
    // per core: more could not run them sooner, and a thread that finds the next read waiting takes it without
    // the sleep and wake-up between reads, which cost a tenth of a read's CPU.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(cores)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let routes = portmatrix::server::routes(shutdown.clone());
    let served = runtime.block_on(plugin::serve(routes, launch, mode, shutdown));
    // Reads still running on blocking threads were cancelled with the shutdown token; don't wait for them.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "provider failed");
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
