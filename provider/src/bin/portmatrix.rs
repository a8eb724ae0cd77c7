//! `portmatrix`: inspect the port catalog from the command line (`portmatrix catalog list|show|diff`).

fn main() -> std::process::ExitCode {
    portmatrix::cli::main()
}
