//! `huitoukan import FILE`: read a roster into the store.

use super::Global;
use crate::io::import::{self, Progress};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: super::StoreArgs,
    /// 名单文件（.csv 或 .xlsx）
    pub file: PathBuf,
    /// 只检查不写入：显示将新增、更新多少户，哪些行会被拒绝
    #[arg(long)]
    pub dry_run: bool,
    /// 把被拒绝的行写成CSV报告（行号、列、读到的值、原因）
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// 导入家庭成员名单（每人一行，按“户主证件号码”找户）
    #[arg(long)]
    pub members: bool,
}

/// `import --members FILE`: people into the handbook's 家庭成员.
fn run_members(global: &Global, args: &ImportArgs) -> anyhow::Result<i32> {
    use crate::io::import::describe_rejection;
    let roster = crate::io::members::read(&args.file)?;
    let store = super::report::open_existing(global, "huitoukan import")?;
    let form = crate::io::members::form().reference();
    let rows: Vec<(String, crate::model::Answers)> = roster.rows.iter().map(|r| (r.head_id.clone(), r.answers.clone())).collect();
    let outcome =
        if rows.is_empty() { crate::store::EntriesOutcome::default() } else { store.upsert_entries(&form, &rows, args.dry_run)? };
    let mut rejected = roster.rejected.clone();
    for (i, why) in &outcome.refused {
        if let Some(r) = roster.rows.get(*i) {
            rejected.push(crate::io::roster::Rejection {
                row: r.row,
                code: "",
                column: String::new(),
                value: String::new(),
                reason: why.clone(),
            });
        }
    }
    rejected.sort_by_key(|r| r.row);
    println!("家庭成员名单：{}（{}），数据 {} 行", args.file.display(), roster.source.describe(), roster.data_rows);
    if !roster.unknown_columns.is_empty() {
        println!("未识别的列（已忽略）：{}", roster.unknown_columns.join("、"));
    }
    let mut rows_rejected: Vec<usize> = rejected.iter().map(|r| r.row).collect();
    rows_rejected.dedup();
    let filed = outcome.added + outcome.updated + outcome.unchanged;
    println!("可导入 {filed} 行，拒绝 {} 行", rows_rejected.len());
    for r in rejected.iter().take(SHOWN) {
        println!("  {}", describe_rejection(r));
    }
    if rejected.len() > SHOWN && args.report.is_none() {
        println!("  ……还有 {} 条，完整列表请加 --report 文件名.csv 写成报告", rejected.len() - SHOWN);
    }
    if args.dry_run {
        println!(
            "试运行，数据库没有改动。正式导入将新增 {} 人，更新 {} 人，{} 人不变。",
            outcome.added, outcome.updated, outcome.unchanged
        );
    } else if outcome.added + outcome.updated > 0 {
        println!("已导入：新增 {} 人，更新 {} 人，{} 人不变；每项都记入了修改记录。", outcome.added, outcome.updated, outcome.unchanged);
    } else if filed > 0 {
        println!("名单里的人都已在数据库中，没有改动。");
    } else {
        println!("没有可导入的行，数据库没有改动。请按上面的原因改正名单后再导入。");
    }
    if let Some(path) = &args.report {
        crate::io::import::write_report(path, &rejected)
            .map_err(|e| anyhow::anyhow!("无法写入报告 {}：{}", path.display(), crate::io::file::describe(&e)))?;
        println!("被拒绝的行（{} 条）已写入 {}", rejected.len(), path.display());
    }
    Ok(match (filed, rejected.is_empty()) {
        (_, true) => 0,
        (0, false) => 1,
        (_, false) => 3,
    })
}

/// Rejections printed on the terminal; the rest go to `--report`.
const SHOWN: usize = 30;

/// A one-line progress counter on stderr, only when stderr is a terminal.
pub(crate) struct ProgressLine {
    tty: bool,
    shown: bool,
}

impl ProgressLine {
    pub(crate) fn new() -> Self {
        ProgressLine { tty: std::io::stderr().is_terminal(), shown: false }
    }

    pub(crate) fn show(&mut self, text: &str) {
        if self.tty {
            eprint!("\r{text}\x1b[K");
            self.shown = true;
        }
    }

    pub(crate) fn done(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}

pub fn run(global: &Global, args: &ImportArgs) -> anyhow::Result<i32> {
    // A roster that is missing, not a regular file or too large is refused
    // before any store is opened (or created, or locked while it is read).
    crate::io::roster::check_file(&args.file)?;
    if args.members {
        return run_members(global, args);
    }
    let mut line = ProgressLine::new();
    let mut progress = |p: Progress| match p {
        Progress::Checking(n) => line.show(&format!("已检查 {n} 行")),
        Progress::Writing(n) => line.show(&format!("正在把 {n} 户写入数据库……")),
    };
    let operator = global.operator().unwrap_or_else(|| {
        eprintln!("{}。", super::NO_OPERATOR);
        crate::model::UNKNOWN_OPERATOR.to_string()
    });
    let path = global.store_path();
    // A running store server takes the import (管理 only; the clerk is who the server says).
    let server = crate::server::Client::connect(global.connect(false))?;
    // With no store yet, the roster is read first: a dry run, a roster
    // that is refused or one without a single good row leaves no store behind.
    let fresh = matches!(crate::store::inspect(&path), crate::store::Found::Missing | crate::store::Found::Empty);
    let result = if let Some(client) = &server {
        import::import_via(client, &args.file, args.dry_run, &mut progress)
    } else if fresh {
        match import::check_only(&args.file, &mut progress) {
            Ok(report) if !args.dry_run && !report.roster.rows.is_empty() => {
                let store = super::open_or_create_store(global, "huitoukan import")?;
                println!("已新建数据库 {}（只有本人可读写）", store.path().display());
                import::apply(&store, report.roster, &operator, false, &mut progress)
            }
            other => other,
        }
    } else {
        let store = if args.dry_run {
            super::open_store(global, "huitoukan import")?
        } else {
            super::open_or_create_store(global, "huitoukan import")?
        };

        import::import(&store, &args.file, &operator, args.dry_run, &mut progress)
    };
    line.done();
    let report = result?;
    let roster = &report.roster;
    println!("名单：{}（{}），数据 {} 行", args.file.display(), roster.source.describe(), roster.data_rows);
    if !roster.unknown_columns.is_empty() {
        println!("未识别的列（已忽略）：{}", roster.unknown_columns.join("、"));
    }
    let rejected_rows = roster.rejected_rows();
    println!("可导入 {} 行，拒绝 {} 行", report.imported(), rejected_rows);
    for r in roster.rejected.iter().take(SHOWN) {
        println!("  {}", import::describe_rejection(r));
    }
    if roster.rejected.len() > SHOWN && args.report.is_none() {
        println!("  ……还有 {} 条，完整列表请加 --report 文件名.csv 写成报告", roster.rejected.len() - SHOWN);
    }
    let o = report.outcome;
    if report.dry_run {
        println!("试运行，数据库没有改动。正式导入将新增 {} 户，更新 {} 户，{} 户不变。", o.added, o.updated, o.unchanged);
    } else if report.imported() > 0 {
        println!("已导入：新增 {} 户，更新 {} 户，{} 户不变。", o.added, o.updated, o.unchanged);
        if o.updated > 0 {
            println!("更新的户只改了基础信息：采集表的答案都保留着，每项改动都记入了审计日志，这些户需要重新核实。");
        }
    } else {
        println!("没有可导入的行，数据库没有改动。请按上面的原因改正名单后再导入。");
    }
    if let Some(path) = &args.report {
        import::write_report(path, &roster.rejected)
            .map_err(|e| anyhow::anyhow!("无法写入报告 {}：{}", path.display(), crate::io::file::describe(&e)))?;
        println!("被拒绝的行（{} 条）已写入 {}", roster.rejected.len(), path.display());
    }
    Ok(report.exit_code())
}
