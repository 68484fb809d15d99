//! Who is recorded as the operator (single clerk): `--operator`, else
//! `HUITOUKAN_OPERATOR`, else the login name from the OS user database,
//! else `USER`. Driven through the real binary's `import`, whose changes
//! carry the operator into each household's history.

use huitoukan::store::Store;
use std::path::Path;
use std::process::Command;

const HEADER: &str =
    "乡镇(街道),村(社区),家庭地址,户主姓名,户主证件号码,家庭人口数,对象类别,主要的返致贫风险点,纳入系统时间,标注风险消除年月";

fn import(dir: &Path, size: u32, args: &[&str], env: &[(&str, &str)]) -> String {
    let roster = dir.join(format!("r{size}.csv"));
    let id = huitoukan::demo::id_number(1);
    std::fs::write(&roster, format!("{HEADER}\n石盘乡,石盘村,石盘村1组,张三,{id},{size},监测户,因病,202103,\n")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huitoukan"));
    cmd.arg("import").arg(&roster).arg("--db").arg(dir.join("db")).args(args);
    cmd.env("HUITOUKAN_HOME", dir.join("home")).env_remove("HUITOUKAN_OPERATOR").env_remove("USER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Who made the latest change to A4 (household size).
fn last_who(dir: &Path) -> String {
    let store = Store::open(&dir.join("db")).unwrap();
    let key = store.summaries().unwrap()[0].key;
    let hist = store.history(key).unwrap();
    hist.iter().rfind(|e| e.field == "A4").map(|e| e.who.clone()).unwrap_or_default()
}

#[test]
fn operator_flag_then_env_then_login_name() {
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), 2, &[], &[]);
    // Neither --operator nor HUITOUKAN_OPERATOR nor USER: the OS user database.
    let login = huitoukan::model::login_name().expect("this test's user has a login name");
    let stderr = import(dir.path(), 3, &[], &[]);
    assert_eq!(last_who(dir.path()), login);
    assert!(!stderr.contains("不知道操作人"), "{stderr}");
    import(dir.path(), 4, &[], &[("HUITOUKAN_OPERATOR", "王五"), ("USER", "someone")]);
    assert_eq!(last_who(dir.path()), "王五");
    import(dir.path(), 5, &["--operator", "赵六"], &[("HUITOUKAN_OPERATOR", "王五")]);
    assert_eq!(last_who(dir.path()), "赵六");
    // A blank --operator or variable counts as not given.
    import(dir.path(), 6, &["--operator", " "], &[("HUITOUKAN_OPERATOR", " ")]);
    assert_eq!(last_who(dir.path()), login);
}
