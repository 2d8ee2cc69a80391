//! The `refcodes` binary: the dashboard with no command, the CLI with one. It lives in the library
//! (`cli::binary`), which keeps the command line's internals out of the library's public surface.

fn main() -> std::process::ExitCode {
    refcodes::binary_main()
}
