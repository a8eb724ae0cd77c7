//! Writing to standard output and standard error so that lost output is never silent: a write that fails is an
//! error (exit 2, message on stderr), a reader that went away ends the program quietly with [`BROKEN_PIPE`], and
//! a standard output that was closed before the program started is noticed too.

use std::io::{self, ErrorKind, IsTerminal, Write};
use std::process::ExitCode;

/// The exit code when standard output's reader has gone (`portmatrix catalog list | head -1`): 141, what a shell
/// reports for a program ended by SIGPIPE, as `cat` or `grep` are. Nothing is written to stderr then.
pub(super) const BROKEN_PIPE: u8 = 141;

/// Writes `text` to standard output and flushes it: `Ok` only when all of it was written.
fn write_stdout(text: &[u8]) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    if stdout_was_closed() {
        return Err(io::Error::other(
            "standard output is closed (started with `>&-`); redirect it to a file or to /dev/null",
        ));
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(text)?;
    stdout.flush()
}

/// Whether standard output was closed when the program started. Rust's runtime puts /dev/null, opened for
/// reading and writing, on a closed descriptor 0-2 before `main`, so that writes to it would succeed and the
/// output vanish; a shell's `>/dev/null` opens it for writing only. (`1<>/dev/null` looks the same and is taken
/// for closed.) Where /proc cannot tell, the output is written.
fn stdout_was_closed() -> bool {
    const ACCESS_MODE: u32 = 0o3;
    const READ_WRITE: u32 = 0o2;
    let on_null =
        std::fs::read_link("/proc/self/fd/1").is_ok_and(|p| p == std::path::Path::new("/dev/null"));
    let flags = std::fs::read_to_string("/proc/self/fdinfo/1")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        });
    on_null && flags.is_some_and(|f| f & ACCESS_MODE == READ_WRITE)
}

/// Prints one line on standard error. A failure to write there is ignored: no stream is left to report it on,
/// and the exit code still tells.
pub(super) fn note(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Writes `text` to standard output: `success` when it was all written; otherwise [`BROKEN_PIPE`] when the
/// reader has gone, or 2 with the reason on stderr.
pub(super) fn emit(text: &[u8], success: ExitCode) -> ExitCode {
    match write_stdout(text) {
        Ok(()) => success,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::from(BROKEN_PIPE),
        Err(e) => {
            note(&format!(
                "error: cannot write the output to standard output: {e}"
            ));
            ExitCode::from(2)
        }
    }
}

/// Ends on a clap error or a request for help or the version: help and version go to standard output like any
/// output (a failed write is an error), errors to stderr with clap's exit code.
pub(super) fn clap_exit(error: &clap::Error) -> ExitCode {
    let code = u8::try_from(error.exit_code()).unwrap_or(2);
    if error.use_stderr() {
        let rendered = if io::stderr().is_terminal() {
            error.render().ansi().to_string()
        } else {
            error.render().to_string()
        };
        let _ = io::stderr().lock().write_all(rendered.as_bytes());
        return ExitCode::from(code);
    }
    let rendered = if io::stdout().is_terminal() {
        error.render().ansi().to_string()
    } else {
        error.render().to_string()
    };
    emit(rendered.as_bytes(), ExitCode::from(code))
}
