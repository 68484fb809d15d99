//! Who is connecting: the peer's uid from the kernel, its login from the
//! system's user database, and the clerk registered for that login.

use crate::access::Access;
use crate::store::{Store, StoreError};
use nix::unistd::{Uid, User};

/// The login name of `uid`, or `uid1234` when the system has none.
pub fn login_of(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => format!("uid{uid}"),
    }
}

/// Refuses a login this machine does not know.
pub fn check_login(login: &str) -> Result<(), StoreError> {
    match User::from_name(login) {
        Ok(Some(_)) => Ok(()),
        _ => Err(StoreError::Refused(format!("本机没有登录名“{login}”。请先建立这个系统账号（如 adduser {login}），再登记为经办人员"))),
    }
}

/// What a connection from `uid` may do.
///
/// - The server's own account and root are 管理 everywhere; their saves carry
///   the operator name they ask for (one clerk on their own store) or their login.
/// - Once any clerk is registered, every other login must be one of them:
///   its name, role and scope come from the registration, never from the client.
/// - Before any is registered, another login is let in under its own name.
pub fn identify(store: &Store, uid: u32, server_uid: u32, operator: Option<&str>) -> Result<Access, String> {
    let login = login_of(uid);
    let clerks = store.clerks().map_err(|e| format!("无法读取经办人员名单：{e}"))?;
    if let Some(clerk) = clerks.iter().find(|c| c.login == login) {
        return Ok(Access::of(clerk));
    }
    if uid == server_uid || uid == 0 {
        let who = operator.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).unwrap_or(login);
        return Ok(Access::full(who));
    }
    if clerks.is_empty() {
        return Ok(Access::full(login));
    }
    Err(format!(
        "登录名“{login}”还没有登记为经办人员，不能使用这个数据库。请管理员运行：\
         huitoukan clerk add {login} --name 姓名 --scope 乡镇[/村] --role 录入"
    ))
}
