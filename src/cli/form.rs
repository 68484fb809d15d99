//! `huitoukan form check FILE`: load a form file and list its problems.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum FormCommand {
    /// 检查一个表单文件（TOML）：列出每个问题及其所在行
    Check {
        /// 表单文件，如 forms/huitoukan-2021.toml
        file: PathBuf,
    },
}

impl FormCommand {
    pub fn name(&self) -> &'static str {
        match self {
            FormCommand::Check { .. } => "check",
        }
    }
}

pub fn run(cmd: &FormCommand) -> anyhow::Result<i32> {
    match cmd {
        FormCommand::Check { file } => {
            let name = file.display();
            let bytes = match std::fs::read(file) {
                Ok(b) => b,
                Err(e) => {
                    println!("读不出表单文件{name}：{}", crate::io::file::describe(&e));
                    return Ok(1);
                }
            };
            let Ok(text) = String::from_utf8(bytes) else {
                println!("{name}：表单文件应为UTF-8编码的文本");
                return Ok(1);
            };
            // A file of the handbook's checks across a household (疑点) has `[[checks]]`.
            let is_checks = text.lines().any(|l| l.trim() == "[[checks]]");
            if is_checks {
                return Ok(match crate::handbook::check_checks(&text) {
                    Ok(n) => {
                        println!("{name}：{n}条疑点检查，未发现问题");
                        0
                    }
                    Err(problems) => {
                        for p in &problems {
                            println!("{name}：{p}");
                        }
                        println!("{name}：共{}个问题", problems.len());
                        1
                    }
                });
            }
            // Checking first leaks nothing; a clean file is then compiled once for its summary.
            match crate::form::file::check(&text).and_then(|()| crate::form::file::load(&text)) {
                Ok(form) => {
                    println!("{name}：{}", crate::form::file::summary(form));
                    Ok(0)
                }
                Err(problems) => {
                    for p in &problems {
                        println!("{name}：{p}");
                    }
                    println!("{name}：共{}个问题", problems.len());
                    Ok(1)
                }
            }
        }
    }
}
