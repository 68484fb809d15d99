//! `huitoukan snapshot save|verify|restore FILE`.

use super::Global;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// 把整个数据库存成一个快照文件
    Save { file: PathBuf },
    /// 检查快照文件（不动数据库）
    Verify { file: PathBuf },
    /// 用快照替换数据库
    Restore {
        file: PathBuf,
        /// 不再询问，直接恢复
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(_global: &Global, _cmd: &SnapshotCommand) -> anyhow::Result<i32> {
    anyhow::bail!("快照功能正在开发中")
}
