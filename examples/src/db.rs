//! `mtls db`: the database `mtls serve --database` serves from, as Kong's `kong migrations`
//! and `kong config db_import` / `db_export`.
//!
//! - `mtls db migrate`: creates the database (SQLite) or its tables (PostgreSQL) and applies
//!   the schema migrations; prints the schema version.
//! - `mtls db import kong.yaml`: validates the file as `mtls serve --config` would, checks
//!   that the database's entities with the file's (inserted, or replaced by id) still form a
//!   configuration the gateway serves, then writes them in one transaction. All or nothing.
//!   A running node applies the change on its next write, or on SIGHUP.
//! - `mtls db export [FILE]`: the stored configuration as a kong.yaml (stdout without FILE);
//!   `db import` of it gives the same entities back.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mtls_gateway::{CompileOptions, Snapshot};
use mtls_kong_config::plugins::SkipList;
use mtls_kong_config::{Change, Loader};

use crate::serve;

/// Arguments of `mtls db`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The database: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, value_name = "URL", default_value = serve::DEFAULT_DATABASE, global = true)]
    database: String,
    /// Plugins a file may name that this gateway leaves out (as `mtls serve --skip-plugins`).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...", global = true)]
    skip_plugins: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Create the database or bring its schema up to date.
    Migrate,
    /// Write a kong.yaml's entities into the database (all or nothing).
    Import {
        /// The declarative configuration (YAML or JSON).
        file: PathBuf,
    },
    /// Write the stored configuration as a kong.yaml.
    Export {
        /// Where to write it (stdout when absent).
        file: Option<PathBuf>,
    },
}

/// `mtls db`.
pub(crate) fn run(args: &Args) -> ExitCode {
    let runtime = match serve::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mtls db: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(lines) => {
            for line in lines {
                eprintln!("mtls db: {line}");
            }
            ExitCode::from(2)
        }
    }
}

fn loader(args: &Args) -> Result<Loader, Vec<String>> {
    let skip = SkipList::new(&args.skip_plugins).map_err(|e| vec![e.to_string()])?;
    Ok(Loader::new().skip_plugins(skip))
}

async fn execute(args: &Args) -> Result<(), Vec<String>> {
    let one = |e: String| vec![e];
    let store = serve::open_store(&args.database, Duration::from_secs(10))
        .await
        .map_err(one)?;
    let location = serve::redact(&args.database);
    match &args.command {
        Command::Migrate => {
            println!(
                "{location}: schema version {} (up to date)",
                mtls_store::SCHEMA_VERSION
            );
            Ok(())
        }
        Command::Import { file } => {
            let loader = loader(args)?;
            let (imported, warnings) = loader
                .load_file(file)
                .map_err(|e| lines(&file.display().to_string(), &e))?;
            for warning in warnings {
                eprintln!("mtls db: {}: {warning}", file.display());
            }
            let stored = store
                .load_config(&loader)
                .await
                .map_err(|e| lines(&location, &e))?;
            let merged = stored
                .apply(imported.entities().map(Change::put))
                .map_err(|e| lines(&format!("{} with {location}", file.display()), &e))?;
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let options = CompileOptions::new(provider);
            Snapshot::compile(&merged, 1, &options)
                .map_err(|e| lines(&format!("{} with {location}", file.display()), &e))?;
            let count = store
                .import(&imported)
                .await
                .map_err(|e| lines(&location, &e))?;
            println!(
                "{location}: {count} entities imported from {} ({} services, {} routes, {} \
                 consumers, {} plugins); the database now holds {} entities",
                file.display(),
                imported.services().len(),
                imported.routes().len(),
                imported.consumers().len(),
                imported.plugins().len(),
                merged.entities().count()
            );
            Ok(())
        }
        Command::Export { file } => {
            let loader = loader(args)?;
            let config = store
                .export(&loader)
                .await
                .map_err(|e| lines(&location, &e))?;
            let yaml = serde_norway::to_string(&config.to_document())
                .map_err(|e| one(format!("cannot write YAML: {e}")))?;
            match file {
                None => print!("{yaml}"),
                Some(path) => {
                    std::fs::write(path, &yaml)
                        .map_err(|e| one(format!("cannot write {}: {e}", path.display())))?;
                    eprintln!(
                        "mtls db: {location}: {} entities exported to {}",
                        config.entities().count(),
                        path.display()
                    );
                }
            }
            Ok(())
        }
    }
}

/// Every line of a multi-line error, prefixed with `context`.
fn lines(context: &str, error: &dyn std::fmt::Display) -> Vec<String> {
    error
        .to_string()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{context}: {l}"))
        .collect()
}
