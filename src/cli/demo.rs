//! `huitoukan demo`: fill a store with deterministic demo data.

use super::Global;
use clap::Args;
use std::io::IsTerminal;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// 户数
    #[arg(long, default_value_t = 3000)]
    pub households: usize,
    /// 随机种子（相同种子生成相同数据）
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
}

/// Households in the demo store that `--demo` creates on first use.
pub const DEFAULT_HOUSEHOLDS: usize = 3000;

pub fn fill_default(store: &crate::store::Store) -> anyhow::Result<()> {
    crate::demo::fill(store, DEFAULT_HOUSEHOLDS, 2021, |_| {})?;
    Ok(())
}

pub fn run(global: &Global, args: &DemoArgs) -> anyhow::Result<i32> {
    let path = if global.db.is_some() { global.store_path() } else { crate::paths::demo_store() };
    let store = crate::store::Store::open_as(&path, "huitoukan demo")?;
    let have = store.household_count()?;
    if have > 0 {
        eprintln!("数据库 {} 里已有{have}户，不再生成。要重新生成，请换一个 --db 目录或先删除该目录。", path.display());
        return Ok(1);
    }
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    crate::demo::fill(&store, args.households, args.seed, |done| {
        if tty {
            eprint!("\r已生成 {done}/{} 户", args.households);
        }
    })?;
    if tty {
        eprintln!();
    }
    let places = store.places()?;
    let villages: usize = places.iter().map(|t| t.villages.len()).sum();
    println!(
        "演示数据库：{}\n{}户，{}个乡镇（街道），{}个村（社区），用时{:.1}秒",
        path.display(),
        args.households,
        places.len(),
        villages,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
