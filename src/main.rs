//! The `hancup` executable: parses the command line and hands over to `cli::run`; nothing else.

fn main() {
    std::process::exit(hancup::cli::run());
}
