//! The terminal: set up and restored (also on panic), the event loop, and
//! what happens when the terminal goes away.
//!
//! Setup is what `ratatui::try_init()` does (raw mode, alternate screen, a
//! panic hook that restores the terminal before the message prints) plus
//! bracketed paste; [`Session`]'s drop undoes all of it. Frames go through
//! ratatui's diff: nothing clears the screen per frame, so a one-line move
//! sends only the cells that changed, written by [`super::wire::Lean`]. SIGHUP/SIGTERM (a dropped SSH link, a closed
//! window) and a failing terminal end the loop the same way a quit does:
//! the open form's unsaved field is saved first.

use super::app::{self, App};
use super::keymap::Keymap;
use super::theme::Theme;
use super::wire::Lean;
use super::{effects, view};
use crate::backend::Backend;
use crate::cli::Global;
use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use std::io::{stdout, IsTerminal, Stdout};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit status when the terminal went away (hang-up, lost tty).
pub const EXIT_TERMINAL_LOST: i32 = 129;

/// How long crossterm is asked to wait when the loop only wants what is
/// there: its poll(2) source (feature `use-dev-tty`) reads nothing at all,
/// not even what it has already parsed, when given a zero timeout.
const POLL: Duration = Duration::from_millis(1);

/// Longest the loop handles queued input before it draws a frame.
const BURST_BUDGET: Duration = Duration::from_millis(200);

/// The app's terminal.
pub type Screen = Terminal<Lean<Stdout>>;

/// The terminal in app mode; dropping it restores the terminal.
pub struct Session {
    pub terminal: Screen,
}

impl Session {
    pub fn start() -> std::io::Result<Session> {
        // The hook ends bracketed paste, shows the cursor and restores raw
        // mode and the screen, then hands on.
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableBracketedPaste, cursor::Show);
            ratatui::restore();
            restore(info);
        }));
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        let terminal = Terminal::new(Lean::new(stdout()))?;
        Ok(Session { terminal })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Errors are ignored: after a hang-up there is no terminal to restore.
        let _ = execute!(stdout(), DisableBracketedPaste);
        let _ = self.terminal.show_cursor();
        let _ = ratatui::try_restore();
    }
}

/// What the terminal has for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Ready,
    Idle,
    Lost,
}

/// Waits up to `ms` for input on the terminal without reading it.
///
/// crossterm 0.28 reads a hung-up terminal in an endless loop (it neither
/// stops at end of file nor on EIO), so the loop asks poll(2) first and
/// never lets crossterm near a terminal that has gone.
fn wait_input(ms: i32) -> Input {
    use rustix::event::{poll, PollFd, PollFlags};
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    match poll(&mut fds, ms) {
        Ok(0) => Input::Idle,
        Ok(_) if fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) => Input::Lost,
        Ok(_) => Input::Ready,
        Err(rustix::io::Errno::INTR) => Input::Idle,
        Err(_) => Input::Lost,
    }
}

/// Ends the process if the loop has not wound up a few seconds after a
/// hang-up (a hang-up racing a read could still catch crossterm's loop);
/// everything saved is already on disk, only the field being typed is lost.
fn watchdog(hangup: Arc<AtomicBool>, done: Arc<AtomicBool>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        if hangup.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_secs(3));
            if !done.load(Ordering::Relaxed) {
                std::process::exit(EXIT_TERMINAL_LOST);
            }
            return;
        }
    });
}

/// Loads the app over the data: every summary in scope, then the index and places.
pub fn load(backend: &dyn Backend, keymap: Keymap, theme: Theme) -> crate::store::Result<App> {
    let summaries = backend.summaries()?;
    let mut app = App::new(summaries, backend.round(), keymap, theme);
    app.leases = backend.leases()?.into_iter().collect();
    Ok(app)
}

/// How often a dropped connection is tried again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// `huitoukan` with no subcommand: the app, as a client of the store's
/// server (started in the background when none runs).
pub fn run(global: &Global) -> anyhow::Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("huitoukan 需要在终端里运行（不能重定向输入输出）；查询和导出请用 show、report、export 等子命令");
    }
    // With no server for this store yet, the app opens the store itself first:
    // a first start creates it (and the demo store its data), a damaged or
    // missing one is refused here, on the normal screen, with its advice.
    let path = global.store_path();
    let mut early = Vec::new();
    if crate::server::Client::connect(global.connect(false))?.is_none() {
        let store = crate::cli::open_or_create_store(global, "huitoukan")?;
        // Counted only for a store this start made (a scan of every household).
        match store.created().then(|| store.household_count()) {
            // The demo store is made with its data (`open_or_create_store`).
            Some(Ok(n)) if n > 0 => {
                early.push(format!("已生成演示数据库 {}（{n}户虚构的演示数据，与正式数据分开）。", store.path().display()))
            }
            Some(_) => {
                early.push(format!("已新建空数据库 {}。请先退出，用 huitoukan import 名单文件 导入监测对象名单。", store.path().display()))
            }
            None => {}
        }
        early.extend(store.recovery_note());
    }
    // Connected before the screen switches, so a refusal's message prints on the normal screen.
    let client = crate::server::Client::connect(global.connect(true))?
        .ok_or_else(|| anyhow::anyhow!("无法连接数据服务 {}", global.socket_path().display()))?;
    let (config, mut warnings) = crate::config::Config::load();
    warnings.extend(early);
    warnings.extend(client.note());
    warnings.extend(client.round().c2_disagreement().map(|m| format!("{m}，C2的提示可能与选项对不上，请报告维护人员")));
    let (keymap, keymap_warnings) = Keymap::load(global.keymap.as_deref());
    warnings.extend(keymap_warnings);
    let theme = Theme::new(global.ascii || config.ascii);
    eprint!("正在读取数据库 {} …", client.describe());
    let mut app = load(&client, keymap, theme)?;
    eprintln!();
    // The server decides whose saves these are (the operator asked for, or the registered clerk).
    app.operator = client.access().who;
    if global.operator().is_none() {
        warnings.insert(0, crate::cli::NO_OPERATOR.to_string());
    }
    app.demo = global.demo && global.db.is_none();
    app.warn(warnings);
    // Where this clerk left off in this store (a missing or broken file: the first village).
    if let Some(place) = super::resume::load_from(&super::resume::file(), &path) {
        app.resume(&place);
    }
    let hangup = Arc::new(AtomicBool::new(false));
    // SIGQUIT and SIGINT too: outside the app's raw mode (the exit snapshot)
    // Ctrl-\ and Ctrl-C killed the snapshot half written.
    for signal in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGTERM, signal_hook::consts::SIGQUIT, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&hangup))
            .map_err(|e| anyhow::anyhow!("无法登记挂断信号的处理（{e}），为免断线时丢失正在填写的内容，程序不启动"))?;
    }
    let done = Arc::new(AtomicBool::new(false));
    watchdog(Arc::clone(&hangup), Arc::clone(&done));
    let code = {
        let mut session =
            Session::start().map_err(|e| anyhow::anyhow!("无法把终端切换到全屏模式（{e}）。请在普通的终端窗口里运行huitoukan"))?;
        if let Ok(size) = session.terminal.size() {
            app.resize(size.width, size.height);
        }
        let code = event_loop(&mut session.terminal, &client, &mut app, &hangup, &path);
        let mut pending = app.pending_saves();
        if let Some(key) = app.form_key() {
            let _ = client.close_form(key);
        }
        if client.is_disconnected() && !pending.is_empty() {
            let _ = client.reconnect();
        }
        effects::run(&client, &mut app, std::mem::take(&mut pending));
        let _ = super::resume::save_to(&super::resume::file(), &path, &app.resume_state());
        code
    };
    done.store(true, Ordering::Relaxed);
    if code == EXIT_TERMINAL_LOST {
        return Ok(code);
    }
    if let Some(s) = app.status.as_ref().filter(|s| s.error) {
        eprintln!("{}", s.text);
    }
    Ok(code)
}

/// Applies what the server pushed; while the connection is down, says so
/// and tries again every second, then sends what was left unsaved.
fn follow_server(backend: &dyn Backend, app: &mut App, last_try: &mut Option<Instant>) -> bool {
    let mut changed = false;
    if backend.is_disconnected() && last_try.is_none_or(|t| t.elapsed() >= RECONNECT_EVERY) {
        *last_try = Some(Instant::now());
        if backend.reconnect().unwrap_or(false) {
            app.say("已重新连接数据服务");
            let pending = app.pending_saves();
            effects::run(backend, app, pending);
        } else {
            app.error("与数据服务的连接断开，正在重新连接…（已录入的内容仍在屏幕上，连接恢复后会自动保存）");
        }
        changed = true;
    }
    let events = backend.events();
    if !events.is_empty() {
        let mut effects = Vec::new();
        for ev in events {
            effects.extend(app.apply_event(ev));
        }
        effects::run(backend, app, effects);
        changed = true;
    }
    changed
}

/// Shows the statistics once their report has arrived; whether it did.
fn report_arrived(
    app: &mut App,
    pending: &mut Option<(String, std::sync::mpsc::Receiver<crate::store::Result<crate::report::Report>>)>,
) -> bool {
    let Some((_, rx)) = pending.as_ref() else { return false };
    let arrived = match rx.try_recv() {
        Ok(r) => r,
        Err(std::sync::mpsc::TryRecvError::Empty) => return false,
        Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(crate::store::StoreError::Internal("统计没有做完".into())),
    };
    let Some((title, _)) = pending.take() else { return false };
    match arrived {
        Ok(r) => app.loaded(app::Loaded::Stats(title, r)),
        Err(e) => app.error(format!("统计没有做成：{e}")),
    }
    true
}

fn event_loop(terminal: &mut Screen, backend: &dyn Backend, app: &mut App, hangup: &AtomicBool, store: &Path) -> i32 {
    let mut last_try = None;
    let mut remembered = app.resume_state();
    // A statistics report computed off the loop, until it arrives.
    let mut report: Option<(String, std::sync::mpsc::Receiver<crate::store::Result<crate::report::Report>>)> = None;
    loop {
        if terminal.draw(|f| view::render(f, app)).is_err() {
            return EXIT_TERMINAL_LOST;
        }
        if app.quit {
            return 0;
        }
        loop {
            if hangup.load(Ordering::Relaxed) {
                return EXIT_TERMINAL_LOST;
            }
            // Resizes arrive by signal, so crossterm is asked even when idle.
            let input = wait_input(250);
            if input == Input::Lost {
                return EXIT_TERMINAL_LOST;
            }
            match event::poll(POLL) {
                Ok(true) => break,
                Ok(false) if follow_server(backend, app, &mut last_try) => break,
                Ok(false) if report_arrived(app, &mut report) => break,
                Ok(false) if input == Input::Idle => {
                    // The place, remembered when the clerk pauses (a kill loses at most the last moves).
                    let place = app.resume_state();
                    if place != remembered {
                        let _ = super::resume::save_to(&super::resume::file(), store, &place);
                        remembered = place;
                    }
                    // A pause in typing: the form saves the field being typed.
                    let effects = app.tick(Instant::now());
                    if !effects.is_empty() {
                        effects::run(backend, app, effects);
                        break;
                    }
                }
                Ok(false) => {}
                Err(_) => return EXIT_TERMINAL_LOST,
            }
        }
        // Handle everything queued before drawing again (held keys on a slow
        // link, a burst from an input method): it is all on screen in the next
        // frame. Only a flood that takes longer than a frame's budget to
        // handle is drawn in steps.
        let started = Instant::now();
        while started.elapsed() < BURST_BUDGET {
            if hangup.load(Ordering::Relaxed) || wait_input(0) == Input::Lost {
                return EXIT_TERMINAL_LOST;
            }
            if !event::poll(POLL).unwrap_or(false) {
                break;
            }
            let effects = match event::read() {
                Ok(Event::Key(key)) => app::handle_key(app, key),
                Ok(Event::Paste(text)) => app::paste(app, &text),
                Ok(Event::Resize(cols, rows)) => {
                    app.resize(cols, rows);
                    Vec::new()
                }
                Ok(_) => Vec::new(),
                Err(_) => return EXIT_TERMINAL_LOST,
            };
            if let Some(r) = effects::run(backend, app, effects).report {
                report = Some(r);
            }
            if app.quit {
                break;
            }
        }
    }
}
