//! The `netscript` binary: the CLI with every plugin chosen by cargo features linked in.

fn main() -> std::process::ExitCode {
    netscript::cli::main(netscript::builtin_plugins)
}
