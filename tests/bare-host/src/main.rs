//! A netscript host with no built-in plugins: proves that a plugin built as a `cdylib`
//! loads with `--plugin` into a binary that does not link it.

fn main() -> std::process::ExitCode {
    netscript::cli::main(Vec::new)
}
