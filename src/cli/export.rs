//! `huitoukan export FILE`: one row per household, for Excel.

use super::import::ProgressLine;
use super::Global;
use crate::io::export::{self, Filter, Format};
use crate::model::FormState;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: super::StoreArgs,
    /// 导出文件（.csv 或 .xlsx）
    pub file: PathBuf,
    /// csv 或 xlsx（默认看扩展名：.xlsx 以外按 csv）
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// 只导出这个乡镇（街道）
    #[arg(long, value_name = "NAME")]
    pub township: Option<String>,
    /// 只导出这个村（社区）
    #[arg(long, value_name = "NAME")]
    pub village: Option<String>,
    /// 只导出这个状态：未填、草稿、已提交
    #[arg(long, value_parser = parse_state)]
    pub state: Option<FormState>,
    /// 只导出采集表，不导出监测手册的成员、措施、走访
    #[arg(long)]
    pub no_handbook: bool,
}

fn parse_format(text: &str) -> Result<Format, String> {
    Format::parse(text).ok_or_else(|| "格式应为 csv 或 xlsx".to_string())
}

fn parse_state(text: &str) -> Result<FormState, String> {
    FormState::parse(text).ok_or_else(|| "状态应为 未填、草稿 或 已提交".to_string())
}

pub fn run(global: &Global, args: &ExportArgs) -> anyhow::Result<i32> {
    let store = super::open_backend(global, "huitoukan export")?;
    let format = args.format.unwrap_or_else(|| Format::from_path(&args.file));
    let filter =
        Filter { township: args.township.clone(), village: args.village.clone(), state: args.state, skip_handbook: args.no_handbook };
    let mut line = ProgressLine::new();
    let result = export::export_via(&*store, &args.file, format, &filter, &mut |n| line.show(&format!("已导出 {n} 户")));
    line.done();
    let done = result?;
    let kind = match done.format {
        Format::Csv => "CSV，UTF-8带BOM",
        Format::Xlsx => "Excel，每张表一份表单，最后一张是按乡镇、村的汇总",
    };
    println!("已导出 {} 户到 {}（{}；文件只有本人可读）", done.rows, args.file.display(), kind);
    // The handbook's forms: their own sheets, or their own CSV files beside the first.
    for (title, n, path) in &done.entries {
        match path {
            Some(p) => println!("  {title}：{n}条，在 {}", p.display()),
            None => println!("  {title}：{n}条，在“{title}”表"),
        }
    }
    for p in &done.problems {
        println!("  注意：{}", crate::io::printable(p));
    }
    Ok(if done.problems.is_empty() { 0 } else { 3 })
}
