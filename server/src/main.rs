fn main() -> std::process::ExitCode {
    salespane_server::cli::main()
}
