//! The `rapport` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    rapport_server::cli::main()
}
