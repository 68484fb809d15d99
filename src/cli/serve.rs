//! `huitoukan serve`: the store server (see [`crate::server`]).

use super::Global;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: super::StoreArgs,
    /// 最后一个程序退出多少秒后停止（不填：一直运行）
    #[arg(long, value_name = "秒")]
    pub idle_exit: Option<u64>,
    /// 套接字给用户组成员用（0660；不写：0600）
    #[arg(long)]
    pub group: bool,
    /// 采集表多少分钟没有动静就不再算“正在填写”
    #[arg(long, value_name = "分", default_value_t = 15)]
    pub lease_minutes: u64,
}

pub fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<i32> {
    let (config, warnings) = crate::config::Config::load();
    for w in warnings {
        eprintln!("{w}");
    }
    let opts = crate::server::Options {
        store: global.store_path(),
        socket: global.socket_path(),
        idle_exit: args.idle_exit.map(Duration::from_secs),
        group: args.group,
        lease_idle: Duration::from_secs(args.lease_minutes.max(1) * 60),
        backup: config.backup,
    };
    crate::server::serve(&opts)?;
    Ok(0)
}
