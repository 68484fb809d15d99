//! `huitoukan snapshot save|verify|restore FILE`.

use super::Global;
use crate::io::snapshot::{self, RestoreOptions};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// 把整个数据库存成一个快照文件
    Save {
        #[command(flatten)]
        store: super::StoreArgs,
        /// 快照文件（新建，只有本人可读写）
        file: PathBuf,
    },
    /// 检查快照文件（不动数据库）
    Verify {
        /// 快照文件
        file: PathBuf,
    },
    /// 用快照替换数据库（原数据库改名保留在旁边）
    Restore {
        #[command(flatten)]
        store: super::StoreArgs,
        /// 快照文件（先检查，完好才恢复）
        file: PathBuf,
        /// 不再询问，直接恢复
        #[arg(long)]
        yes: bool,
    },
}

impl SnapshotCommand {
    pub(super) fn name(&self) -> &'static str {
        match self {
            SnapshotCommand::Save { .. } => "save",
            SnapshotCommand::Verify { .. } => "verify",
            SnapshotCommand::Restore { .. } => "restore",
        }
    }

    /// `verify` reads only the file.
    pub(super) fn store_args(&self) -> Option<&super::StoreArgs> {
        match self {
            SnapshotCommand::Save { store, .. } | SnapshotCommand::Restore { store, .. } => Some(store),
            SnapshotCommand::Verify { .. } => None,
        }
    }
}

pub fn run(global: &Global, cmd: &SnapshotCommand) -> anyhow::Result<i32> {
    match cmd {
        SnapshotCommand::Save { file, .. } => {
            crate::io::file::refuse_inside_store(file).map_err(|e| anyhow::anyhow!("快照没有保存：{}", crate::io::file::describe(&e)))?;
            let store = super::open_backend(global, "huitoukan snapshot save")?;
            let info = snapshot::save_via(&*store, file)?;
            println!("快照已保存到 {}（只有本人可读）\n  {}", file.display(), info.describe());
            Ok(0)
        }
        SnapshotCommand::Verify { file } => {
            let info = snapshot::verify(file)?;
            println!("快照完好：{}\n  {}", file.display(), info.describe());
            Ok(0)
        }
        SnapshotCommand::Restore { file, yes, .. } => restore(global, file, *yes),
    }
}

fn restore(global: &Global, file: &std::path::Path, yes: bool) -> anyhow::Result<i32> {
    let info = snapshot::verify(file)?;
    let store = global.store_path();
    println!("快照完好：{}\n  {}", file.display(), info.describe());
    if store.exists() {
        println!("将用它替换数据库 {}；原数据库会改名保留在同一目录下。", store.display());
    } else {
        println!("数据库 {} 还不存在，将由快照新建。", store.display());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!("没有终端可以确认，数据库没有改动。确认要恢复的话，请加 --yes 再运行。");
        }
        eprint!("确认恢复吗？请输入“是”或 yes 确认，其他任何输入取消：");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "是" | "y" | "Y" | "yes" | "YES" | "Yes") {
            println!("已取消，数据库没有改动。");
            return Ok(1);
        }
    }
    stop_server(global)?;
    let done = snapshot::restore(file, &store, RestoreOptions::default())?;
    println!("已恢复：数据库 {} 现在是 {} 的快照（{}户）。", store.display(), done.info.created, done.info.households);
    if let Some(why) = &done.replaced_unreadable {
        println!("原数据库无法打开（{why}），已被替换。");
    }
    if let Some(prev) = &done.previous {
        let count = done.replaced_households.map(|n| format!("{n}户，")).unwrap_or_default();
        println!("原数据库（{count}未删除）已改名为 {}；确认新数据无误后可以删除它。", prev.display());
    }
    Ok(0)
}

/// A restore needs the store to itself: a running store server is asked to
/// stop (管理 only) and waited for. Programs connected to it say that the
/// connection dropped and reconnect once the restore is done.
fn stop_server(global: &Global) -> anyhow::Result<()> {
    let Some(client) = crate::server::Client::connect(global.connect(false))? else { return Ok(()) };
    println!("数据服务正在运行，先让它停下（已连接的程序会提示断开，恢复完成后自动重连）……");
    client.shutdown_server()?;
    drop(client);
    let started = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(global.socket_path()).is_ok() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            anyhow::bail!("数据服务30秒内没有停下，数据库没有改动。请稍后再试");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(())
}
