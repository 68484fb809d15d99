//! The client side of the store server: [`Client`] implements the same
//! [`Backend`] as the local store, one typed request per operation.
//!
//! A reader thread takes every frame off the socket: replies go to the
//! caller waiting for them, pushed events to a queue the app drains
//! ([`Backend::events`]). When the connection drops, calls fail with
//! [`StoreError::Disconnected`] (retryable: the app keeps what was typed)
//! until [`Backend::reconnect`] brings it back — starting the server again
//! where this client may.

use super::protocol::{self, ClientMsg, Part, Request, Response, ServerMsg, PROTOCOL};
use crate::access::{Access, Clerk};
use crate::backend::{Backend, Event, Found, LeaseView, Opened, RowFilter, VillageCounts};
use crate::form::{Round, Value};
use crate::model::{Answers, AuditEntry, LookBack, Place, SectionA, Summary};
use crate::report::{Report, Scope};
use crate::search::Query;
use crate::store::bulk::RawCounts;
use crate::store::{AuditCheck, Result, Row, StoreError, UpsertOutcome};
use std::collections::VecDeque;
use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a started server has to open the store and answer.
const START_WAIT: Duration = Duration::from_secs(20);
/// Roster rows sent per frame of an import.
const STAGE_ROWS: usize = 5_000;

/// Where the server is, and whether this client may start one.
#[derive(Debug, Clone)]
pub struct Connect {
    pub socket: PathBuf,
    pub store: PathBuf,
    /// Start a server for `store` when none answers (the app does; commands work on the store directly).
    pub spawn: bool,
    /// A started server exits this long after its last client.
    pub idle_exit: Duration,
    /// The operator name asked for (honoured only for the store owner's own login).
    pub operator: Option<String>,
}

struct Conn {
    writer: UnixStream,
    replies: Receiver<(u64, Part)>,
}

struct Welcome {
    access: Access,
    round: Round,
    note: Option<String>,
    store: String,
}

/// A connection to the store server.
pub struct Client {
    opts: Connect,
    conn: Mutex<Option<Conn>>,
    events: Arc<Mutex<VecDeque<Event>>>,
    welcome: Mutex<Welcome>,
    next_id: AtomicU64,
    down: Arc<AtomicBool>,
    /// The server's form definitions are known here (see [`Client::learn_forms`]).
    learned: AtomicBool,
}

fn disconnected(why: &str) -> StoreError {
    StoreError::Disconnected(why.to_string())
}

fn unexpected() -> StoreError {
    StoreError::Internal("数据服务的回答与请求不符（两边的版本可能不同）".into())
}

/// Why a connection could not be made: a Chinese message.
fn dial_error(socket: &Path, e: &std::io::Error) -> anyhow::Error {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "没有权限连接数据服务 {}。多人共用时，请管理员把你的登录名加入数据服务的用户组（见 README“办公室多人共用”），重新登录后再试",
            socket.display()
        ),
        _ => anyhow::anyhow!("无法连接数据服务 {}：{}", socket.display(), crate::io::file::describe(e)),
    }
}

/// True for the errors that mean "no server listens there".
fn no_server(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused)
}

impl Client {
    /// Connects to the store's server. `Ok(None)`: none answers and this
    /// client may not start one (the caller opens the store itself).
    pub fn connect(opts: Connect) -> anyhow::Result<Option<Client>> {
        let stream = match UnixStream::connect(&opts.socket) {
            Ok(s) => s,
            Err(e) if no_server(&e) && !opts.spawn => return Ok(None),
            Err(e) if no_server(&e) => start_and_dial(&opts)?,
            Err(e) => return Err(dial_error(&opts.socket, &e)),
        };
        let events = Arc::new(Mutex::new(VecDeque::new()));
        let down = Arc::new(AtomicBool::new(false));
        let (conn, welcome) = handshake(stream, &opts, &events, &down)?;
        Ok(Some(Client {
            opts,
            conn: Mutex::new(Some(conn)),
            events,
            welcome: Mutex::new(welcome),
            next_id: AtomicU64::new(1),
            down,
            learned: AtomicBool::new(false),
        }))
    }

    fn conn(&self) -> MutexGuard<'_, Option<Conn>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the form definitions the server's store keeps known here, once
    /// a connection, before records are read: a record of an older form is
    /// shown and validated with its own (the server of a restored store
    /// may keep definitions this release was not built with).
    fn learn_forms(&self) -> Result<()> {
        if self.learned.load(Ordering::SeqCst) {
            return Ok(());
        }
        match self.call(Request::FormDefinitions)? {
            Response::Definitions(defs) => {
                for (form, text) in defs {
                    if crate::form::registry::get(&form).is_none_or(|known| known.source != text) {
                        // A definition that does not load leaves its records shown as of an unknown form.
                        let _ = crate::form::registry::register_as(&form, &text);
                    }
                }
                self.learned.store(true, Ordering::SeqCst);
                Ok(())
            }
            _ => Err(unexpected()),
        }
    }

    fn lost(&self, slot: &mut Option<Conn>) -> StoreError {
        *slot = None;
        self.learned.store(false, Ordering::SeqCst);
        self.down.store(true, Ordering::SeqCst);
        disconnected("数据服务已停止或已崩溃")
    }

    /// Sends a request; `chunk` gets each streamed part, then the end's answer is returned.
    fn call_stream(&self, request: Request, chunk: &mut dyn FnMut(Response) -> Result<()>) -> Result<Response> {
        let mut slot = self.conn();
        let Some(conn) = slot.as_mut() else { return Err(disconnected("尚未重新连接")) };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if protocol::write_frame(&mut conn.writer, &ClientMsg::Call { id, request }).is_err() {
            return Err(self.lost(&mut slot));
        }
        let mut failed = None;
        loop {
            let Some(conn) = slot.as_mut() else { return Err(disconnected("尚未重新连接")) };
            match conn.replies.recv() {
                Ok((rid, _)) if rid != id => {}
                Ok((_, Part::Chunk(r))) => {
                    // After a failed chunk the rest is still read, so the next call starts clean.
                    if failed.is_none() {
                        if let Err(e) = chunk(r) {
                            failed = Some(e);
                        }
                    }
                }
                Ok((_, Part::End(end))) => {
                    return match failed {
                        Some(e) => Err(e),
                        None => end.map_err(StoreError::from),
                    };
                }
                Err(_) => return Err(self.lost(&mut slot)),
            }
        }
    }

    fn call(&self, request: Request) -> Result<Response> {
        self.call_stream(request, &mut |_| Err(unexpected()))
    }

    /// Asks the server to stop once the calls under way are done (管理 only).
    pub fn shutdown_server(&self) -> Result<()> {
        self.call(Request::Shutdown).map(|_| ())
    }

    fn stage(&self, rows: &[(Place, SectionA)]) -> Result<()> {
        for part in rows.chunks(STAGE_ROWS) {
            self.call(Request::Stage(part.to_vec()))?;
        }
        Ok(())
    }
}

impl Drop for Client {
    /// Closes the connection (the reader thread holds a copy of the socket,
    /// so only a shutdown tells the server this client is gone).
    fn drop(&mut self) {
        if let Some(conn) = self.conn().as_ref() {
            let _ = conn.writer.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Starts a server for the store in the background (its own session, so a
/// hang-up of this terminal does not reach it) and waits for its socket.
fn start_and_dial(opts: &Connect) -> anyhow::Result<UnixStream> {
    let mut child = spawn_server(opts).map_err(|e| anyhow::anyhow!("无法启动数据服务：{}", crate::io::file::describe(&e)))?;
    let started = Instant::now();
    let mut wait = Duration::from_millis(20);
    let mut ended = None;
    let reap = |mut child: std::process::Child| {
        // Reaped when it ends, so no zombie lingers beside a long-running app.
        std::thread::spawn(move || child.wait());
    };
    loop {
        match UnixStream::connect(&opts.socket) {
            Ok(s) => {
                if ended.is_none() {
                    reap(child);
                }
                return Ok(s);
            }
            // The one started gave up (another server won the store's lock, or
            // the store cannot be opened): wait a moment for the winner, then say why.
            Err(e) if no_server(&e) && ended.is_none() && matches!(child.try_wait(), Ok(Some(_))) => {
                ended = Some(Instant::now());
            }
            Err(e) if no_server(&e) && ended.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) => {
                let log = std::fs::read_to_string(log_path(&opts.socket)).unwrap_or_default();
                let why: Vec<&str> = log.lines().rev().take_while(|l| !l.starts_with("huitoukan 数据服务已启动")).take(6).collect();
                let why: Vec<&str> = why.into_iter().rev().collect();
                anyhow::bail!("数据服务没有启动起来：{}", if why.is_empty() { "原因不明".to_string() } else { why.join("\n") })
            }
            Err(e) if no_server(&e) && started.elapsed() < START_WAIT => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(250));
            }
            Err(e) if no_server(&e) => {
                anyhow::bail!("数据服务没有启动起来（等了{}秒）。原因请看 {}", START_WAIT.as_secs(), log_path(&opts.socket).display())
            }
            Err(e) => return Err(dial_error(&opts.socket, &e)),
        }
    }
}

/// Where a started server writes its messages: beside its socket, owner-only.
pub fn log_path(socket: &Path) -> PathBuf {
    let mut p = socket.as_os_str().to_owned();
    p.push(".log");
    PathBuf::from(p)
}

fn spawn_server(opts: &Connect) -> std::io::Result<std::process::Child> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::process::CommandExt;
    if let Some(dir) = opts.socket.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(log_path(&opts.socket))?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("serve")
        .arg("--db")
        .arg(&opts.store)
        .arg("--socket")
        .arg(&opts.socket)
        .arg("--idle-exit")
        .arg(opts.idle_exit.as_secs().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let _ = rustix::process::setsid();
            Ok(())
        });
    }
    cmd.spawn()
}

fn handshake(
    stream: UnixStream,
    opts: &Connect,
    events: &Arc<Mutex<VecDeque<Event>>>,
    down: &Arc<AtomicBool>,
) -> anyhow::Result<(Conn, Welcome)> {
    let mut writer = stream.try_clone()?;
    let hello = ClientMsg::Hello { protocol: PROTOCOL, release: protocol::release().into(), operator: opts.operator.clone() };
    protocol::write_frame(&mut writer, &hello).map_err(|e| dial_error(&opts.socket, &e))?;
    stream.set_read_timeout(Some(START_WAIT))?;
    let mut reader = BufReader::new(stream);
    let welcome = match protocol::read_frame::<ServerMsg>(&mut reader) {
        Ok(ServerMsg::Welcome { protocol: p, access, round, note, store, .. }) if p == PROTOCOL => Welcome { access, round, note, store },
        Ok(ServerMsg::Welcome { release, protocol: p, .. }) => anyhow::bail!(
            "数据服务是 huitoukan {release}（协议{p}），本程序是 huitoukan {}（协议{PROTOCOL}），两者不能一起用。请让管理员升级到同一版本",
            protocol::release()
        ),
        Ok(ServerMsg::Refused(m)) => anyhow::bail!("{m}"),
        Ok(_) => anyhow::bail!("数据服务 {} 的回答不对（两边的版本可能不同）", opts.socket.display()),
        Err(e) => anyhow::bail!("数据服务 {} 没有正常回答：{e}", opts.socket.display()),
    };
    reader.get_ref().set_read_timeout(None)?;
    let (tx, replies) = channel();
    let events = Arc::clone(events);
    let down = Arc::clone(down);
    down.store(false, Ordering::SeqCst);
    std::thread::spawn(move || {
        loop {
            match protocol::read_frame::<ServerMsg>(&mut reader) {
                Ok(ServerMsg::Reply { id, part }) => {
                    if tx.send((id, part)).is_err() {
                        break;
                    }
                }
                Ok(ServerMsg::Event(e)) => events.lock().unwrap_or_else(|p| p.into_inner()).push_back(e),
                Ok(_) | Err(_) => break,
            }
        }
        down.store(true, Ordering::SeqCst);
    });
    Ok((Conn { writer, replies }, welcome))
}

/// The rows of a streamed reply, read from the socket as they are taken;
/// dropping it early reads the rest off so the connection stays usable.
struct RowStream<'a> {
    client: &'a Client,
    slot: MutexGuard<'a, Option<Conn>>,
    id: u64,
    buf: VecDeque<Row>,
    done: bool,
}

impl Iterator for RowStream<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            if let Some(r) = self.buf.pop_front() {
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            let Some(conn) = self.slot.as_mut() else {
                self.done = true;
                return Some(Err(disconnected("尚未重新连接")));
            };
            match conn.replies.recv() {
                Ok((rid, _)) if rid != self.id => {}
                Ok((_, Part::Chunk(Response::Rows(rows)))) => self.buf.extend(rows),
                Ok((_, Part::End(Ok(Response::Rows(rows))))) => {
                    self.buf.extend(rows);
                    self.done = true;
                }
                Ok((_, Part::End(Err(e)))) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
                Ok((_, Part::End(_))) => {
                    self.done = true;
                    return Some(Err(unexpected()));
                }
                Ok((_, Part::Chunk(_))) => return Some(Err(unexpected())),
                Err(_) => {
                    self.done = true;
                    return Some(Err(self.client.lost(&mut self.slot)));
                }
            }
        }
    }
}

impl Drop for RowStream<'_> {
    fn drop(&mut self) {
        self.buf.clear();
        while !self.done {
            if self.next().is_none() {
                break;
            }
            self.buf.clear();
        }
    }
}

impl Backend for Client {
    fn describe(&self) -> String {
        let w = self.welcome.lock().unwrap_or_else(|p| p.into_inner());
        format!("{}（数据服务 {}）", w.store, self.opts.socket.display())
    }

    fn access(&self) -> Access {
        self.welcome.lock().unwrap_or_else(|p| p.into_inner()).access.clone()
    }

    fn round(&self) -> Round {
        self.welcome.lock().unwrap_or_else(|p| p.into_inner()).round.clone()
    }

    fn note(&self) -> Option<String> {
        self.welcome.lock().unwrap_or_else(|p| p.into_inner()).note.take()
    }

    fn summaries(&self) -> Result<Vec<Summary>> {
        let mut all = Vec::new();
        let last = self.call_stream(Request::Summaries, &mut |r| match r {
            Response::Summaries(v) => {
                all.extend(v);
                Ok(())
            }
            _ => Err(unexpected()),
        })?;
        match last {
            Response::Summaries(v) => all.extend(v),
            _ => return Err(unexpected()),
        }
        Ok(all)
    }

    fn household_count(&self) -> Result<usize> {
        match self.call(Request::HouseholdCount)? {
            Response::Count(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    fn get(&self, key: u64) -> Result<Option<LookBack>> {
        self.learn_forms()?;
        match self.call(Request::Get(key))? {
            Response::Record(r) => Ok(r),
            _ => Err(unexpected()),
        }
    }

    fn summary(&self, key: u64) -> Result<Option<Summary>> {
        match self.call(Request::Summary(key))? {
            Response::Summary(s) => Ok(s),
            _ => Err(unexpected()),
        }
    }

    fn history(&self, key: u64) -> Result<Vec<AuditEntry>> {
        match self.call(Request::History(key))? {
            Response::History(h) => Ok(h),
            _ => Err(unexpected()),
        }
    }

    fn find(&self, query: &Query, limit: usize) -> Result<Found> {
        match self.call(Request::Find { query: query.clone(), limit })? {
            Response::Found(f) => Ok(f),
            _ => Err(unexpected()),
        }
    }

    fn find_in(&self, query: &Query, within: &Scope, limit: usize) -> Result<Found> {
        match self.call(Request::FindIn { query: query.clone(), within: within.clone(), limit })? {
            Response::Found(f) => Ok(f),
            _ => Err(unexpected()),
        }
    }

    fn places(&self, within: &Scope) -> Result<Vec<VillageCounts>> {
        match self.call(Request::Places(within.clone()))? {
            Response::Places(p) => Ok(p),
            _ => Err(unexpected()),
        }
    }

    fn village(&self, place: &Place) -> Result<Vec<Summary>> {
        match self.call(Request::Village(place.clone()))? {
            Response::Summaries(v) => Ok(v),
            _ => Err(unexpected()),
        }
    }

    fn report(&self, scope: &Scope) -> Result<Report> {
        // The report names the warnings of every form its records use.
        self.learn_forms()?;
        match self.call(Request::Report(scope.clone()))? {
            Response::Report(r) => Ok(*r),
            _ => Err(unexpected()),
        }
    }

    fn township_names(&self) -> Result<Vec<String>> {
        match self.call(Request::TownshipNames)? {
            Response::Names(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    fn rows<'a>(&'a self, filter: &RowFilter) -> Box<dyn Iterator<Item = Result<Row>> + 'a> {
        if let Err(e) = self.learn_forms() {
            return Box::new(std::iter::once(Err(e)));
        }
        let mut slot = self.conn();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sent = match slot.as_mut() {
            Some(conn) => protocol::write_frame(&mut conn.writer, &ClientMsg::Call { id, request: Request::Rows(filter.clone()) }).is_ok(),
            None => false,
        };
        if !sent {
            let e = if slot.is_some() { self.lost(&mut slot) } else { disconnected("尚未重新连接") };
            return Box::new(std::iter::once(Err(e)));
        }
        Box::new(RowStream { client: self, slot, id, buf: VecDeque::new(), done: false })
    }

    fn verify_audit(&self) -> Result<AuditCheck> {
        match self.call(Request::VerifyAudit)? {
            Response::Audit(a) => Ok(a),
            _ => Err(unexpected()),
        }
    }

    fn verify_records(&self) -> Result<crate::store::RecordsCheck> {
        match self.call(Request::VerifyRecords)? {
            Response::Records(r) => Ok(r),
            _ => Err(unexpected()),
        }
    }

    fn audit_entries(&self) -> Result<u64> {
        match self.call(Request::AuditEntries)? {
            Response::U64(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    fn for_each_raw(&self, visit: &mut crate::backend::RawVisitor<'_>) -> Result<RawCounts> {
        let end = self.call_stream(Request::Raw, &mut |r| match r {
            Response::Raw(entries) => {
                for (t, k, v) in &entries {
                    visit(t, k, v)?;
                }
                Ok(())
            }
            _ => Err(unexpected()),
        })?;
        match end {
            Response::RawCounts(c) => Ok(c),
            _ => Err(unexpected()),
        }
    }

    fn form_definitions(&self) -> Result<Vec<(crate::form::FormRef, String)>> {
        match self.call(Request::FormDefinitions)? {
            Response::Definitions(d) => Ok(d),
            _ => Err(unexpected()),
        }
    }

    fn open_form(&self, key: u64) -> Result<Opened> {
        self.learn_forms()?;
        match self.call(Request::OpenForm(key))? {
            Response::Opened(o) => Ok(*o),
            _ => Err(unexpected()),
        }
    }

    fn take_over(&self, key: u64) -> Result<Opened> {
        self.learn_forms()?;
        match self.call(Request::TakeOver(key))? {
            Response::Opened(o) => Ok(*o),
            _ => Err(unexpected()),
        }
    }

    fn close_form(&self, key: u64) -> Result<()> {
        self.call(Request::CloseForm(key)).map(|_| ())
    }

    fn leases(&self) -> Result<Vec<(u64, LeaseView)>> {
        match self.call(Request::Leases)? {
            Response::Leases(l) => Ok(l),
            _ => Err(unexpected()),
        }
    }

    fn upsert_entries(
        &self,
        form: &crate::form::FormRef,
        rows: &[(String, Answers)],
        dry_run: bool,
    ) -> Result<crate::store::EntriesOutcome> {
        match self.call(Request::UpsertEntries { form: form.clone(), rows: rows.to_vec(), dry_run })? {
            Response::EntriesOutcome(o) => Ok(o),
            _ => Err(unexpected()),
        }
    }

    fn insert_entries(&self, entries: &[(u64, Vec<crate::model::Entry>)]) -> Result<()> {
        match self.call(Request::InsertEntries(entries.to_vec()))? {
            Response::Done => Ok(()),
            _ => Err(unexpected()),
        }
    }

    fn entries(&self, key: u64) -> Result<Vec<crate::model::Entry>> {
        match self.call(Request::Entries(key))? {
            Response::Entries(e) => Ok(e),
            _ => Err(unexpected()),
        }
    }

    fn add_entry(&self, key: u64, form: &crate::form::FormRef, answers: &Answers) -> Result<crate::model::Entry> {
        match self.call(Request::AddEntry { key, form: form.clone(), answers: answers.clone() })? {
            Response::Entry(e) => Ok(*e),
            _ => Err(unexpected()),
        }
    }

    fn save_entry(&self, key: u64, form: &str, seq: u32, base: Option<&Answers>, answers: &Answers) -> Result<crate::model::Entry> {
        let request = Request::SaveEntry { key, form: form.to_string(), seq, base: base.cloned(), answers: answers.clone() };
        match self.call(request)? {
            Response::Entry(e) => Ok(*e),
            _ => Err(unexpected()),
        }
    }

    fn void_entry(&self, key: u64, form: &str, seq: u32, reason: &str) -> Result<crate::model::Entry> {
        match self.call(Request::VoidEntry { key, form: form.to_string(), seq, reason: reason.to_string() })? {
            Response::Entry(e) => Ok(*e),
            _ => Err(unexpected()),
        }
    }

    fn save_draft(&self, key: u64, base: Option<&Answers>, answers: &Answers) -> Result<usize> {
        match self.call(Request::SaveDraft { key, base: base.cloned(), answers: answers.clone() })? {
            Response::Count(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    fn submit(&self, key: u64, base: Option<&Answers>, answers: &Answers, confirmed: &[String]) -> Result<()> {
        self.call(Request::Submit { key, base: base.cloned(), answers: answers.clone(), confirmed: confirmed.to_vec() }).map(|_| ())
    }

    fn reopen(&self, key: u64) -> Result<()> {
        self.call(Request::Reopen(key)).map(|_| ())
    }

    fn set_verified(&self, key: u64, verified: bool) -> Result<()> {
        self.call(Request::SetVerified { key, verified }).map(|_| ())
    }

    fn correct_section_a(&self, key: u64, code: &str, value: Option<Value>) -> Result<()> {
        self.call(Request::CorrectSectionA { key, code: code.to_string(), value }).map(|_| ())
    }

    fn plan_upsert(&self, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        self.stage(rows)?;
        match self.call(Request::PlanUpsert)? {
            Response::Upsert(o) => Ok(o),
            _ => Err(unexpected()),
        }
    }

    fn upsert_households(&self, rows: &[(Place, SectionA)]) -> Result<UpsertOutcome> {
        self.stage(rows)?;
        match self.call(Request::Upsert)? {
            Response::Upsert(o) => Ok(o),
            _ => Err(unexpected()),
        }
    }

    fn insert_records(&self, records: &[LookBack], note: &str) -> Result<Vec<u64>> {
        match self.call(Request::InsertRecords { records: records.to_vec(), note: note.to_string() })? {
            Response::Keys(k) => Ok(k),
            _ => Err(unexpected()),
        }
    }

    fn clerks(&self) -> Result<Vec<Clerk>> {
        match self.call(Request::Clerks)? {
            Response::Clerks(c) => Ok(c),
            _ => Err(unexpected()),
        }
    }

    fn add_clerk(&self, clerk: &Clerk) -> Result<()> {
        self.call(Request::AddClerk(clerk.clone())).map(|_| ())
    }

    fn remove_clerk(&self, login: &str) -> Result<bool> {
        match self.call(Request::RemoveClerk(login.to_string()))? {
            Response::Bool(b) => Ok(b),
            _ => Err(unexpected()),
        }
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    fn reconnect(&self) -> Result<bool> {
        let mut slot = self.conn();
        if slot.is_some() && !self.down.load(Ordering::SeqCst) {
            return Ok(true);
        }
        *slot = None;
        let stream = match UnixStream::connect(&self.opts.socket) {
            Ok(s) => s,
            Err(e) if no_server(&e) && self.opts.spawn => match start_and_dial(&self.opts) {
                Ok(s) => s,
                Err(_) => return Ok(false),
            },
            Err(_) => return Ok(false),
        };
        match handshake(stream, &self.opts, &self.events, &self.down) {
            Ok((conn, welcome)) => {
                *slot = Some(conn);
                // A store restored meanwhile may keep other definitions.
                self.learned.store(false, Ordering::SeqCst);
                *self.welcome.lock().unwrap_or_else(|p| p.into_inner()) = welcome;
                // What changed while away is not known one by one.
                self.events.lock().unwrap_or_else(|p| p.into_inner()).push_back(Event::Reload);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn is_disconnected(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    fn report_in_background(&self, scope: &Scope) -> Option<Receiver<Result<Report>>> {
        let (tx, rx) = channel();
        let opts = Connect { spawn: false, ..self.opts.clone() };
        let scope = scope.clone();
        std::thread::spawn(move || {
            let report = match Client::connect(opts) {
                Ok(Some(c)) => c.report(&scope),
                Ok(None) => Err(disconnected("数据服务没有回应")),
                Err(e) => Err(disconnected(&e.to_string())),
            };
            let _ = tx.send(report);
        });
        Some(rx)
    }
}
