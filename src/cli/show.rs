//! `huitoukan show QUERY`: answer "what is the status of household X?".

use super::Global;
use clap::Args;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// 完整证件号码、其后4位以上数字、姓名或拼音首字母
    pub query: String,
    /// 输出JSON
    #[arg(long)]
    pub json: bool,
    /// 显示完整证件号码
    #[arg(long)]
    pub full_id: bool,
}

pub fn run(_global: &Global, _args: &ShowArgs) -> anyhow::Result<i32> {
    anyhow::bail!("查询功能正在开发中")
}
