//! `huitoukan import FILE`: read a roster into the store.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// 名单文件（.csv 或 .xlsx）
    pub file: PathBuf,
    /// 只检查，不写入数据库
    #[arg(long)]
    pub dry_run: bool,
    /// 把被拒绝的行写成CSV报告
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

pub fn run(_global: &Global, _args: &ImportArgs) -> anyhow::Result<i32> {
    anyhow::bail!("导入功能正在开发中")
}
