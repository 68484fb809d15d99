//! The command line: arguments (clap) and one module per subcommand.
//! Each `run` returns the process exit status.

pub mod audit;
pub mod clerk;
pub mod demo;
pub mod export;
pub mod import;
pub mod report;
pub mod serve;
pub mod show;
pub mod snapshot;

use crate::backend::Backend;
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
    /// 数据服务的套接字（默认：环境变量 HUITOUKAN_SOCKET，否则数据库目录旁的 <数据库>.sock）
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,
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
            operator: self.operator.clone().or_else(|| std::env::var("HUITOUKAN_OPERATOR").ok()),
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
    /// 数据服务：独占数据库，供多个程序（多名经办人员）同时使用
    Serve(serve::ServeArgs),
    /// 经办人员：登记、列出、注销（管理角色）
    Clerk {
        #[command(subcommand)]
        command: clerk::ClerkCommand,
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
    Ok(Box::new(crate::backend::Local::new(store, &global.operator())))
}

/// Opens the store for a command-line tool or the app, with the Chinese
/// message on failure; a damaged store's message names the newest automatic
/// snapshot and the command that restores it.
pub fn open_store(global: &Global, program: &str) -> anyhow::Result<crate::store::Store> {
    let path = global.store_path();
    let fresh_demo = global.demo && global.db.is_none() && !path.exists();
    match crate::store::Store::open_as(&path, program) {
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
        Err(e) => Err(e.into()),
    }
}

/// Prints an error the way every command does: Chinese, on stderr.
pub fn print_error(e: &anyhow::Error) {
    eprintln!("错误：{e}");
    for cause in e.chain().skip(1) {
        eprintln!("  原因：{cause}");
    }
}
