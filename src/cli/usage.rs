//! The command line in Chinese: clap's help headings and flags, and its
//! usage errors mapped kind by kind to a message that says what is wrong and
//! what to do (exit status 2, like clap's).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches};
use std::ffi::OsString;

/// The app's own options (see `AppArgs`), refused after a subcommand.
const APP_ONLY: [&str; 2] = ["--keymap", "--ascii"];

/// What parsing did instead of giving arguments.
#[derive(Debug)]
pub enum UsageError {
    /// Help or the version, asked for: print on stdout, exit 0.
    Show(String),
    /// A usage error, already in Chinese: print on stderr, exit 2.
    Wrong(String),
}

const HELP_TEMPLATE: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// Parses `args` with the Chinese command tree.
pub(super) fn parse<P, I, T>(args: I) -> Result<P, UsageError>
where
    P: CommandFactory + FromArgMatches,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = localize(P::command(), true);
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `huitoukan help [COMMAND…]` is `huitoukan [COMMAND…] --help` (clap's
    // own help subcommand would describe itself in English).
    if args.get(1).is_some_and(|a| a == "help") {
        args.remove(1);
        args.push("--help".into());
    }
    let matches = cmd.try_get_matches_from_mut(args).map_err(from_clap)?;
    P::from_arg_matches(&matches).map_err(from_clap)
}

/// Chinese headings, help and version flags, on the command and every subcommand.
fn localize(mut cmd: clap::Command, top: bool) -> clap::Command {
    let ids: Vec<(String, bool)> = cmd.get_arguments().map(|a| (a.get_id().to_string(), a.is_positional())).collect();
    for (id, positional) in ids {
        cmd = cmd.mut_arg(id, |a| a.help_heading(if positional { "参数" } else { "选项" }));
    }
    cmd = cmd
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("子命令")
        .subcommand_value_name("子命令")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::Help).help("显示这份说明").help_heading("选项"));
    if top {
        cmd = cmd
            .disable_version_flag(true)
            .arg(Arg::new("version").short('V').long("version").action(ArgAction::Version).help("显示版本号").help_heading("选项"));
    }
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, |s| localize(s, false));
    }
    cmd
}

/// clap's placeholders in a usage line, in Chinese.
fn chinese_usage(text: &str) -> String {
    text.replace("[OPTIONS]", "[选项]").replace("<COMMAND>", "<子命令>").replace("[COMMAND]", "[子命令]")
}

/// A help page with clap's remaining English in Chinese.
fn chinese_help(text: &str) -> String {
    chinese_usage(text)
        .replace("[default: ", "[默认 ")
        .replace("[possible values: ", "[可写 ")
        .replace("Possible values:", "可写的值：")
        .replace(":\n", "：\n")
}

fn text(v: Option<&ContextValue>) -> String {
    match v {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("、"),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The usage line clap would print, without its `Usage: ` heading.
fn usage_of(e: &clap::Error) -> Option<String> {
    let usage = text(e.get(ContextKind::Usage));
    let usage = usage.trim();
    let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
    (!usage.is_empty()).then(|| chinese_usage(usage))
}

/// `huitoukan show` from `huitoukan show [选项] <QUERY>`.
fn command_of(usage: &str) -> String {
    usage.split_whitespace().take_while(|w| !w.starts_with(['[', '<', '-'])).collect::<Vec<_>>().join(" ")
}

/// The whole message: what is wrong, the usage line, where the help is.
fn message(what: &str, usage: Option<&str>) -> String {
    let mut out = format!("用法有误：{what}");
    if let Some(u) = usage {
        out.push_str(&format!("\n用法：{u}\n完整说明：{} --help", command_of(u)));
    }
    out
}

/// A usage error found after clap, for `huitoukan <command>`.
pub(super) fn wrong(what: &str, command: &str) -> UsageError {
    let usage = format!("huitoukan {command} [选项] …");
    UsageError::Wrong(message(what, Some(&usage)))
}

/// Maps clap's error kinds to Chinese.
pub(super) fn from_clap(e: clap::Error) -> UsageError {
    let arg = text(e.get(ContextKind::InvalidArg).or(e.get(ContextKind::InvalidSubcommand)));
    let value = text(e.get(ContextKind::InvalidValue));
    let suggest = |e: &clap::Error| {
        let s = text(e.get(ContextKind::SuggestedArg));
        let s = if s.is_empty() { text(e.get(ContextKind::SuggestedSubcommand)) } else { s };
        if s.is_empty() {
            String::new()
        } else {
            format!("是不是要写 {s}？")
        }
    };
    let what = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return UsageError::Show(chinese_help(&e.render().to_string())),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `huitoukan snapshot`: the help of that command, as a usage error.
            return UsageError::Wrong(format!("用法有误：缺少子命令。\n\n{}", chinese_help(&e.render().to_string())));
        }
        ErrorKind::UnknownArgument if APP_ONLY.iter().any(|o| arg == *o || arg.starts_with(&format!("{o}="))) => {
            format!("{} 只在打开程序时有用（不带子命令），这里不用它。请去掉它。", arg.split('=').next().unwrap_or(&arg))
        }
        ErrorKind::UnknownArgument if arg.starts_with('-') => format!("没有 {arg} 这个选项。{}", suggest(&e)),
        ErrorKind::UnknownArgument => format!("多出了“{arg}”：这里不需要它。{}", suggest(&e)),
        ErrorKind::InvalidSubcommand => {
            let s = suggest(&e);
            let s = if s.is_empty() { "全部子命令见 huitoukan --help。".to_string() } else { s };
            format!("没有 {arg} 这个子命令。{s}")
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 后面要写一个值。"),
        ErrorKind::InvalidValue => {
            let valid = text(e.get(ContextKind::ValidValue));
            let valid = if valid.is_empty() { String::new() } else { format!("可以写：{valid}。") };
            format!("{arg} 的值“{value}”不对。{valid}")
        }
        ErrorKind::ValueValidation => {
            // Our own value parsers say why in Chinese; the standard ones (numbers) in English.
            let why = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default();
            let why = if why.is_ascii() { "格式不对".to_string() } else { why };
            let hint = if why == "格式不对" { "（数量、种子等要写不带符号的整数）" } else { "" };
            format!("{arg} 的值“{value}”不对：{why}{hint}。")
        }
        ErrorKind::MissingRequiredArgument => format!("缺少 {arg}。"),
        ErrorKind::MissingSubcommand => "缺少子命令。".to_string(),
        ErrorKind::ArgumentConflict => {
            let other = text(e.get(ContextKind::PriorArg));
            if other.is_empty() || other == arg {
                format!("{arg} 只能写一次。")
            } else {
                format!("{arg} 和 {other} 不能一起用，请只写其中一个。")
            }
        }
        ErrorKind::NoEquals | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!("{arg} 后面要写一个值。"),
        ErrorKind::TooManyValues => format!("{arg} 只要一个值，多出了“{value}”。"),
        ErrorKind::InvalidUtf8 => "参数里有不是 UTF-8 的文字。请检查终端的字符编码。".to_string(),
        _ => "命令行读不懂。".to_string(),
    };
    UsageError::Wrong(message(what.trim_end(), usage_of(&e).as_deref()))
}

#[cfg(test)]
mod tests {
    use super::super::Cli;
    use super::UsageError;

    fn wrong(args: &[&str]) -> String {
        match Cli::try_parse_from(std::iter::once("huitoukan").chain(args.iter().copied())) {
            Err(UsageError::Wrong(text)) => text,
            other => panic!("{args:?} should be a usage error, got {other:?}"),
        }
    }

    fn help(args: &[&str]) -> String {
        match Cli::try_parse_from(std::iter::once("huitoukan").chain(args.iter().copied())) {
            Err(UsageError::Show(text)) => text,
            other => panic!("{args:?} should show help, got {other:?}"),
        }
    }

    #[test]
    fn every_kind_of_usage_error_is_chinese_and_says_what_to_do() {
        let cases: &[(&[&str], &str)] = &[
            (&["--frobnicate"], "没有 --frobnicate 这个选项"),
            (&["show", "张三", "--jsn"], "是不是要写 --json"),
            (&["shwo", "张三"], "是不是要写 show"),
            (&["bogus"], "没有 bogus 这个子命令"),
            (&["report", "--format", "xml"], "可以写：text、csv、json"),
            (&["demo", "--households", "many"], "“many”不对"),
            (&["export", "x.csv", "--state", "完成"], "状态应为"),
            (&["show"], "缺少 <QUERY>"),
            (&["show", "a", "b"], "多出了“b”"),
            (&["--db"], "--db <DIR> 后面要写一个值"),
            (&["--db", "/tmp/x", "--demo"], "不能一起用"),
            (&["show", "张三", "--keymap", "k.toml"], "--keymap 只在打开程序时有用"),
            (&["report", "--ascii"], "--ascii 只在打开程序时有用"),
            (&["--keymap", "k.toml", "show", "张三"], "--keymap 只在打开程序时有用"),
            (&["--ascii", "report"], "--ascii 只在打开程序时有用"),
            (&["demo", "--demo"], "没有 --demo 这个选项"),
            (&["--demo", "demo"], "--demo 对 demo 没有用"),
            (&["--db", "/tmp/x", "snapshot", "verify", "f"], "--db 对 snapshot verify 没有用"),
            (&["--db", "/a", "report", "--db", "/b"], "只写在一处"),
        ];
        for (args, expect) in cases {
            let text = wrong(args);
            assert!(text.starts_with("用法有误："), "{args:?}: {text}");
            assert!(text.contains(expect), "{args:?}: expected {expect:?} in\n{text}");
            assert!(
                !text.contains("error:") && !text.contains("Usage:") && !text.contains("For more"),
                "{args:?}: English left in\n{text}"
            );
        }
        // The usage line and where the full help is.
        let text = wrong(&["show"]);
        assert!(text.contains("用法：huitoukan show <QUERY>") && text.contains("完整说明：huitoukan show --help"), "{text}");
    }

    #[test]
    fn help_as_a_word_shows_the_same_help() {
        assert_eq!(help(&["help"]), help(&["--help"]));
        assert_eq!(help(&["help", "snapshot", "restore"]), help(&["snapshot", "restore", "--help"]));
    }

    #[test]
    fn store_options_before_the_subcommand_reach_it() {
        let cli = Cli::try_parse_from(["huitoukan", "--db", "/tmp/s", "--operator", "李四", "report"]).unwrap();
        assert_eq!(cli.global.db.as_deref(), Some(std::path::Path::new("/tmp/s")));
        assert_eq!(cli.global.operator.as_deref(), Some("李四"));
        let cli = Cli::try_parse_from(["huitoukan", "import", "a.csv", "--db", "/tmp/s"]).unwrap();
        assert_eq!(cli.global.db.as_deref(), Some(std::path::Path::new("/tmp/s")));
        let cli = Cli::try_parse_from(["huitoukan", "--demo", "show", "zs"]).unwrap();
        assert!(cli.global.demo);
        let cli = Cli::try_parse_from(["huitoukan", "--db", "/tmp/d", "demo", "--households", "5"]).unwrap();
        assert_eq!(cli.global.db.as_deref(), Some(std::path::Path::new("/tmp/d")));
        let cli = Cli::try_parse_from(["huitoukan", "--keymap", "k.toml", "--ascii"]).unwrap();
        assert!(cli.global.ascii && cli.global.keymap.is_some() && cli.command.is_none());
    }

    #[test]
    fn help_is_chinese_and_each_command_lists_only_its_own_options() {
        let top = help(&["--help"]);
        let commands: &[&[&str]] = &[
            &[],
            &["demo"],
            &["import"],
            &["export"],
            &["snapshot"],
            &["snapshot", "save"],
            &["snapshot", "verify"],
            &["snapshot", "restore"],
            &["show"],
            &["report"],
            &["audit"],
            &["audit", "verify"],
            &["serve"],
            &["clerk"],
            &["clerk", "add"],
            &["clerk", "list"],
            &["clerk", "remove"],
        ];
        for c in commands {
            let text = help(&[c, &["--help"][..]].concat());
            for line in text.lines() {
                assert!(crate::ui::text::width(line) <= 80, "{c:?}: wider than 80 columns: {line}");
            }
            assert!(!text.contains("Possible") && !text.contains("default:"), "{c:?}: English in\n{text}");
        }
        for want in ["用法：huitoukan [选项] [子命令]", "--keymap", "--ascii", "--demo", "--operator", "HUITOUKAN_OPERATOR", "子命令"]
        {
            assert!(top.contains(want), "{want:?} in\n{top}");
        }
        for (args, absent, present) in [
            (
                &["demo", "--help"][..],
                &["--keymap", "--ascii", "--demo", "HUITOUKAN_DB"][..],
                &["--households", "演示数据库", "[默认 3000]"][..],
            ),
            (&["show", "--help"], &["--keymap", "--ascii"], &["--db", "--json"]),
            (&["snapshot", "save", "--help"], &["--keymap", "--ascii"], &["快照文件", "--db"]),
            (&["snapshot", "verify", "--help"], &["--keymap", "--db", "--operator"], &["快照文件"]),
            (&["snapshot", "restore", "--help"], &["--keymap"], &["快照文件", "--yes", "--db"]),
        ] {
            let text = help(args);
            for line in text.lines() {
                assert!(crate::ui::text::width(line) <= 80, "{args:?}: wider than 80 columns: {line}");
            }
            for a in absent {
                assert!(!text.contains(a), "{args:?} lists {a}:\n{text}");
            }
            for p in present {
                assert!(text.contains(p), "{args:?} lacks {p}:\n{text}");
            }
            for english in ["Usage:", "Options:", "Arguments:", "Print help", "[OPTIONS]", "default"] {
                assert!(!text.contains(english), "{args:?}: {english:?} in\n{text}");
            }
        }
    }
}
