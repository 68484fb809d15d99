//! The store server: one process owns the sled store, every other program
//! talks to it over a Unix socket (the pattern of tmux, zellij and atuin's
//! daemon).
//!
//! - [`protocol`]: frames and messages.
//! - [`serve`]: the server. A thread per connection; the peer's uid comes
//!   from the kernel (SO_PEERCRED) and is mapped to a registered clerk, whose
//!   scope and role every request is kept to ([`crate::backend::Local`]).
//! - [`client::Client`]: the other side, implementing the same
//!   [`crate::backend::Backend`] as the local store.
//!
//! Every write is flushed before its reply is sent, so an acknowledged save
//! survives a SIGKILL of the server. SIGTERM (and SIGINT, SIGHUP) stop
//! accepting, let the calls under way finish, flush, take the exit snapshot
//! when one is due, and remove the socket.

pub mod client;
pub mod identity;
pub mod protocol;

pub use client::{Client, Connect};

use crate::backend::{Backend, Event, Local, Shared};
use crate::config::BackupPolicy;
use crate::store::{Store, StoreError};
use protocol::{ClientMsg, FrameError, Part, Request, Response, ServerMsg, WireError, CHUNK, PROTOCOL};
use std::io::BufReader;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Events queued for one connection before it is told to reload instead.
const EVENT_QUEUE: usize = 4_096;
/// How long pushed events wait for others to go out with them.
const EVENT_WINDOW: Duration = Duration::from_millis(50);
/// How long a new connection has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// The socket of a store when none is named: `<store>.sock` beside it.
pub fn default_socket(store: &Path) -> PathBuf {
    let name = store.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    store.with_file_name(format!("{name}.sock"))
}

/// How a server runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub store: PathBuf,
    pub socket: PathBuf,
    /// Exit this long after the last client left (`None`: run until stopped).
    pub idle_exit: Option<Duration>,
    /// The socket is for the members of its folder's group (0660), not only its owner (0600).
    pub group: bool,
    pub lease_idle: Duration,
    pub backup: BackupPolicy,
}

/// What every connection thread shares.
struct Ctx {
    store: Arc<Store>,
    shared: Arc<Shared>,
    /// Calls under way hold it for reading; shutdown takes it for writing.
    calls: RwLock<()>,
    stopping: AtomicBool,
    /// Connections open now, and when the last one closed.
    open: AtomicUsize,
    last_left: Mutex<Instant>,
    edited: AtomicBool,
    next_conn: AtomicU64,
    server_uid: u32,
    store_name: String,
    /// What the background check of the whole store found; told to every
    /// clerk who connects after it was found, too.
    damage: Mutex<Option<String>>,
}

/// Runs the server until it is stopped (signal, idle, or a 管理 `Shutdown`).
pub fn serve(opts: &Options) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| anyhow::anyhow!("无法登记停止信号的处理：{e}"))?;
    }
    // The store's own lock decides which of two servers started at once runs.
    // Only an existing store is served: a mistyped --db is refused, not made
    // into an empty store (the app creates a new store itself before it starts one).
    let store = match Store::open_with(&opts.store, "huitoukan serve", crate::store::OpenMode::Existing) {
        Ok(s) => s,
        Err(e @ StoreError::Corrupt { .. }) => anyhow::bail!("{e}\n{}", crate::backup::advice_for_damaged(&opts.store)),
        Err(e) => return Err(e.into()),
    };
    if let Some(note) = store.recovery_note() {
        eprintln!("{note}");
    }
    let listener = bind(&opts.socket, opts.group)?;
    eprintln!("huitoukan 数据服务已启动：数据库 {}，套接字 {}", opts.store.display(), opts.socket.display());
    let ctx = Arc::new(Ctx {
        store: Arc::new(store),
        shared: Arc::new(Shared::new(opts.lease_idle)),
        calls: RwLock::new(()),
        stopping: AtomicBool::new(false),
        open: AtomicUsize::new(0),
        last_left: Mutex::new(Instant::now()),
        edited: AtomicBool::new(false),
        next_conn: AtomicU64::new(1),
        server_uid: rustix::process::geteuid().as_raw(),
        store_name: opts.store.display().to_string(),
        damage: Mutex::new(None),
    });
    check_in_background(&ctx, &opts.store);
    let result = accept_loop(&listener, &ctx, opts, &stop);
    shutdown(&ctx, opts);
    result
}

/// Binds the socket: a socket file left by a server that died is replaced
/// (this process holds the store's lock, so no live server of this store
/// has it); anything else at that path is left alone and refused.
fn bind(socket: &Path, group: bool) -> anyhow::Result<UnixListener> {
    if socket.as_os_str().len() > 100 {
        anyhow::bail!("套接字路径 {} 太长（Unix 套接字路径最多约100个字节），请用 --socket 指定一个短一些的路径", socket.display());
    }
    if let Some(dir) = socket.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("无法建立套接字所在目录 {}：{}", dir.display(), crate::io::file::describe(&e)))?;
    }
    match std::fs::symlink_metadata(socket) {
        Ok(m) if m.file_type().is_socket() => {
            if UnixStream::connect(socket).is_ok() {
                anyhow::bail!("套接字 {} 已有另一个数据服务在用（可能是另一个数据库的）。请用 --socket 另指定一个路径", socket.display());
            }
            std::fs::remove_file(socket).map_err(|e| {
                anyhow::anyhow!("套接字 {} 是上次的数据服务留下的，但无法删除：{}", socket.display(), crate::io::file::describe(&e))
            })?;
        }
        Ok(_) => anyhow::bail!("{} 已存在且不是套接字，不会删除它。请用 --socket 另指定一个路径", socket.display()),
        Err(_) => {}
    }
    let listener = UnixListener::bind(socket)
        .map_err(|e| anyhow::anyhow!("无法在 {} 建立套接字：{}", socket.display(), crate::io::file::describe(&e)))?;
    let mode = if group { 0o660 } else { 0o600 };
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(mode))
        .map_err(|e| anyhow::anyhow!("无法设置套接字 {} 的权限：{}", socket.display(), crate::io::file::describe(&e)))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

fn accept_loop(listener: &UnixListener, ctx: &Arc<Ctx>, opts: &Options, stop: &AtomicBool) -> anyhow::Result<()> {
    use rustix::event::{poll, PollFd, PollFlags};
    let mut schedule = crate::backup::Schedule::new(opts.backup);
    let mut last_tick = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) || ctx.stopping.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut fds = [PollFd::new(listener, PollFlags::IN)];
        let _ = poll(&mut fds, 200);
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let ctx = Arc::clone(ctx);
                    let id = ctx.next_conn.fetch_add(1, Ordering::Relaxed);
                    ctx.open.fetch_add(1, Ordering::SeqCst);
                    std::thread::spawn(move || {
                        connection(&ctx, stream, id);
                        if ctx.open.fetch_sub(1, Ordering::SeqCst) == 1 {
                            *ctx.last_left.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
                        }
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("接受连接时出错：{e}");
                    break;
                }
            }
        }
        if let Some(idle) = opts.idle_exit {
            let last = *ctx.last_left.lock().unwrap_or_else(|p| p.into_inner());
            if ctx.open.load(Ordering::SeqCst) == 0 && last.elapsed() >= idle {
                eprintln!("最后一个程序已退出{}秒，数据服务停止", idle.as_secs());
                return Ok(());
            }
        }
        if last_tick.elapsed() < Duration::from_secs(1) {
            continue;
        }
        last_tick = Instant::now();
        for key in ctx.shared.leases.expire() {
            ctx.shared.publish_lease(&ctx.store, 0, key, None);
        }
        if ctx.edited.swap(false, Ordering::Relaxed) {
            schedule.edited(Instant::now());
        }
        if schedule.due(Instant::now()) {
            // Calls wait meanwhile (the snapshot reads one consistent state).
            match crate::backup::take(&ctx.store, schedule.policy()) {
                Ok((path, _)) => eprintln!("已自动快照：{}", path.display()),
                Err(e) => {
                    // Shown to every clerk, not only written to the server's log.
                    let note = crate::backup::failure_note(&opts.store, &e);
                    eprintln!("{note}");
                    ctx.shared.publish(0, None, Event::Warning(note));
                }
            }
            schedule.taken(Instant::now());
        }
    }
}

/// Reads the whole store once, off the accept loop: the summary cache lets
/// a damaged store show every household, so damage would otherwise be met
/// first by a report, an export or a snapshot that fails (issue 12).
fn check_in_background(ctx: &Arc<Ctx>, store_path: &Path) {
    let ctx = Arc::clone(ctx);
    let store_path = store_path.to_path_buf();
    std::thread::spawn(move || {
        let problem = match crate::io::quietly(|| ctx.store.check_whole()) {
            Ok(Ok(None)) => return,
            Ok(Ok(Some(problem))) => format!("数据库有损坏：{problem}"),
            // Its detail (where sled met it) goes to the log; the clerk's status line is short.
            Ok(Err(e)) => {
                eprintln!("检查整个数据库时出错：{e}");
                "数据库的文件已损坏".to_string()
            }
            Err(panic) => format!("数据库有损坏：读取时出错（{panic}）"),
        };
        damage_found(&ctx, &store_path, &problem);
    });
}

/// Damage found (by the background check, or by a call that met a bad
/// page later): every clerk is told once, on the status line, with the way
/// back; clerks who connect later are told when they connect.
fn damage_found(ctx: &Ctx, store_path: &Path, problem: &str) -> String {
    let mut damage = ctx.damage.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(note) = damage.as_ref() {
        // Told already: the snapshots folder is not read again per call.
        return note.clone();
    }
    let note = crate::backup::damage_note(store_path, problem);
    eprintln!("{note}");
    *damage = Some(note.clone());
    drop(damage);
    ctx.shared.publish(0, None, Event::Damaged(note.clone()));
    note
}

/// Stops: no new calls, the ones under way finish, the store is flushed
/// and closed, the socket removed.
fn shutdown(ctx: &Arc<Ctx>, opts: &Options) {
    ctx.stopping.store(true, Ordering::SeqCst);
    let _all_done = ctx.calls.write().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = ctx.store.flush() {
        eprintln!("关闭前写盘出错：{e}");
    }
    if opts.backup.on_exit && crate::backup::stale(&ctx.store) && ctx.store.household_count().unwrap_or(0) > 0 {
        match crate::backup::take(&ctx.store, &opts.backup) {
            Ok((path, _)) => eprintln!("已做退出快照：{}", path.display()),
            Err(e) => eprintln!("退出快照没有做成：{e}"),
        }
    }
    let _ = std::fs::remove_file(&opts.socket);
    eprintln!("数据服务已停止");
}

/// Writes whole frames to one client; replies and events share it.
type Writer = Arc<Mutex<UnixStream>>;

fn send(w: &Writer, msg: &ServerMsg) -> std::io::Result<()> {
    let mut s = w.lock().unwrap_or_else(|p| p.into_inner());
    protocol::write_frame(&mut *s, msg)
}

fn connection(ctx: &Arc<Ctx>, stream: UnixStream, conn: u64) {
    let Ok(write_half) = stream.try_clone() else { return };
    let writer: Writer = Arc::new(Mutex::new(write_half));
    let _ = stream.set_read_timeout(Some(HELLO_TIMEOUT));
    let mut reader = BufReader::new(stream);
    let operator = match protocol::read_frame::<ClientMsg>(&mut reader) {
        Ok(ClientMsg::Hello { protocol, operator, .. }) if protocol == PROTOCOL => operator,
        Ok(ClientMsg::Hello { protocol, release, .. }) => {
            let _ = send(
                &writer,
                &ServerMsg::Refused(format!(
                    "数据服务是 huitoukan {}（协议{PROTOCOL}），本程序是 huitoukan {release}（协议{protocol}），两者不能一起用。\
                     请让管理员把 huitoukan 升级到同一版本，并重启数据服务",
                    protocol::release()
                )),
            );
            return;
        }
        _ => return,
    };
    let _ = reader.get_ref().set_read_timeout(None);
    let uid = match rustix::net::sockopt::get_socket_peercred(reader.get_ref()) {
        Ok(cred) => cred.uid.as_raw(),
        Err(e) => {
            let _ = send(&writer, &ServerMsg::Refused(format!("无法确认连接者的身份（{e}），拒绝连接")));
            return;
        }
    };
    let access = match identity::identify(&ctx.store, uid, ctx.server_uid, operator.as_deref()) {
        Ok(a) => a,
        Err(message) => {
            let _ = send(&writer, &ServerMsg::Refused(message));
            return;
        }
    };
    let backend = Local::for_connection(Arc::clone(&ctx.store), access.clone(), conn, Arc::clone(&ctx.shared));
    let welcome = ServerMsg::Welcome {
        protocol: PROTOCOL,
        release: protocol::release().into(),
        access: access.clone(),
        round: backend.round(),
        note: backend.note(),
        store: ctx.store_name.clone(),
    };
    if send(&writer, &welcome).is_err() {
        return;
    }
    let (tx, rx) = sync_channel::<Event>(EVENT_QUEUE);
    if let Some(note) = ctx.damage.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        let _ = tx.try_send(Event::Damaged(note));
    }
    ctx.shared.subscribe(conn, access, tx);
    let events = {
        let writer = Arc::clone(&writer);
        std::thread::spawn(move || forward_events(rx, &writer))
    };
    let mut staged = Vec::new();
    loop {
        let msg = match protocol::read_frame::<ClientMsg>(&mut reader) {
            Ok(m) => m,
            Err(FrameError::Closed) => break,
            Err(e) => {
                eprintln!("连接{conn}发来的消息有误，已断开：{e}");
                break;
            }
        };
        let ClientMsg::Call { id, request } = msg else { break };
        if matches!(request, Request::Shutdown) {
            let end = match backend.access().check_admin("停止数据服务") {
                Ok(()) => {
                    ctx.stopping.store(true, Ordering::SeqCst);
                    Ok(Response::Done)
                }
                Err(e) => Err(WireError::from(&e)),
            };
            let _ = send(&writer, &ServerMsg::Reply { id, part: Part::End(end) });
            continue;
        }
        let guard = ctx.calls.read().unwrap_or_else(|p| p.into_inner());
        if ctx.stopping.load(Ordering::SeqCst) {
            let end = Err(WireError::Retryable("数据服务正在停止，请稍后再试".into()));
            let _ = send(&writer, &ServerMsg::Reply { id, part: Part::End(end) });
            break;
        }
        let writes = is_write(&request);
        let mut chunk =
            |r: Response| send(&writer, &ServerMsg::Reply { id, part: Part::Chunk(r) }).map_err(|e| StoreError::Internal(e.to_string()));
        let end = dispatch(&backend, request, &mut staged, &mut chunk);
        drop(guard);
        if writes && end.is_ok() {
            ctx.edited.store(true, Ordering::Relaxed);
        }
        let end = end.map_err(|e| match e {
            // The clerk whose call met it gets the way back as the answer.
            StoreError::Corrupt { .. } => {
                eprintln!("连接{conn}的请求读到损坏的数据：{e}");
                WireError::Other(damage_found(ctx, ctx.store.path(), "数据库的文件已损坏"))
            }
            e => WireError::from(&e),
        });
        if send(&writer, &ServerMsg::Reply { id, part: Part::End(end) }).is_err() {
            break;
        }
    }
    ctx.shared.unsubscribe(conn);
    for key in ctx.shared.leases.release_all(conn) {
        ctx.shared.publish_lease(&ctx.store, conn, key, None);
    }
    // Ends the event thread's wait, then the socket.
    let _ = reader.get_ref().shutdown(std::net::Shutdown::Both);
    let _ = events.join();
}

/// Sends pushed events to the client; a queue that overflowed becomes one reload.
///
/// Events that arrive together are coalesced: after the first, the thread
/// waits [`EVENT_WINDOW`] for more, keeps only the newest change of each
/// household, and writes them all at once. With many clerks saving, each
/// client then gets a few writes a second instead of one per save, and the
/// screens still follow within a second.
fn forward_events(rx: Receiver<Event>, writer: &Writer) {
    while let Ok(first) = rx.recv() {
        std::thread::sleep(EVENT_WINDOW);
        let mut events = vec![first];
        events.extend(rx.try_iter());
        let mut buf = Vec::new();
        for ev in coalesce(events) {
            if protocol::write_frame(&mut buf, &ServerMsg::Event(ev)).is_err() {
                return;
            }
        }
        let mut s = writer.lock().unwrap_or_else(|p| p.into_inner());
        if std::io::Write::write_all(&mut *s, &buf).is_err() {
            return;
        }
    }
}

/// The newest of each household's changes and leases, in order; a reload makes every change before it moot.
fn coalesce(events: Vec<Event>) -> Vec<Event> {
    let start = events.iter().rposition(|e| matches!(e, Event::Reload)).unwrap_or(0);
    // A reload makes earlier changes moot, not earlier messages to the clerk.
    let said = events[..start].iter().filter(|e| matches!(e, Event::Warning(_) | Event::Damaged(_))).cloned();
    let events: Vec<Event> = said.chain(events[start..].iter().cloned()).collect();
    let newest = |i: usize, e: &Event| {
        !events[i + 1..].iter().any(|later| match (e, later) {
            (Event::Changed(a), Event::Changed(b)) => a.key == b.key,
            (Event::Lease { key: a, .. }, Event::Lease { key: b, .. }) => a == b,
            _ => false,
        })
    };
    events.iter().enumerate().filter(|(i, e)| newest(*i, e)).map(|(_, e)| e.clone()).collect()
}

/// Whether a request changes the store (for the snapshot schedule).
fn is_write(r: &Request) -> bool {
    matches!(
        r,
        Request::SaveDraft { .. }
            | Request::Submit { .. }
            | Request::Reopen(_)
            | Request::SetVerified { .. }
            | Request::CorrectSectionA { .. }
            | Request::Upsert
            | Request::InsertRecords { .. }
            | Request::AddClerk(_)
            | Request::RemoveClerk(_)
            | Request::TakeOver(_)
            | Request::AddEntry { .. }
            | Request::SaveEntry { .. }
            | Request::VoidEntry { .. }
            | Request::InsertEntries(_)
            | Request::UpsertEntries { .. }
    )
}

/// Runs one request on the connection's backend; streamed replies go out
/// through `chunk` as they are read.
fn dispatch(
    b: &Local,
    request: Request,
    staged: &mut Vec<(crate::model::Place, crate::model::SectionA)>,
    chunk: &mut dyn FnMut(Response) -> crate::store::Result<()>,
) -> crate::store::Result<Response> {
    Ok(match request {
        Request::Summaries => {
            let all = b.summaries()?;
            let mut rest = all.as_slice();
            while rest.len() > CHUNK {
                let (head, tail) = rest.split_at(CHUNK);
                chunk(Response::Summaries(head.to_vec()))?;
                rest = tail;
            }
            Response::Summaries(rest.to_vec())
        }
        Request::HouseholdCount => Response::Count(b.household_count()?),
        Request::Get(k) => Response::Record(b.get(k)?),
        Request::FormDefinitions => Response::Definitions(b.form_definitions()?),
        Request::Summary(k) => Response::Summary(b.summary(k)?),
        Request::History(k) => Response::History(b.history(k)?),
        Request::Find { query, limit } => Response::Found(b.find(&query, limit.min(10_000))?),
        Request::FindIn { query, within, limit } => Response::Found(b.find_in(&query, &within, limit.min(10_000))?),
        Request::Places(within) => Response::Places(b.places(&within)?),
        Request::Village(place) => Response::Summaries(b.village(&place)?),
        Request::Report(scope) => Response::Report(Box::new(b.report(&scope)?)),
        Request::TownshipNames => Response::Names(b.township_names()?),
        Request::Rows(filter) => {
            let mut batch = Vec::with_capacity(CHUNK / 4);
            for row in b.rows(&filter) {
                batch.push(row?);
                if batch.len() == CHUNK / 4 {
                    chunk(Response::Rows(std::mem::take(&mut batch)))?;
                }
            }
            Response::Rows(batch)
        }
        Request::VerifyAudit => Response::Audit(b.verify_audit()?),
        Request::VerifyRecords => Response::Records(b.verify_records()?),
        Request::AuditEntries => Response::U64(b.audit_entries()?),
        Request::Raw => {
            let mut batch = Vec::new();
            let mut bytes = 0usize;
            let counts = b.for_each_raw(&mut |t, k, v| {
                bytes += t.len() + k.len() + v.len();
                batch.push((t.to_vec(), k.to_vec(), v.to_vec()));
                if batch.len() >= CHUNK || bytes > 4 << 20 {
                    bytes = 0;
                    chunk(Response::Raw(std::mem::take(&mut batch)))?;
                }
                Ok(())
            })?;
            chunk(Response::Raw(batch))?;
            Response::RawCounts(counts)
        }
        Request::OpenForm(k) => Response::Opened(Box::new(b.open_form(k)?)),
        Request::TakeOver(k) => Response::Opened(Box::new(b.take_over(k)?)),
        Request::CloseForm(k) => {
            b.close_form(k)?;
            Response::Done
        }
        Request::Leases => Response::Leases(b.leases()?),
        Request::SaveDraft { key, base, answers } => Response::Count(b.save_draft(key, base.as_ref(), &answers)?),
        Request::Entries(key) => Response::Entries(b.entries(key)?),
        Request::UpsertEntries { form, rows, dry_run } => Response::EntriesOutcome(b.upsert_entries(&form, &rows, dry_run)?),
        Request::InsertEntries(entries) => {
            b.insert_entries(&entries)?;
            Response::Done
        }
        Request::AddEntry { key, form, answers } => Response::Entry(Box::new(b.add_entry(key, &form, &answers)?)),
        Request::SaveEntry { key, form, seq, base, answers } => {
            Response::Entry(Box::new(b.save_entry(key, &form, seq, base.as_ref(), &answers)?))
        }
        Request::VoidEntry { key, form, seq, reason } => Response::Entry(Box::new(b.void_entry(key, &form, seq, &reason)?)),
        Request::Submit { key, base, answers, confirmed } => {
            b.submit(key, base.as_ref(), &answers, &confirmed)?;
            Response::Done
        }
        Request::Reopen(k) => {
            b.reopen(k)?;
            Response::Done
        }
        Request::SetVerified { key, verified } => {
            b.set_verified(key, verified)?;
            Response::Done
        }
        Request::CorrectSectionA { key, code, value } => {
            b.correct_section_a(key, &code, value)?;
            Response::Done
        }
        Request::Stage(rows) => {
            b.access().check_admin("导入名单")?;
            staged.extend(rows);
            Response::Count(staged.len())
        }
        Request::PlanUpsert => {
            let rows = std::mem::take(staged);
            Response::Upsert(b.plan_upsert(&rows)?)
        }
        Request::Upsert => {
            let rows = std::mem::take(staged);
            Response::Upsert(b.upsert_households(&rows)?)
        }
        Request::InsertRecords { records, note } => Response::Keys(b.insert_records(&records, &note)?),
        Request::Clerks => Response::Clerks(b.clerks()?),
        Request::AddClerk(c) => {
            identity::check_login(&c.login)?;
            b.add_clerk(&c)?;
            Response::Done
        }
        Request::RemoveClerk(login) => Response::Bool(b.remove_clerk(&login)?),
        Request::Shutdown => Response::Done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Summary;

    fn changed(key: u64, errors: u16) -> Event {
        let round = crate::form::Round::default();
        let lb = crate::demo::household(key, 1, &crate::demo::places(1, 1), &round);
        let mut s = Summary::of(key, &lb, &round);
        s.errors = errors;
        Event::Changed(s)
    }

    #[test]
    fn events_sent_together_keep_the_newest_of_each_household() {
        let out = coalesce(vec![changed(1, 1), changed(2, 1), changed(1, 2), Event::Lease { key: 2, holder: None }]);
        assert_eq!(out, vec![changed(2, 1), changed(1, 2), Event::Lease { key: 2, holder: None }]);
        let out = coalesce(vec![changed(1, 1), Event::Reload, changed(3, 1)]);
        assert_eq!(out, vec![Event::Reload, changed(3, 1)], "a reload makes earlier changes moot");
        assert_eq!(coalesce(vec![Event::Warning("快照".into())]), vec![Event::Warning("快照".into())]);
        let out = coalesce(vec![Event::Damaged("损坏".into()), changed(1, 1), Event::Warning("快照".into()), Event::Reload]);
        assert_eq!(out, vec![Event::Damaged("损坏".into()), Event::Warning("快照".into()), Event::Reload], "messages outlive a reload");
    }
}
