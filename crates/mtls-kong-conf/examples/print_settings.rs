//! Prints the effective settings (what `mtls serve --print-settings` shows) from an optional
//! kong.conf and the process environment:
//! `cargo run -p mtls-kong-conf --example print_settings -- [KONG_CONF]`.

fn main() -> std::process::ExitCode {
    let mut builder = mtls_kong_conf::Builder::new();
    if let Some(path) = std::env::args().nth(1) {
        builder = match builder.kong_conf_file(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                return std::process::ExitCode::from(2);
            }
        };
    }
    match builder.env(std::env::vars()).build() {
        Ok(settings) => {
            for w in settings.warnings() {
                eprintln!("warning: {w}");
            }
            print!("{}", settings.render());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}
