//! `mtls convert`: what a configuration becomes. Kubernetes manifests (a file or a directory)
//! are translated as `serve` translates them; a kong.yaml is loaded, checked and written back
//! flat (every entity at the top level with its id). Exit 0 on success, 2 on any error (each
//! printed on stderr).

use std::path::PathBuf;
use std::process::ExitCode;

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Target {
    /// Kong's declarative format, YAML.
    KongYaml,
    /// Kong's declarative format, JSON.
    KongJson,
}

/// Arguments of `mtls convert`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The configuration: Kubernetes manifests (a multi-document file or a directory) or a
    /// kong.yaml.
    input: PathBuf,
    /// What to write on stdout.
    #[arg(long, value_enum, default_value = "kong-yaml")]
    to: Target,
}

fn fail(lines: impl IntoIterator<Item = String>) -> ExitCode {
    for line in lines {
        eprintln!("mtls convert: {line}");
    }
    ExitCode::from(2)
}

/// `mtls convert`.
pub(crate) fn run(args: &Args) -> ExitCode {
    let manifests = args.input.is_dir()
        || std::fs::read_to_string(&args.input)
            .map(|t| mtls_kubernetes::is_manifests(&t))
            .unwrap_or(false);
    let document = if manifests {
        match mtls_kubernetes::translate_path(&args.input) {
            Ok(translation) => {
                for warning in translation.warnings() {
                    eprintln!("mtls convert: warning: {warning}");
                }
                // The translation must load as `serve` would load it.
                if let Err(e) = translation.load(&mtls_kong_config::Loader::new()) {
                    return fail(e.to_string().lines().map(str::to_owned).collect::<Vec<_>>());
                }
                translation.into_document()
            }
            Err(e) => return fail(e.to_string().lines().map(str::to_owned).collect::<Vec<_>>()),
        }
    } else {
        match mtls_kong_config::load_file(&args.input) {
            Ok((config, _)) => config.to_document(),
            Err(e) => return fail(e.to_string().lines().map(str::to_owned).collect::<Vec<_>>()),
        }
    };
    let text = match args.to {
        Target::KongYaml => mtls_kubernetes::to_kong_yaml(&document),
        Target::KongJson => match serde_json::to_string_pretty(&document) {
            Ok(t) => t + "\n",
            Err(e) => return fail([e.to_string()]),
        },
    };
    print!("{text}");
    ExitCode::SUCCESS
}
