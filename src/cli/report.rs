//! `huitoukan report`: progress and work-summary figures.

use super::Global;
use clap::Args;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// 只统计这个乡镇
    #[arg(long)]
    pub township: Option<String>,
    /// 格式：text、csv 或 json
    #[arg(long, default_value = "text")]
    pub format: String,
}

pub fn run(_global: &Global, _args: &ReportArgs) -> anyhow::Result<i32> {
    anyhow::bail!("统计报表功能正在开发中")
}
