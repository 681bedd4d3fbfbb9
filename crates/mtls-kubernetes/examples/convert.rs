//! Prints the kong.yaml a manifest file or directory translates into (what
//! `mtls convert --to kong-yaml` prints): `cargo run -p mtls-kubernetes --example convert -- FILE`.

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: convert FILE_OR_DIRECTORY");
        return std::process::ExitCode::from(2);
    };
    match mtls_kubernetes::translate_path(&path) {
        Ok(t) => {
            for w in t.warnings() {
                eprintln!("warning: {w}");
            }
            print!("{}", t.to_kong_yaml());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}
