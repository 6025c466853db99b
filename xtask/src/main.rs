//! `cargo xtask …`: see `cargo xtask --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use xtask::spec::{self, DEFAULT_URL, SpecDir, workspace_root};

/// Project tasks for hf-hub-api.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The vendored OpenAPI document (spec/hub-openapi.json) and its inventory.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
    /// Writes the generated Rust to a file for review and prints the normaliser's report.
    Codegen {
        /// Where to write the generated code [default: target/generated.rs of the workspace].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Import cycles between the modules of the library, codegen, simulator and xtask crates;
    /// fails when there is any.
    Cycles,
}

#[derive(Subcommand)]
enum SpecCommand {
    /// Vendors a new version of the Hub's document: checks that the codegen handles it, then
    /// writes spec/hub-openapi.json, spec/operations.txt and spec/CHANGES.md (the change
    /// report, also printed). On any failure nothing in spec/ is touched.
    Update {
        /// The document to vendor: a URL (fetched, 30 s timeout) or a file.
        #[arg(long, value_name = "URL|FILE", default_value = DEFAULT_URL)]
        from: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// The CI gate: the vendored document and overlay build, and spec/operations.txt is what
    /// they produce.
    Check {
        #[command(flatten)]
        dir: DirArg,
    },
    /// The change report between two documents (nothing is written).
    Diff {
        /// The older document.
        old: PathBuf,
        /// The newer document.
        new: PathBuf,
        /// The overlay both are built with [default: spec/overlay.json of the workspace].
        #[arg(long, value_name = "FILE", conflicts_with = "no_overlay")]
        overlay: Option<PathBuf>,
        /// Build both without an overlay.
        #[arg(long)]
        no_overlay: bool,
    },
}

#[derive(Args)]
struct DirArg {
    /// The spec directory (for tests on a copy) [default: spec/ of the workspace].
    #[arg(long, env = "XTASK_SPEC_DIR", value_name = "DIR", hide = true)]
    spec_dir: Option<PathBuf>,
}

impl DirArg {
    fn get(&self) -> SpecDir {
        SpecDir::new(
            self.spec_dir
                .clone()
                .unwrap_or_else(|| workspace_root().join("spec")),
        )
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Spec { command } => match command {
            SpecCommand::Update { from, dir } => {
                let dir = dir.get();
                let report = spec::update(&dir, &from)?;
                println!("{report}");
                eprintln!(
                    "updated {}, {} and {}",
                    dir.document().display(),
                    dir.inventory().display(),
                    dir.changes().display()
                );
            }
            SpecCommand::Check { dir } => println!("{}", spec::check(&dir.get())?),
            SpecCommand::Diff {
                old,
                new,
                overlay,
                no_overlay,
            } => {
                let overlay = if no_overlay {
                    None
                } else {
                    Some(overlay.unwrap_or_else(|| workspace_root().join("spec/overlay.json")))
                };
                print!("{}", spec::diff(&old, &new, overlay.as_deref())?.render());
            }
        },
        Command::Codegen { out, dir } => {
            let out = out.unwrap_or_else(|| workspace_root().join("target/generated.rs"));
            println!("{}", spec::codegen(&dir.get(), &out)?);
        }
        Command::Cycles => {
            let mut total = 0;
            for root in xtask::cycles::WORKSPACE_CRATES {
                let cycles = xtask::cycles::find(&workspace_root().join(root))?;
                for c in &cycles {
                    print!("{root}: {c}");
                }
                total += cycles.len();
            }
            if total > 0 {
                anyhow::bail!("{total} import cycle(s) between modules");
            }
            println!("no import cycles between modules");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
