//! The command line: arguments (clap) and one module per subcommand.
//! Each `run` returns the process exit status.

pub mod audit;
pub mod clerk;
pub mod demo;
pub mod export;
pub mod form;
pub mod import;
pub mod report;
pub mod serve;
pub mod show;
pub mod snapshot;

mod usage;

use crate::backend::Backend;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

pub use usage::UsageError;

/// How the operator is found, in `--help` and the README.
const OPERATOR_HELP: &str = "操作人记在每一次保存里：--operator 姓名，否则环境变量 HUITOUKAN_OPERATOR，
否则系统里的登录用户名，否则环境变量 USER；都没有时记为“未知”，状态栏会提示。";

/// The command line as clap reads it: the app's options, or a subcommand
/// with its own. `--db`/`--demo`/`--operator` may also stand before the
/// subcommand (`huitoukan --db DIR report`); [`Cli::try_parse_from`] moves
/// them to it and refuses the app's options there.
#[derive(Debug, Parser)]
#[command(
    name = "huitoukan",
    version,
    about = "防止返贫监测“回头看”信息采集（终端版）",
    long_about = None,
    after_help = OPERATOR_HELP
)]
struct Line {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    app: AppArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where the store is and who works on it: every command that opens a store
/// flattens this.
#[derive(Debug, Clone, Args, Default, PartialEq, Eq)]
pub struct StoreArgs {
    /// 数据库目录（默认 HUITOUKAN_DB 或数据目录下的 store）
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// 演示数据库（与正式数据分开，首次使用时生成）
    #[arg(long, conflicts_with = "db")]
    pub demo: bool,
    /// 操作人姓名（默认 HUITOUKAN_OPERATOR，否则登录名）
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// 数据服务的套接字（默认 HUITOUKAN_SOCKET）
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

impl StoreArgs {
    fn is_empty(&self) -> bool {
        *self == StoreArgs::default()
    }

    /// The options given, as typed (for messages).
    fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.db.is_some() {
            v.push("--db");
        }
        if self.demo {
            v.push("--demo");
        }
        if self.operator.is_some() {
            v.push("--operator");
        }
        if self.socket.is_some() {
            v.push("--socket");
        }
        v
    }
}

/// Options only the app (no subcommand) uses.
#[derive(Debug, Clone, Args, Default)]
pub struct AppArgs {
    /// 键位文件，按键覆盖默认键位
    #[arg(long, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// 用 +-| 画边框（适合把制表符显示成双宽的终端）
    #[arg(long)]
    pub ascii: bool,
}

/// What this run was given, wherever on the line it stood.
#[derive(Debug, Clone, Default)]
pub struct Global {
    pub db: Option<PathBuf>,
    pub demo: bool,
    pub operator: Option<String>,
    pub socket: Option<PathBuf>,
    pub keymap: Option<PathBuf>,
    pub ascii: bool,
}

/// A parsed command line.
#[derive(Debug)]
pub struct Cli {
    pub global: Global,
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the process's arguments; help and version print and exit 0, a
    /// usage error prints in Chinese and exits 2.
    pub fn parse() -> Cli {
        match Cli::try_parse_from(std::env::args_os()) {
            Ok(cli) => cli,
            Err(UsageError::Show(text)) => {
                print!("{text}");
                std::process::exit(0);
            }
            Err(UsageError::Wrong(text)) => {
                eprintln!("{text}");
                std::process::exit(2);
            }
        }
    }

    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, UsageError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let line = usage::parse::<Line, _, _>(args)?;
        let Line { store: top, app, command } = line;
        let mut global = Global { keymap: app.keymap, ascii: app.ascii, ..Global::default() };
        let Some(command) = command else {
            global.db = top.db;
            global.demo = top.demo;
            global.operator = top.operator;
            global.socket = top.socket;
            return Ok(Cli { global, command: None });
        };
        let name = command.name();
        let app_only: Vec<&str> = [("--keymap", global.keymap.is_some()), ("--ascii", global.ascii)]
            .into_iter()
            .filter_map(|(o, given)| given.then_some(o))
            .collect();
        if let Some(o) = app_only.first() {
            return Err(usage::wrong(&format!("{o} 只在打开程序时有用（不带子命令），{name} 不用它。请去掉 {o}。"), &name));
        }
        match command.store_args() {
            Some(sub) => {
                if !top.is_empty() && !sub.is_empty() {
                    return Err(usage::wrong(
                        &format!("数据库选项请只写在一处：{name} 的前面和后面都有（{}）。", top.given().join(" ")),
                        &name,
                    ));
                }
                let chosen = if sub.is_empty() { top } else { sub.clone() };
                global.db = chosen.db;
                global.demo = chosen.demo;
                global.operator = chosen.operator;
                global.socket = chosen.socket;
            }
            None => {
                if let Command::Demo(d) = &command {
                    global.db = d.db.clone().or(top.db.clone());
                }
                let unused: Vec<&str> =
                    top.given().into_iter().filter(|o| !(*o == "--db" && matches!(command, Command::Demo(_)))).collect();
                if let Some(o) = unused.first() {
                    return Err(usage::wrong(&format!("{o} 对 {name} 没有用。请去掉 {o}。"), &name));
                }
            }
        }
        Ok(Cli { global, command: Some(command) })
    }
}

/// Said when nothing gives the operator's name (status line, stderr).
pub const NO_OPERATOR: &str = "不知道操作人是谁，保存记为“未知”。请用 --operator 姓名 启动，或设置环境变量 HUITOUKAN_OPERATOR";

impl Global {
    /// The store this invocation works on.
    pub fn store_path(&self) -> PathBuf {
        match (&self.db, self.demo) {
            (Some(p), _) => p.clone(),
            (None, true) => crate::paths::demo_store(),
            (None, false) => crate::paths::default_store(),
        }
    }

    /// The store server's socket for this invocation's store.
    pub fn socket_path(&self) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| std::env::var_os("HUITOUKAN_SOCKET").filter(|s| !s.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| crate::server::default_socket(&self.store_path()))
    }

    /// Where a server is reached, for a program that may (`spawn`) start one.
    pub fn connect(&self, spawn: bool) -> crate::server::Connect {
        crate::server::Connect {
            socket: self.socket_path(),
            store: self.store_path(),
            spawn,
            idle_exit: crate::config::server_idle_exit(),
            operator: self.operator(),
        }
    }

    /// Who is recorded with every save: `--operator`, else `HUITOUKAN_OPERATOR`,
    /// else the login name (the OS user database, else `USER`); `None` when
    /// nothing gives a name.
    pub fn operator(&self) -> Option<String> {
        let given = self.operator.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        given.or_else(crate::model::operator_from_env)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 生成演示数据库
    Demo(demo::DemoArgs),
    /// 导入监测对象名单（.csv 或 .xlsx）
    Import(import::ImportArgs),
    /// 导出采集结果（CSV 或 Excel）
    Export(export::ExportArgs),
    /// 快照备份：保存、检查、恢复
    Snapshot {
        #[command(subcommand)]
        command: snapshot::SnapshotCommand,
    },
    /// 查询一户的情况
    Show(show::ShowArgs),
    /// 进度和汇总统计
    Report(report::ReportArgs),
    /// 审计日志
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// 数据服务：独占数据库，供多个程序（多名经办人员）同时使用
    Serve(serve::ServeArgs),
    /// 经办人员：登记、列出、注销（管理角色）
    Clerk {
        #[command(subcommand)]
        command: clerk::ClerkCommand,
    },
    /// 表单文件：检查
    Form {
        #[command(subcommand)]
        command: form::FormCommand,
    },
}

/// The data for a command: the store's server when one is running, else
/// the store itself, opened by this process for the command's duration.
pub fn open_backend(global: &Global, program: &str) -> anyhow::Result<Box<dyn crate::backend::Backend>> {
    if let Some(client) = crate::server::Client::connect(global.connect(false))? {
        if let Some(note) = client.note() {
            eprintln!("{note}");
        }
        return Ok(Box::new(client));
    }
    let store = open_store(global, program)?;
    let who = global.operator().unwrap_or_else(|| {
        eprintln!("{NO_OPERATOR}。");
        crate::model::UNKNOWN_OPERATOR.to_string()
    });
    Ok(Box::new(crate::backend::Local::new(store, &who)))
}

impl Command {
    /// As typed: `show`, `snapshot save`.
    pub fn name(&self) -> String {
        match self {
            Command::Demo(_) => "demo".into(),
            Command::Import(_) => "import".into(),
            Command::Export(_) => "export".into(),
            Command::Snapshot { command } => format!("snapshot {}", command.name()),
            Command::Show(_) => "show".into(),
            Command::Report(_) => "report".into(),
            Command::Audit { command: audit::AuditCommand::Verify { .. } } => "audit verify".into(),
            Command::Serve(_) => "serve".into(),
            Command::Clerk { command } => format!("clerk {}", command.name()),
            Command::Form { command } => format!("form {}", command.name()),
        }
    }

    /// The store options this command takes; `None` when it opens no store
    /// the ordinary way (`demo` has its own `--db`, `snapshot verify` reads only a file).
    fn store_args(&self) -> Option<&StoreArgs> {
        match self {
            Command::Demo(_) => None,
            Command::Import(a) => Some(&a.store),
            Command::Export(a) => Some(&a.store),
            Command::Snapshot { command } => command.store_args(),
            Command::Show(a) => Some(&a.store),
            Command::Report(a) => Some(&a.store),
            Command::Audit { command: audit::AuditCommand::Verify { store } } => Some(store),
            Command::Serve(a) => Some(&a.store),
            Command::Clerk { command } => Some(command.store_args()),
            Command::Form { .. } => None,
        }
    }
}

/// Opens the store for a command-line tool, with the Chinese message on
/// failure; a damaged store's message names the newest automatic snapshot
/// and the command that restores it. Only an existing store opens (the demo
/// store excepted, made on first use): a mistyped `--db` is refused.
pub fn open_store(global: &Global, program: &str) -> anyhow::Result<crate::store::Store> {
    open_store_with(global, program, crate::store::OpenMode::Existing)
}

/// Opens the store for a command that creates data (import, the app): a
/// missing path or an empty directory becomes a new store, unless snapshots
/// beside it show that a store with households was there.
pub fn open_or_create_store(global: &Global, program: &str) -> anyhow::Result<crate::store::Store> {
    open_store_with(global, program, crate::store::OpenMode::Create)
}

fn open_store_with(global: &Global, program: &str, mode: crate::store::OpenMode) -> anyhow::Result<crate::store::Store> {
    use crate::store::{Found, OpenMode};
    let path = global.store_path();
    let fresh_demo = global.demo && global.db.is_none() && !path.exists();
    let mode = if fresh_demo { OpenMode::Create } else { mode };
    let found = crate::store::inspect(&path);
    if mode == OpenMode::Create && matches!(found, Found::Missing | Found::Empty) {
        if let Some((file, info)) = crate::backup::newest_with_data(&path) {
            anyhow::bail!(
                "数据库 {} 不见了（{}），但它的自动快照还在：{}。数据库可能被删除或移走了，程序不会在这里新建一个空的。\n\
                 若是移走了，请用 --db 指定它现在的位置；若要从快照恢复，请运行：\n  huitoukan --db {} snapshot restore {}",
                path.display(),
                if found == Found::Missing { "目录不存在" } else { "目录是空的" },
                info.describe(),
                crate::backup::shell_quote(&path),
                crate::backup::shell_quote(&file)
            );
        }
    }
    match crate::store::Store::open_with(&path, program, mode) {
        Ok(store) => {
            // The app shows it in its status line instead.
            if let (Some(note), false) = (store.recovery_note(), program == "huitoukan") {
                eprintln!("{note}");
            }
            if fresh_demo {
                demo::fill_default(&store)?;
            }
            Ok(store)
        }
        Err(e @ crate::store::StoreError::Corrupt { .. }) => {
            anyhow::bail!("{e}\n{}", crate::backup::advice_for_damaged(&path))
        }
        // A store that went missing: its snapshots say how to get it back.
        Err(e @ crate::store::StoreError::NotAStore { .. }) if !crate::backup::list(&path).is_empty() => {
            anyhow::bail!("{e}\n{}", crate::backup::advice_for_damaged(&path))
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs a command-line tool (not the app: its panic hook restores the
/// terminal) so that a panic inside a library (sled on a damaged page:
/// "cannot find pid … in view_for_key") is an error in Chinese, with the
/// damaged-store advice, not an English panic message and exit 101.
pub fn guarded(global: &Global, run: impl FnOnce() -> anyhow::Result<i32>) -> anyhow::Result<i32> {
    match crate::io::quietly(run) {
        Ok(result) => result,
        Err(panic) => {
            let path = global.store_path();
            anyhow::bail!(
                "程序在读取数据库 {} 时遇到无法解释的内容而中止（{}），数据库可能已损坏。\n{}",
                path.display(),
                panic.lines().next().unwrap_or("").chars().take(120).collect::<String>(),
                crate::backup::advice_for_damaged(&path)
            )
        }
    }
}

/// Prints an error the way every command does: Chinese, on stderr. A store
/// found damaged after it opened (a bad page met by a report, an export, a
/// snapshot) gets the same advice as one that does not open.
pub fn print_error(e: &anyhow::Error) {
    eprintln!("错误：{e}");
    for cause in e.chain().skip(1) {
        eprintln!("  原因：{cause}");
    }
    if let Some(path) = damaged_store(e) {
        eprintln!("{}", crate::backup::advice_for_damaged(&path));
    }
}

/// The store an error says is damaged, through the error types that carry a store error.
pub fn damaged_store(e: &anyhow::Error) -> Option<PathBuf> {
    use crate::io::{export::ExportError, import::ImportError, snapshot::SnapshotError};
    use crate::store::StoreError;
    e.chain().find_map(|cause| {
        let store = cause
            .downcast_ref::<StoreError>()
            .or_else(|| match cause.downcast_ref::<SnapshotError>() {
                Some(SnapshotError::Store(s)) => Some(s),
                _ => None,
            })
            .or_else(|| match cause.downcast_ref::<ExportError>() {
                Some(ExportError::Store(s)) => Some(s),
                _ => None,
            })
            .or_else(|| match cause.downcast_ref::<ImportError>() {
                Some(ImportError::Store(s)) => Some(s),
                _ => None,
            });
        match store {
            Some(StoreError::Corrupt { path, .. }) => Some(path.clone()),
            _ => None,
        }
    })
}
