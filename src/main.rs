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
    /// Expand MirrorMaker2Migration objects in a YAML stream on stdin (a Helm post-renderer)
    Expand(ExpandArgs),
    /// Run as a KRM function: a ResourceList on stdin, a ResourceList on stdout
    Krm(ExpandArgs),
    /// Run as Kustomize's legacy exec plugin (what the installed plugin script calls)
    #[command(name = "kustomize-exec", hide = true)]
    KustomizeExec {
        /// The plugin config file kustomize passes
        config: PathBuf,
    },
    /// Install the Kustomize exec plugin for kind MirrorMaker2Migration, or print its path
    #[command(name = "kustomize-plugin")]
    KustomizePlugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Check a descriptor for migration mistakes (unknown or mistyped MirrorMaker2 keys,
    /// replication factors, ACL sync, loops, ...) without rendering
    Lint(LintArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory
    Man {
        /// Write mm2gen.1 and mm2gen-<command>.1 here, e.g. /usr/local/share/man/man1
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the JSON Schema of the descriptor (bare or wrapped in a MirrorMaker2Migration)
    Schema,
    /// Argo CD Config Management Plugin: render from ARGOCD_ENV_* parameters in the current directory
    #[command(name = "argocd-generate")]
    ArgocdGenerate,
}

#[derive(Subcommand)]
enum PluginAction {
    /// Write the plugin under $XDG_CONFIG_HOME/kustomize/plugin/ (pointing at this binary)
    Install {
        /// Config home to install under [default: $XDG_CONFIG_HOME or ~/.config]
        #[arg(long = "config-home", value_name = "DIR")]
        config_home: Option<PathBuf>,
    },
    /// Print where kustomize looks for the plugin
    Path {
        #[arg(long = "config-home", value_name = "DIR")]
        config_home: Option<PathBuf>,
    },
}

#[derive(Args)]
struct LintArgs {
    /// Descriptor file; `-` reads stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    inputs: InputArgs,
    /// `kafka-topics.sh --describe` output of a source cluster: predicts which topics each flow
    /// replicates and checks `tasks.max` and the pod count against their partitions; repeatable
    #[arg(long = "source-topics", value_name = "ALIAS=FILE", value_parser = parse_assignment)]
    source_topics: Vec<(String, String)>,
    /// Treat warnings as errors (exit 1 when there is any warning; notes never fail)
    #[arg(long)]
    strict: bool,
    /// Output format of the findings
    #[arg(short = 'o', long, value_enum, default_value_t = LintFormat::Text)]
    output: LintFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormat {
    Text,
    Json,
}

#[derive(Args)]
struct ExpandArgs {
    #[command(flatten)]
    inputs: InputArgs,
}

#[derive(Args)]
struct RenderArgs {
    /// Descriptor file (YAML or JSON, bare or wrapped in a MirrorMaker2Migration); `-` reads stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format on stdout
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Yaml)]
    output: OutputFormat,
    /// Write one file per object and a kustomization.yaml into this directory
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// With --output-dir: write nothing, exit 1 with a diff when the directory is out of date
    #[arg(long, requires = "output_dir")]
    check: bool,
    /// Render only the MirrorMaker2 instance of this kube context (descriptors that span
    /// several Kubernetes clusters render one instance per context)
    #[arg(long, value_name = "CONTEXT")]
    context: Option<String>,
}

#[derive(Args)]
struct InputArgs {
    /// File with Koperator KafkaCluster resources (multi-document YAML or a List), or
    /// CONTEXT=FILE for the resources of one Kubernetes cluster; repeatable
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
}

impl InputArgs {
    fn into_inputs(self) -> Result<Inputs, Error> {
        let mut kafka_clusters = Vec::new();
        for arg in &self.kafka_cluster {
            // `CONTEXT=FILE` says which Kubernetes cluster the resources come from.
            let (context, file) = match arg.to_str().and_then(|a| a.split_once('=')) {
                Some((ctx, file)) if !arg.exists() && !ctx.is_empty() => {
                    (Some(ctx.to_string()), PathBuf::from(file))
                }
                _ => (None, arg.clone()),
            };
            for mut cluster in mm2gen::resolve::load_kafka_clusters(&file)? {
                cluster.context = context.clone();
                kafka_clusters.push(cluster);
            }
        }
        Ok(Inputs {
            kafka_clusters,
            bootstrap_overrides: self.bootstrap_servers,
            namespace: self.namespace,
            name: self.name,
            image: self.image,
            kube_context: self.kube_context,
            secret_files: self
                .secret_file
                .into_iter()
                .map(|(alias, key, path)| mm2gen::inputs::SecretFile::read(alias, key, path))
                .collect(),
            kubeconfigs: Vec::new(),
            reference_root: None,
        })
    }
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

/// mm2gen lives briefly, and a fresh page is among the dearest things it touches (on a small
/// VM the host may have to back the page too). By default glibc gives large blocks back to the
/// kernel as soon as they are freed (the regex compiler's cache, long strings) and trims the
/// heap top, so the next allocations fault in new pages again. Keeping freed memory in the heap
/// for reuse saves those faults for a little more peak memory (the commit that added this has
/// the figures).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory_for_reuse() {
    const FOUR_MIB: libc::c_int = 4 << 20;
    // SAFETY: mallopt only sets allocator parameters; it runs first in main, before any other
    // thread exists, and a value it refuses leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, FOUR_MIB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * FOUR_MIB);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_for_reuse() {}

fn main() -> ExitCode {
    keep_freed_memory_for_reuse();
    // Kustomize runs a legacy exec plugin by its kind's name with the config path as argument.
    // A KRM function runner that passes no arguments (kustomize releases whose `exec:` has no
    // `args`) runs the function through a symlink named `mm2gen-krm`.
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = argv
        .first()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_owned()));
    let invoked_as = invoked_as.as_deref().and_then(std::ffi::OsStr::to_str);
    if invoked_as == Some(mm2gen::adapters::kustomize::PLUGIN_KIND) {
        argv.insert(1, "kustomize-exec".into());
    } else if invoked_as == Some(mm2gen::adapters::krm::EXEC_NAME) {
        argv.insert(1, "krm".into());
    }
    let cli = Cli::parse_from(argv);
    let result = match cli.command {
        Command::Render(args) => render(args),
        Command::Expand(args) => expand(args),
        Command::Krm(args) => krm(args),
        Command::KustomizeExec { config } => kustomize_exec(&config),
        Command::KustomizePlugin { action } => kustomize_plugin(action),
        Command::ArgocdGenerate => argocd_generate(),
        Command::Lint(args) => lint(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "mm2gen", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => man(dir.as_deref()),
        Command::Schema => {
            write_stdout(mm2gen::schema::DESCRIPTOR_SCHEMA);
            Ok(ExitCode::SUCCESS)
        }
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

fn read_stdin() -> Result<String, Error> {
    mm2gen::resolve::read_stdin("the YAML stream", "pipe UTF-8 YAML or JSON into mm2gen")
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A reader that stopped early (`| head`) got what it wanted.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            // A full disk behind `> file` must not pass for a complete render.
            eprintln!("error: cannot write the output: {e}\nhelp: the output is incomplete; free space or write elsewhere (e.g. --output-dir, which writes atomically)");
            std::process::exit(1);
        }
        _ => {}
    }
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn expand(args: ExpandArgs) -> Result<ExitCode, Error> {
    let inputs = args.inputs.into_inputs()?;
    let (text, warnings) =
        mm2gen::adapters::stream::expand_text("<stdin>", &read_stdin()?, &inputs, &cwd())?;
    print_warnings(&warnings);
    write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

fn krm(args: ExpandArgs) -> Result<ExitCode, Error> {
    let inputs = args.inputs.into_inputs()?;
    let (list, failed) = mm2gen::adapters::krm::run(&read_stdin()?, &inputs, &cwd());
    write_stdout(&list);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn kustomize_exec(config: &std::path::Path) -> Result<ExitCode, Error> {
    let (text, warnings) =
        mm2gen::adapters::kustomize::run(config, &read_stdin()?, &Inputs::default())?;
    print_warnings(&warnings);
    write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

fn kustomize_plugin(action: PluginAction) -> Result<ExitCode, Error> {
    use mm2gen::adapters::kustomize;
    let home = |given: Option<PathBuf>| {
        given
            .or_else(kustomize::default_config_home)
            .ok_or_else(|| {
                Error::from(
                    Diagnostic::error("neither XDG_CONFIG_HOME nor HOME is set")
                        .help("pass --config-home DIR"),
                )
            })
    };
    match action {
        PluginAction::Path { config_home } => {
            println!("{}", kustomize::plugin_path(&home(config_home)?).display())
        }
        PluginAction::Install { config_home } => {
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .map_err(|e| {
                    Diagnostic::error(format!("cannot tell where this mm2gen binary is: {e}"))
                        .help("run mm2gen by its full path")
                })?;
            let path = kustomize::install(&home(config_home)?, &exe)?;
            println!("{}", path.display());
            eprintln!("installed the Kustomize plugin for kind MirrorMaker2Migration; build with `kubectl kustomize --enable-alpha-plugins`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn man(dir: Option<&std::path::Path>) -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    let fail = |e: std::io::Error| {
        Error::from(
            Diagnostic::error(format!("cannot write the man pages: {e}"))
                .help("check that --dir is a writable directory"),
        )
    };
    let cli = Cli::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cli).render(&mut page).map_err(fail)?;
        write_stdout(&String::from_utf8_lossy(&page));
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut pages = vec![("mm2gen".to_string(), cli.clone())];
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push((
            format!("mm2gen-{}", sub.get_name()),
            sub.clone().name(format!("mm2gen-{}", sub.get_name())),
        ));
    }
    for (name, command) in pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(fail)?;
        std::fs::write(dir.join(format!("{name}.1")), page).map_err(fail)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn lint(args: LintArgs) -> Result<ExitCode, Error> {
    let descriptor = mm2gen::load_descriptor(&args.file)?;
    let inputs = args.inputs.into_inputs()?;
    let mut listings = Vec::new();
    for (alias, file) in &args.source_topics {
        listings.push(mm2gen::lint::topics::load_listing(
            alias,
            std::path::Path::new(file),
        )?);
    }
    let findings = mm2gen::lint::lint(&descriptor, &inputs, &listings);
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    use mm2gen::diagnostics::Severity;
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    match args.output {
        LintFormat::Json => write_stdout(&mm2gen::lint::to_json(&findings)),
        LintFormat::Text => {
            let mut text: String = findings.iter().map(|f| format!("{f}\n\n")).collect();
            text.push_str(&format!(
                "{errors} errors, {warnings} warnings, {notes} notes\n"
            ));
            write_stdout(&text);
        }
    }
    let failed = errors > 0 || (args.strict && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn argocd_generate() -> Result<ExitCode, Error> {
    let request = mm2gen::adapters::argocd::request(&|k| std::env::var(k).ok(), &cwd())?;
    let descriptor = mm2gen::adapters::argocd::load_descriptor(&request)?;
    let rendered = mm2gen::render(&descriptor, &request.inputs)?;
    print_warnings(&rendered.warnings);
    write_stdout(&rendered.into_manifests().to_yaml());
    Ok(ExitCode::SUCCESS)
}

fn render(args: RenderArgs) -> Result<ExitCode, Error> {
    let descriptor = mm2gen::load_descriptor(&args.file)?;
    let inputs = args.inputs.into_inputs()?;
    let mut rendered = mm2gen::render(&descriptor, &inputs)?;
    print_warnings(&rendered.warnings);
    if let Some(context) = &args.context {
        let known: Vec<String> = rendered
            .instances
            .iter()
            .map(|i| i.context.clone().unwrap_or_else(|| "default".into()))
            .collect();
        rendered
            .instances
            .retain(|i| i.context.as_deref() == Some(context.as_str()));
        if rendered.instances.is_empty() {
            return Err(Diagnostic::error(format!(
                "no MirrorMaker2 instance runs in kube context `{context}`"
            ))
            .help(format!(
                "the descriptor's instances run in: {}",
                known.join(", ")
            ))
            .into());
        }
    }
    let format = match args.output {
        OutputFormat::Yaml => Format::Yaml,
        OutputFormat::Json => Format::Json,
    };
    match (&args.output_dir, args.check) {
        (Some(dir), true) => {
            let mut diff = String::new();
            for (sub, manifests) in output::instance_dirs(dir, &rendered.instances)? {
                if let DirectoryCheck::Differs(d) = output::check_directory(&sub, manifests)? {
                    diff.push_str(&d);
                }
            }
            if diff.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            print!("{diff}");
            eprintln!(
                "error: {} is out of date with the descriptor\nhelp: re-run the same command without --check and commit the result",
                dir.display()
            );
            Ok(ExitCode::from(1))
        }
        (Some(dir), false) => {
            let count =
                output::write_directories(&output::instance_dirs(dir, &rendered.instances)?)?;
            eprintln!("wrote {count} files to {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        (None, _) => {
            let manifests = rendered.into_manifests();
            write_stdout(&manifests.to_format(format));
            // The process ends next: freeing these trees node by node costs measurable time
            // in a large render, for memory the exit returns anyway.
            std::mem::forget((descriptor, manifests));
            Ok(ExitCode::SUCCESS)
        }
    }
}
