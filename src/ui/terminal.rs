//! The terminal: set up and restored (also on panic), the event loop, and
//! what happens when the terminal goes away.
//!
//! Setup is `ratatui::try_init()` (raw mode, alternate screen, a panic hook
//! that restores the terminal before the message prints) plus bracketed
//! paste; [`Session`]'s drop undoes all of it. Frames go through ratatui's
//! diff: nothing clears the screen per frame, so a one-line move sends only
//! the cells that changed. SIGHUP/SIGTERM (a dropped SSH link, a closed
//! window) and a failing terminal end the loop the same way a quit does:
//! the open form's unsaved field is saved first.

use super::app::{self, App};
use super::keymap::Keymap;
use super::theme::Theme;
use super::{effects, view};
use crate::backup::{self, Schedule};
use crate::cli::Global;
use crate::store::browse::SummarySource;
use crate::store::Store;
use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use crossterm::{cursor, execute};
use ratatui::DefaultTerminal;
use std::io::{stdout, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit status when the terminal went away (hang-up, lost tty).
pub const EXIT_TERMINAL_LOST: i32 = 129;

/// Changes past which the summary cache is rewritten on start.
const CACHE_REWRITE_AFTER: usize = 2_000;

/// The terminal in app mode; dropping it restores the terminal.
pub struct Session {
    pub terminal: DefaultTerminal,
}

impl Session {
    pub fn start() -> std::io::Result<Session> {
        let terminal = ratatui::try_init()?;
        // ratatui's hook restores raw mode and the screen; this one also
        // ends bracketed paste and shows the cursor, then hands on.
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableBracketedPaste, cursor::Show);
            restore(info);
        }));
        execute!(stdout(), EnableBracketedPaste)?;
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

/// Loads the app over a store: every summary, then the index and places.
pub fn load(store: &Store, keymap: Keymap, theme: Theme) -> crate::store::Result<(App, SummarySource)> {
    let (summaries, source) = store.load_summaries()?;
    Ok((App::new(summaries, store.round().clone(), keymap, theme), source))
}

/// `huitoukan` with no subcommand: the app on the store.
pub fn run(global: &Global) -> anyhow::Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("huitoukan 需要在终端里运行（不能重定向输入输出）；查询和导出请用 show、report、export 等子命令");
    }
    // Opened before the screen switches, so a locked or damaged store's
    // message prints on the normal screen.
    let store = crate::cli::open_or_create_store(global, "huitoukan")?;
    let (config, mut warnings) = crate::config::Config::load();
    if store.created() {
        warnings.push(format!("已新建空数据库 {}。请先退出，用 huitoukan import 名单文件 导入监测对象名单。", store.path().display()));
    }
    warnings.extend(store.recovery_note());
    let (keymap, keymap_warnings) = Keymap::load(global.keymap.as_deref());
    warnings.extend(keymap_warnings);
    let theme = Theme::new(global.ascii || config.ascii);
    eprint!("正在读取数据库 {} …", store.path().display());
    let (mut app, source) = load(&store, keymap, theme)?;
    eprintln!();
    app.operator = global.operator();
    app.demo = global.demo && global.db.is_none();
    app.warn(warnings);
    let hangup = Arc::new(AtomicBool::new(false));
    // SIGQUIT and SIGINT too: outside the app's raw mode (the exit snapshot)
    // Ctrl-\ and Ctrl-C killed the snapshot half written.
    for signal in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGTERM, signal_hook::consts::SIGQUIT, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&hangup))
            .map_err(|e| anyhow::anyhow!("无法登记挂断信号的处理（{e}），为免断线时丢失正在填写的内容，程序不启动"))?;
    }
    let done = Arc::new(AtomicBool::new(false));
    watchdog(Arc::clone(&hangup), Arc::clone(&done));
    let mut schedule = Schedule::new(config.backup);
    let cache_due = match source {
        SummarySource::Scan => true,
        SummarySource::CachePlus(n) => n > CACHE_REWRITE_AFTER,
        SummarySource::Cache => false,
    };
    let code = {
        let mut session =
            Session::start().map_err(|e| anyhow::anyhow!("无法把终端切换到全屏模式（{e}）。请在普通的终端窗口里运行huitoukan"))?;
        if let Ok(size) = session.terminal.size() {
            app.resize(size.width, size.height);
        }
        let code = event_loop(&mut session.terminal, &store, &mut app, &hangup, cache_due, &mut schedule);
        let pending = app.pending_saves();
        effects::run(&store, &mut app, pending);
        code
    };
    done.store(true, Ordering::Relaxed);
    if code == EXIT_TERMINAL_LOST {
        return Ok(code);
    }
    if let Some(s) = app.status.as_ref().filter(|s| s.error) {
        eprintln!("{}", s.text);
    }
    if code == 0 && schedule.policy().on_exit && (schedule.due_on_exit() || backup::stale(&store)) {
        eprint!("正在做自动快照 …");
        match backup::take(&store, schedule.policy()) {
            Ok((path, _)) => eprintln!(" 已保存到 {}", path.display()),
            Err(e) => eprintln!("\n{}", backup::failure_note(store.path(), &e)),
        }
    }
    Ok(code)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    store: &Store,
    app: &mut App,
    hangup: &AtomicBool,
    mut cache_due: bool,
    schedule: &mut Schedule,
) -> i32 {
    loop {
        if terminal.draw(|f| view::render(f, app)).is_err() {
            return EXIT_TERMINAL_LOST;
        }
        if cache_due {
            // Right after the first frame, while the clerk reads it.
            cache_due = false;
            if let Err(e) = store.write_summary_cache(&app.summaries) {
                app.error(format!("下次启动会慢一些：{e}"));
            }
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
            match event::poll(Duration::ZERO) {
                Ok(true) => break,
                Ok(false) if input == Input::Idle && schedule.due(Instant::now()) => {
                    match backup::take(store, schedule.policy()) {
                        Ok((path, _)) => app.say(format!("已自动快照：{}", path.display())),
                        Err(e) => app.error(backup::failure_note(store.path(), &e)),
                    }
                    schedule.taken(Instant::now());
                    break;
                }
                Ok(false) => {}
                Err(_) => return EXIT_TERMINAL_LOST,
            }
        }
        // Handle what is queued before drawing again (held keys on a slow link).
        for _ in 0..64 {
            if hangup.load(Ordering::Relaxed) || wait_input(0) == Input::Lost {
                return EXIT_TERMINAL_LOST;
            }
            if !event::poll(Duration::ZERO).unwrap_or(false) {
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
            if effects::run(store, app, effects).edited {
                schedule.edited();
            }
            if app.quit {
                break;
            }
        }
    }
}
