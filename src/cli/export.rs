//! `huitoukan export FILE`: one row per household, for Excel.

use super::Global;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// 导出文件
    pub file: PathBuf,
    /// 格式：csv 或 xlsx（默认按文件扩展名）
    #[arg(long)]
    pub format: Option<String>,
    /// 只导出这个乡镇
    #[arg(long)]
    pub township: Option<String>,
    /// 只导出这个村
    #[arg(long)]
    pub village: Option<String>,
    /// 只导出这个状态：未填、草稿、已提交
    #[arg(long)]
    pub state: Option<String>,
}

pub fn run(_global: &Global, _args: &ExportArgs) -> anyhow::Result<i32> {
    anyhow::bail!("导出功能正在开发中")
}
