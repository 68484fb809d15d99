//! `huitoukan audit verify`: check the audit log's hash chain.

use super::Global;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// 检查审计日志是否被程序以外的方式改动过
    Verify {
        #[command(flatten)]
        store: super::StoreArgs,
    },
}

pub fn run(global: &Global, cmd: &AuditCommand) -> anyhow::Result<i32> {
    match cmd {
        AuditCommand::Verify { .. } => {
            let store = super::open_backend(global, "huitoukan audit verify")?;
            let check = store.verify_audit()?;
            match check.first_broken {
                None => {
                    println!("审计日志完整：共{}条，链条无断点。", check.entries);
                    Ok(0)
                }
                Some(seq) => {
                    println!(
                        "审计日志被改动过：第{seq}条记录的链接对不上（之前{}条完好）。该条或它前一条记录在程序之外被修改或删除过。",
                        check.entries
                    );
                    Ok(1)
                }
            }
        }
    }
}
