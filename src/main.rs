//! The `musicagg` binary: the service (`serve`) and its command-line client.

fn main() -> std::process::ExitCode {
    musicagg::cli::main()
}
