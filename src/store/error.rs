//! Store errors, with Chinese messages that say what happened and what to do.

use super::codec::DecodeError;
use super::lock::Holder;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库 {path} 正被另一个程序使用{}。同一个数据库一次只能由一个huitoukan打开：请先退出那个程序（或关闭那个窗口）再试。", holder_text(.holder))]
    Locked { path: PathBuf, holder: Option<Holder> },
    #[error("数据库 {path} 的文件已损坏（{detail}）。")]
    Corrupt { path: PathBuf, detail: String },
    #[error("磁盘已满，数据没有保存（{path}）。请清理磁盘空间后再保存；已录入的内容仍在屏幕上，不会丢失。")]
    DiskFull { path: PathBuf },
    #[error("没有写入权限，数据没有保存（{path}）。请检查目录权限或换一个可写的位置；已录入的内容仍在屏幕上。")]
    ReadOnly { path: PathBuf },
    #[error("写入数据库 {path} 的最后一步出错（{detail}），这批数据可能已经写入，也可能没有。请先腾出磁盘空间或恢复写入权限，再重新打开数据库：若提示已恢复到写入之前，请重新导入；否则数据已经写入。")]
    Uncertain { path: PathBuf, detail: String },
    #[error("读写数据库 {path} 时出错：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("数据库中的一条记录（{what}）无法读取：{source}")]
    Decode { what: String, source: DecodeError },
    #[error("数据库中没有这一户（内部编号{0}），可能已被删除，请刷新列表")]
    NotFound(u64),
    #[error("数据库 {path} 打不开：{detail}。程序没有新建也没有改动任何东西。请检查 --db 或环境变量 HUITOUKAN_DB 给的路径；新建数据库请用 huitoukan import 导入名单。")]
    NotAStore { path: PathBuf, detail: String },
    #[error("{0}")]
    Refused(String),
    /// A save based on answers another save has changed since.
    #[error("{0}")]
    Conflict(String),
    /// The store server could not be reached (the connection dropped).
    /// An error the store server reported (its Chinese message).
    #[error("{message}")]
    Server { message: String, retryable: bool },
    #[error("与数据服务的连接断开，正在重新连接…（{0}）。已录入的内容仍在屏幕上，连接恢复后会自动保存")]
    Disconnected(String),
    #[error("数据库内部错误：{0}")]
    Internal(String),
}

fn holder_text(h: &Option<Holder>) -> String {
    if let Some(h) = h.as_ref().filter(|h| h.program == "huitoukan serve") {
        return format!(
            "：数据服务（{}）打开着它，但连不上它的套接字。请用 --socket 或环境变量 HUITOUKAN_SOCKET 指向那个数据服务的套接字",
            h.describe()
        );
    }
    match h {
        Some(h) => format!("：{}", h.describe()),
        None => String::new(),
    }
}

impl StoreError {
    pub(crate) fn from_io(path: &std::path::Path, e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        // sled wraps OS errors in custom ones that keep only the kind.
        match (e.raw_os_error(), e.kind()) {
            (Some(28), _) | (_, K::StorageFull) | (_, K::QuotaExceeded) => StoreError::DiskFull { path: path.to_path_buf() },
            (Some(30 | 13 | 1), _) | (_, K::ReadOnlyFilesystem | K::PermissionDenied) => StoreError::ReadOnly { path: path.to_path_buf() },
            _ => StoreError::Io { path: path.to_path_buf(), source: e },
        }
    }

    pub(crate) fn from_sled(path: &std::path::Path, e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => {
                if io.to_string().contains("could not acquire lock") {
                    StoreError::Locked { path: path.to_path_buf(), holder: super::lock::read(path) }
                } else {
                    Self::from_io(path, io)
                }
            }
            sled::Error::Corruption { at, bt: _ } => StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: match at {
                    Some(at) => format!("损坏位置 {at:?}"),
                    None => "日志校验失败".to_string(),
                },
            },
            sled::Error::Unsupported(s) => StoreError::Corrupt { path: path.to_path_buf(), detail: s },
            other => StoreError::Internal(other.to_string()),
        }
    }

    /// The mapping of an I/O error, for tests that cannot provoke it for real.
    #[doc(hidden)]
    pub fn from_io_for_tests(path: &std::path::Path, e: std::io::Error) -> Self {
        Self::from_io(path, e)
    }

    /// True when the failure is the disk or permissions: the caller keeps its data for a retry.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::DiskFull { .. }
                | StoreError::ReadOnly { .. }
                | StoreError::Io { .. }
                | StoreError::Uncertain { .. }
                | StoreError::Disconnected(_)
                | StoreError::Server { retryable: true, .. }
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
