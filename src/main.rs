//! The mm2gen command line: parses arguments, calls the library, maps errors to exit codes
//! (1: the input is wrong, 2: the command line is wrong).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use mm2gen::output::{self, DirectoryCheck};
use mm2gen::{Diagnostic, Error, Format, Inputs};

const EXAMPLES: &str = "\
Examples:
  # Render the bundled example to stdout
  mm2gen render -f examples/descriptor.yaml --kafka-cluster examples/kafkacluster.yaml

  # Write one file per object plus kustomization.yaml into a GitOps repo
  mm2gen render -f descriptor.yaml --kafka-cluster kafkacluster.yaml --output-dir deploy/mm2

  # In CI: fail with a diff when the committed directory is out of date
  mm2gen render -f descriptor.yaml --kafka-cluster kafkacluster.yaml --output-dir deploy/mm2 --check

  # No KafkaCluster at hand: give the target's bootstrap address directly
  mm2gen render -f descriptor.yaml --bootstrap-servers target-cluster=kafka-all-broker.kafka.svc.cluster.local:29092";

#[derive(Parser)]
#[command(name = "mm2gen", version, about = "Render a Kafka MirrorMaker2 migration descriptor into static, content-hashed Kubernetes manifests", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render the manifests for a descriptor
    #[command(after_help = EXAMPLES)]
    Render(RenderArgs),
}

#[derive(Args)]
struct RenderArgs {
    /// Descriptor file (YAML or JSON, bare or wrapped in a MirrorMaker2Migration); `-` reads stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    file: PathBuf,
    /// File with Koperator KafkaCluster resources (multi-document YAML or a List); repeatable
    #[arg(long = "kafka-cluster", value_name = "FILE")]
    kafka_cluster: Vec<PathBuf>,
    /// Bootstrap servers of one cluster alias, overriding the descriptor and KafkaClusters; repeatable
    #[arg(long = "bootstrap-servers", value_name = "ALIAS=HOST:PORT,...", value_parser = parse_assignment)]
    bootstrap_servers: Vec<(String, String)>,
    /// Namespace of the generated objects [default: the target KafkaCluster's]
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Name of the MirrorMaker2 deployment and prefix of the other objects [default: mirrormaker2]
    #[arg(long)]
    name: Option<String>,
    /// Container image [default: the pinned apache/kafka image]
    #[arg(long)]
    image: Option<String>,
    /// Kube context for aliases that default to `${context}_${namespace}_${name}`, when the
    /// descriptor names none
    #[arg(long = "kube-context", value_name = "CONTEXT")]
    kube_context: Option<String>,
    /// Local file to put in a generated Secret for a cluster alias: ALIAS=FILE (the key is the
    /// file name) or ALIAS:KEY=FILE; the Secret's name carries a content hash. Repeatable
    #[arg(long = "secret-file", value_name = "ALIAS[:KEY]=FILE", value_parser = parse_secret_file)]
    secret_file: Vec<(String, String, PathBuf)>,
    /// Output format on stdout
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Yaml)]
    output: OutputFormat,
    /// Write one file per object and a kustomization.yaml into this directory
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// With --output-dir: write nothing, exit 1 with a diff when the directory is out of date
    #[arg(long, requires = "output_dir")]
    check: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
}

fn parse_assignment(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected ALIAS=HOST:PORT, got `{s}`")),
    }
}

fn parse_secret_file(s: &str) -> Result<(String, String, PathBuf), String> {
    let (lhs, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected ALIAS=FILE or ALIAS:KEY=FILE, got `{s}`"))?;
    let path = PathBuf::from(path);
    let (alias, key) = match lhs.split_once(':') {
        Some((a, k)) => (a.to_string(), k.to_string()),
        None => {
            let key = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                format!("`{}` has no file name to use as the key", path.display())
            })?;
            (lhs.to_string(), key.to_string())
        }
    };
    if alias.is_empty() {
        return Err(format!("expected ALIAS=FILE or ALIAS:KEY=FILE, got `{s}`"));
    }
    Ok((alias, key, path))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn print_warnings(warnings: &[Diagnostic]) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for w in warnings {
        let _ = writeln!(err, "{w}");
    }
}

fn render(args: RenderArgs) -> Result<ExitCode, Error> {
    let descriptor = mm2gen::load_descriptor(&args.file)?;
    let mut kafka_clusters = Vec::new();
    for f in &args.kafka_cluster {
        kafka_clusters.extend(mm2gen::resolve::load_kafka_clusters(f)?);
    }
    let inputs = Inputs {
        kafka_clusters,
        bootstrap_overrides: args.bootstrap_servers,
        namespace: args.namespace,
        name: args.name,
        image: args.image,
        kube_context: args.kube_context,
        secret_files: args.secret_file,
    };
    let rendered = mm2gen::render(&descriptor, &inputs)?;
    print_warnings(&rendered.warnings);
    let format = match args.output {
        OutputFormat::Yaml => Format::Yaml,
        OutputFormat::Json => Format::Json,
    };
    match (&args.output_dir, args.check) {
        (Some(dir), true) => match output::check_directory(dir, &rendered.manifests)? {
            DirectoryCheck::UpToDate => Ok(ExitCode::SUCCESS),
            DirectoryCheck::Differs(diff) => {
                print!("{diff}");
                eprintln!(
                    "error: {} is out of date with the descriptor\nhelp: re-run the same command without --check and commit the result",
                    dir.display()
                );
                Ok(ExitCode::from(1))
            }
        },
        (Some(dir), false) => {
            let files = output::write_directory(dir, &rendered.manifests)?;
            eprintln!("wrote {} files to {}", files.len(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        (None, _) => {
            let text = rendered.manifests.to_format(format);
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            Ok(ExitCode::SUCCESS)
        }
    }
}
