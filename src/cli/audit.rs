//! `huitoukan audit verify`: check the audit log's hash chain.

use super::Global;
use crate::store::RecordsCheck;
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
            let records = store.verify_records()?;
            let mut code = 0;
            match check.first_broken {
                None => println!("审计日志完整：共{}条，链条无断点。", check.entries),
                Some(seq) => {
                    println!(
                        "审计日志被改动过：第{seq}条记录的链接对不上（之前{}条完好）。该条或它前一条记录在程序之外被修改或删除过。",
                        check.entries
                    );
                    code = 1;
                }
            }
            match records {
                RecordsCheck::Match => println!("户信息、采集表和监测手册记录与最后一次保存时记下的摘要一致。"),
                RecordsCheck::RecordsDiffer => {
                    println!("户信息、采集表或监测手册记录在程序之外被改动过：现有记录与最后一次保存时记下的摘要对不上。");
                    code = 1;
                }
                RecordsCheck::HeadDiffers => {
                    println!("审计日志的末尾被截掉或日志头被改写过：最后一次保存时记下的摘要属于另一个日志头。");
                    code = 1;
                }
                RecordsCheck::NotRecorded => {
                    println!("这个数据库由旧版本写入，还没有记录摘要：下次保存后才能检查户信息和采集表。")
                }
            }
            println!(
                "说明：这项检查能发现在程序之外对记录或审计日志的改动（包括删掉日志末尾几条再改写日志头）；\
                 不能发现熟悉本程序数据格式、同时重新计算了链条和摘要的人所做的改动，\
                 也不能证明录入的内容本身是真实的。需要更强的保证时，请把自动快照另外保存一份。"
            );
            Ok(code)
        }
    }
}
