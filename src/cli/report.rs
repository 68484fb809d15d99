//! `huitoukan report`: progress and work-summary figures.

use super::Global;
use crate::backend::Backend;
use crate::report::Scope;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// 80列文本
    Text,
    /// CSV（UTF-8带BOM，Excel可直接打开）
    Csv,
    /// JSON（供脚本使用）
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: super::StoreArgs,
    /// 只统计这个乡镇
    #[arg(long, value_name = "NAME")]
    pub township: Option<String>,
    /// 只统计这个村（与 --township 一起用）
    #[arg(long, requires = "township", value_name = "NAME")]
    pub village: Option<String>,
    /// 格式：text、csv 或 json
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// 写入这个文件（只有本人可读写）；不写则输出到屏幕
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// 按季调度（如 2021Q2）：走访、帮扶措施、疑点，按村、乡镇、全县
    #[arg(long, value_name = "2021Q2", value_parser = parse_quarter)]
    pub quarter: Option<crate::quarter::Quarter>,
    /// 列出有疑点的户（监测手册各表之间对不上的地方），按村排列
    #[arg(long, conflicts_with = "quarter")]
    pub doubts: bool,
}

/// `report --doubts`: the households with open 疑点, for a reviewer.
fn run_doubts(store: &dyn Backend, args: &ReportArgs, scope: &Scope) -> anyhow::Result<i32> {
    let round = store.round();
    let as_of = crate::handbook::as_of(&round);
    let list = crate::quarter::doubtful(store, scope, as_of)?;
    if list.is_empty() {
        if let Some(msg) = unknown_place(store, scope)? {
            eprintln!("{msg}");
            return Ok(1);
        }
    }
    let mut bytes = Vec::new();
    match args.format {
        Format::Text => {
            bytes.extend_from_slice(format!("有疑点的户：{}户（截至{as_of}）\n", list.len()).as_bytes());
            for d in &list {
                bytes.extend_from_slice(format!("{} {} {}（{}）\n", d.township, d.village, d.head, d.id_number).as_bytes());
                for m in &d.doubts {
                    bytes.extend_from_slice(format!("  · {m}\n").as_bytes());
                }
            }
        }
        Format::Csv => {
            bytes.extend_from_slice(crate::io::BOM);
            let mut w = csv::Writer::from_writer(&mut bytes);
            crate::io::write_csv_record(&mut w, &["乡镇", "村", "户主姓名", "户主证件号码", "疑点"].map(String::from))?;
            for d in &list {
                crate::io::write_csv_record(
                    &mut w,
                    &[d.township.clone(), d.village.clone(), d.head.clone(), d.id_number.clone(), d.doubts.join("；")],
                )?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut bytes, &list)?;
            bytes.push(b'\n');
        }
    }
    write_out(&args.output, &bytes, |path| format!("有疑点的{}户已写入 {}", list.len(), path.display()))
}

fn parse_quarter(text: &str) -> Result<crate::quarter::Quarter, String> {
    crate::quarter::Quarter::parse(text).ok_or_else(|| format!("季度“{text}”应写成年份加Q加1至4，如 2021Q2"))
}

/// `report --quarter`: the handbook's figures for one quarter.
fn run_quarter(store: &dyn Backend, args: &ReportArgs, scope: &Scope, q: &crate::quarter::Quarter) -> anyhow::Result<i32> {
    let report = crate::quarter::compute(store, scope, q)?;
    let households = report.rows.last().map_or(0, |r| r.figures.households);
    if households == 0 {
        if let Some(msg) = unknown_place(store, scope)? {
            eprintln!("{msg}");
            return Ok(1);
        }
    }
    let mut bytes = Vec::new();
    match args.format {
        Format::Text => bytes.extend_from_slice(report.text().as_bytes()),
        Format::Csv => {
            bytes.extend_from_slice(crate::io::BOM);
            let mut w = csv::Writer::from_writer(&mut bytes);
            crate::io::write_csv_record(&mut w, &report.header())?;
            for row in &report.rows {
                crate::io::write_csv_record(&mut w, &report.cells(row))?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut bytes, &report)?;
            bytes.push(b'\n');
        }
    }
    write_out(&args.output, &bytes, |path| format!("{}按季调度已写入 {}（{households}户）", q.label, path.display()))
}

/// Opens a store that must already exist: reading a mistyped path should say
/// so, not create an empty store there.
pub(super) fn open_existing(global: &Global, program: &str) -> anyhow::Result<Box<dyn Backend>> {
    // A clerk on an office server cannot see the store's folder, only its server.
    if let Some(client) = crate::server::Client::connect(global.connect(false))? {
        return Ok(Box::new(client));
    }
    super::open_backend(global, program)
}

/// Writes a report to `output` (owner-only; `done` says where, on stderr), or to stdout.
fn write_out(output: &Option<PathBuf>, bytes: &[u8], done: impl FnOnce(&Path) -> String) -> anyhow::Result<i32> {
    match output {
        Some(path) => {
            let mut f = create_private(path)
                .map_err(|e| anyhow::anyhow!("无法写入 {}：{e}。请检查目录是否存在、是否有写权限。", path.display()))?;
            f.write_all(bytes)?;
            eprintln!("{}", done(path));
        }
        None => print_out(bytes)?,
    }
    Ok(0)
}

/// Creates (or truncates) `path` readable and writable by the owner only.
pub(super) fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    crate::io::file::refuse_inside_store(path)?;
    let f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // An existing file keeps its old mode on open; narrow it too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
pub(super) fn print_out(bytes: &[u8]) -> anyhow::Result<()> {
    // Stored text is cleaned at import and entry; what an older release let
    // in is still never printed raw.
    let cleaned = std::str::from_utf8(bytes).ok().map(crate::io::printable);
    let bytes = cleaned.as_deref().map_or(bytes, str::as_bytes);
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub fn run(global: &Global, args: &ReportArgs) -> anyhow::Result<i32> {
    let store = open_existing(global, "huitoukan report")?;
    let scope = Scope { township: args.township.clone(), village: args.village.clone() };
    if let Some(q) = &args.quarter {
        return run_quarter(&*store, args, &scope, q);
    }
    if args.doubts {
        return run_doubts(&*store, args, &scope);
    }
    let report = store.report(&scope)?;
    if report.households == 0 {
        if let Some(msg) = unknown_place(&*store, &scope)? {
            eprintln!("{msg}");
            return Ok(1);
        }
    }
    let mut bytes = Vec::new();
    match args.format {
        Format::Text => bytes.extend_from_slice(report.to_text().as_bytes()),
        Format::Csv => report.write_csv(&mut bytes)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut bytes, &report.to_json())?;
            bytes.push(b'\n');
        }
    }
    write_out(&args.output, &bytes, |path| format!("统计报表已写入 {}（{}户）", path.display(), report.households))
}

/// The message for a township or village that the store does not have.
fn unknown_place(store: &dyn Backend, scope: &Scope) -> anyhow::Result<Option<String>> {
    let Some(t) = &scope.township else { return Ok(None) };
    let names = store.township_names()?;
    if !names.contains(t) {
        let known = if names.is_empty() { "（数据库中还没有任何乡镇）".to_string() } else { names.join("、") };
        return Ok(Some(format!("没有“{t}”这个乡镇（街道）。请照下列名称重新输入：{known}")));
    }
    let Some(v) = &scope.village else { return Ok(None) };
    let whole = store.report(&Scope { township: Some(t.clone()), village: None })?;
    let villages: Vec<&str> = whole.townships.values().flat_map(|t| t.villages.keys().map(String::as_str)).collect();
    Ok(Some(format!("{t}没有“{v}”这个村（社区）。请照下列名称重新输入：{}", villages.join("、"))))
}
