//! `huitoukan clerk add|list|remove`: who may use a shared store.

use super::Global;
use crate::access::{Clerk, PlaceScope, Role};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// 登记（或修改）一名经办人员：本机登录名、姓名、负责范围、角色
    Add {
        #[command(flatten)]
        store: super::StoreArgs,
        /// 本机登录名（SSH 登录时用的用户名）
        login: String,
        /// 姓名，记入修改记录
        #[arg(long)]
        name: String,
        /// 负责范围：乡镇，或 乡镇/村；可写多次。不写：全部乡镇
        #[arg(long, value_name = "乡镇[/村]")]
        scope: Vec<String>,
        /// 录入、审核 或 管理
        #[arg(long, default_value = "录入")]
        role: String,
    },
    /// 列出已登记的经办人员
    List {
        #[command(flatten)]
        store: super::StoreArgs,
    },
    /// 注销一名经办人员
    Remove {
        #[command(flatten)]
        store: super::StoreArgs,
        /// 本机登录名
        login: String,
    },
}

impl ClerkCommand {
    pub(super) fn name(&self) -> &'static str {
        match self {
            ClerkCommand::Add { .. } => "add",
            ClerkCommand::List { .. } => "list",
            ClerkCommand::Remove { .. } => "remove",
        }
    }

    pub(super) fn store_args(&self) -> &super::StoreArgs {
        match self {
            ClerkCommand::Add { store, .. } | ClerkCommand::List { store } | ClerkCommand::Remove { store, .. } => store,
        }
    }
}

pub fn run(global: &Global, cmd: &ClerkCommand) -> anyhow::Result<i32> {
    let backend = super::open_backend(global, "huitoukan clerk")?;
    match cmd {
        ClerkCommand::Add { login, name, scope, role, .. } => {
            let Some(role) = Role::parse(role) else {
                eprintln!("角色“{role}”不对，应为 录入、审核 或 管理。");
                return Ok(2);
            };
            let mut scopes = Vec::new();
            for s in scope {
                match PlaceScope::parse(s) {
                    Some(p) => scopes.push(p),
                    None => {
                        eprintln!("负责范围“{s}”不对，应写成 乡镇 或 乡镇/村，例如 石盘乡/石盘村。");
                        return Ok(2);
                    }
                }
            }
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                eprintln!("姓名不能为空，也不能有控制字符。");
                return Ok(2);
            }
            let towns = backend.township_names()?;
            if let Some(s) = scopes.iter().find(|s| !towns.contains(&s.township)) {
                eprintln!("注意：数据库里还没有“{}”的农户（检查一下名称；导入名单后即可生效）。", s.township);
            }
            crate::server::identity::check_login(login)?;
            let clerk = Clerk { login: login.clone(), name: name.trim().to_string(), role, scopes };
            backend.add_clerk(&clerk)?;
            println!(
                "已登记：{}（登录名 {}），角色 {}，负责 {}。",
                clerk.name,
                clerk.login,
                role.label(),
                crate::access::Access::of(&clerk).scope_label()
            );
            Ok(0)
        }
        ClerkCommand::List { .. } => {
            let clerks = backend.clerks()?;
            if clerks.is_empty() {
                println!("还没有登记经办人员：能连上数据服务的人都可以使用。登记第一名后，只有登记过的登录名才能使用。");
            }
            for c in &clerks {
                println!("{}\t{}\t{}\t{}", c.login, c.name, c.role.label(), crate::access::Access::of(c).scope_label());
            }
            Ok(0)
        }
        ClerkCommand::Remove { login, .. } => {
            if backend.remove_clerk(login)? {
                println!("已注销登录名 {login}。");
                Ok(0)
            } else {
                eprintln!("没有登记过登录名 {login}。");
                Ok(1)
            }
        }
    }
}
