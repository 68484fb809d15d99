//! The real binary's command line: usage errors in Chinese with status 2,
//! help on stdout with status 0, and the app's options refused where a
//! subcommand would ignore them (the kinds are covered in `cli::usage`).

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_huitoukan"))
        .args(args)
        .env("HUITOUKAN_HOME", home.path())
        .env_remove("HUITOUKAN_DB")
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn usage_errors_are_chinese_with_status_2() {
    for (args, expect) in [
        (&["show", "张三", "--frobnicate"][..], "没有 --frobnicate 这个选项"),
        (&["shwo", "张三"], "是不是要写 show"),
        (&["report", "--format", "xml"], "可以写：text、csv、json"),
        (&["demo", "--households", "many"], "“many”不对"),
        (&["--keymap", "k.toml", "report"], "--keymap 只在打开程序时有用"),
        (&["report", "--ascii"], "--ascii 只在打开程序时有用"),
        (&["demo", "--demo"], "没有 --demo 这个选项"),
        (&["snapshot", "verify"], "缺少 <FILE>"),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.starts_with("用法有误：") && stderr.contains(expect), "{args:?}: expected {expect:?} in {stderr}");
        assert!(!stderr.contains("error:") && !stderr.contains("Usage"), "{args:?}: English in {stderr}");
    }
}

#[test]
fn help_goes_to_stdout_with_status_0() {
    let (code, stdout, stderr) = run(&["demo", "--help"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("用法：huitoukan demo [选项]") && stdout.contains("演示数据库"), "{stdout}");
    assert!(!stdout.contains("HUITOUKAN_DB") && !stdout.contains("--keymap"), "{stdout}");
    let (code, stdout, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("huitoukan "), "{stdout}");
}
