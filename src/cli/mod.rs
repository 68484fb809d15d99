//! The command line: arguments (clap) and one module per subcommand.
//! Each `run` returns the process exit status.

pub mod audit;
pub mod demo;
pub mod export;
pub mod import;
pub mod report;
pub mod show;
pub mod snapshot;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "huitoukan", version, about = "防止返贫监测“回头看”信息采集（终端版）", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Clone, Args, Default)]
pub struct Global {
    /// 数据库目录（默认：环境变量 HUITOUKAN_DB，否则数据目录下的 store）
    #[arg(long, global = true, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// 使用演示数据库（与正式数据分开存放，首次使用时自动生成）
    #[arg(long, global = true)]
    pub demo: bool,
    /// 记录为操作人的姓名（默认：登录用户名）
    #[arg(long, global = true, value_name = "NAME")]
    pub operator: Option<String>,
    /// 键位文件，按键覆盖默认键位
    #[arg(long, global = true, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// 用 +-| 画边框（适合把制表符显示成双宽的终端）
    #[arg(long, global = true)]
    pub ascii: bool,
}

impl Global {
    /// The store this invocation works on.
    pub fn store_path(&self) -> PathBuf {
        match (&self.db, self.demo) {
            (Some(p), _) => p.clone(),
            (None, true) => crate::paths::demo_store(),
            (None, false) => crate::paths::default_store(),
        }
    }

    pub fn operator(&self) -> String {
        self.operator.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(crate::model::login_user)
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
