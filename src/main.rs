//! The `spotcheck` binary: the GUI when run with no subcommand, headless commands otherwise.

fn main() -> std::process::ExitCode {
    spotcheck::cli::main()
}
