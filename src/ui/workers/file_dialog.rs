//! rfd's `AsyncFileDialog` polled to completion on the thread that asks (never the UI thread): a
//! dialog can stay open for minutes, and the frame loop goes on meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use eframe::egui;

/// Wakes the thread that polls the dialog's future.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread, parking between wake-ups.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// What to do with the path a save chose.
type Then = Box<dyn FnOnce(&Path) + Send>;

/// A save waiting for a typed path (no dialog could open).
struct Typed {
    path: String,
    then: Then,
    /// The field takes the keyboard on the frame it first shows.
    focus: bool,
    /// The path (as typed, `~/` expanded) that Save found already there: the button then says
    /// "Replace", as a file dialog asks before it overwrites. Editing the path asks again.
    exists: Option<String>,
}

impl Typed {
    fn new(name: &str, then: Then) -> Self {
        Self {
            path: suggested_path(name),
            then,
            focus: true,
            exists: None,
        }
    }
}

/// A save: rfd's dialog on an `export` thread, and where no dialog can open (no xdg-desktop-portal
/// and no zenity; rfd then answers "cancelled" at once) a path field under the panel's buttons, so
/// Save never silently does nothing. Each panel that saves keeps one and draws its [`Self::ui`].
pub struct SaveTo {
    typed: Option<Typed>,
    fell_back_tx: Sender<Typed>,
    fell_back_rx: Receiver<Typed>,
}

impl Default for SaveTo {
    fn default() -> Self {
        let (fell_back_tx, fell_back_rx) = std::sync::mpsc::channel();
        Self {
            typed: None,
            fell_back_tx,
            fell_back_rx,
        }
    }
}

/// Set by [`use_path_fields`]: saves ask with the path field, never a dialog.
static PATH_FIELDS_ONLY: AtomicBool = AtomicBool::new(false);

/// Saves ask for a typed path instead of opening a dialog (GUI tests: no dialog may open there,
/// whatever the machine has).
pub fn use_path_fields() {
    PATH_FIELDS_ONLY.store(true, Ordering::Relaxed);
}

impl SaveTo {
    /// Asks where to save (`name` suggested, `what` files ending in `ext`) and runs `then` with the
    /// chosen path on an `export` thread: the dialog and the write never hold a frame. Nothing runs
    /// when the dialog is cancelled; the UI is woken either way. `Err` when the thread could not
    /// start.
    pub fn ask(
        &mut self,
        name: &str,
        what: &str,
        ext: &str,
        ctx: &egui::Context,
        then: impl FnOnce(&Path) + Send + 'static,
    ) -> std::io::Result<()> {
        if PATH_FIELDS_ONLY.load(Ordering::Relaxed) || why_no_dialog().is_some() {
            self.typed = Some(Typed::new(name, Box::new(then)));
            return Ok(());
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_file_name(name)
            .add_filter(what, &[ext]);
        let ctx = ctx.clone();
        let fell_back = self.fell_back_tx.clone();
        let name = name.to_string();
        std::thread::Builder::new()
            .name("export".into())
            .spawn(move || {
                let started = Instant::now();
                match block_on(dialog.save_file()) {
                    Some(handle) => then(handle.path()),
                    // Answered faster than a person could: the dialog never showed.
                    None if started.elapsed() < TOO_FAST => {
                        fell_back.send(Typed::new(&name, Box::new(then))).ok();
                    }
                    None => {}
                }
                ctx.request_repaint();
            })
            .map(drop)
    }

    /// Whether a save waits for a typed path (its field is showing): a panel that keeps room for
    /// its save row keeps room for the field too.
    pub fn is_asking(&mut self) -> bool {
        while let Ok(typed) = self.fell_back_rx.try_recv() {
            self.typed = Some(typed);
        }
        self.typed.is_some()
    }

    /// The height [`Self::ui`] takes this frame: the notice and the field while asking, and the
    /// "already exists" line while it asks to replace.
    pub fn reserved_height(&mut self) -> f32 {
        if !self.is_asking() {
            return 0.0;
        }
        let replacing = self.typed.as_ref().is_some_and(|t| t.exists.is_some());
        50.0 + if replacing { 22.0 } else { 0.0 }
    }

    /// The path field, while a save waits for one: "Save" writes there (on an `export` thread), after
    /// a second click ("Replace") when a file is already there; "Cancel" drops the save.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.is_asking();
        let Some(typed) = &mut self.typed else {
            return;
        };
        let (mut save, mut cancel) = (false, false);
        ui.label("No file dialog can open here (it needs xdg-desktop-portal or zenity).");
        let chosen = expand_home(typed.path.trim());
        let replacing = typed.exists.as_deref() == Some(chosen.as_str());
        ui.horizontal(|ui| {
            let label = ui.label("Save to");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut typed.path)
                        .id_salt("save-to-path")
                        .desired_width((ui.available_width() - 150.0).max(120.0))
                        .hint_text("/path/to/file"),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut typed.focus) {
                field.request_focus();
                field.scroll_to_me(None);
            }
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            save = ui
                .button(if replacing { "Replace" } else { "Save" })
                .clicked()
                || entered;
            cancel = ui.button("Cancel").clicked();
        });
        if replacing {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{chosen} already exists: Replace writes over it."),
            );
        }
        if cancel {
            self.typed = None;
            return;
        }
        if !save || chosen.is_empty() {
            return;
        }
        // One stat, on the click (not per frame): a dialog asks before it overwrites, so does this.
        if !replacing && Path::new(&chosen).exists() {
            typed.exists = Some(chosen);
            return;
        }
        if let Some(Typed { then, .. }) = self.typed.take() {
            let path = PathBuf::from(chosen);
            let ctx = ui.ctx().clone();
            let spawned = std::thread::Builder::new()
                .name("export".into())
                .spawn(move || {
                    then(&path);
                    ctx.request_repaint();
                });
            if let Err(e) = spawned {
                ui.label(format!("Could not start the export: {e}"));
            }
        }
    }
}

/// A typed path with a leading `~/` made the home folder's (the path fields take what a shell would).
pub fn expand_home(text: &str) -> String {
    match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", Path::new(&home).display()),
        _ => text.to_string(),
    }
}

/// The suggested name in the folder spotcheck was started from.
fn suggested_path(name: &str) -> String {
    std::env::current_dir()
        .map(|d| d.join(name))
        .unwrap_or_else(|_| PathBuf::from(name))
        .display()
        .to_string()
}

/// An answer faster than this is no person's: the dialog never showed.
pub const TOO_FAST: Duration = Duration::from_millis(300);

/// Why no dialog can open, when that can be told without trying (zenity on the PATH, or a session
/// bus for xdg-desktop-portal).
pub fn why_no_dialog() -> Option<String> {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    if on_path("zenity") {
        return None;
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || runtime.as_ref().is_some_and(|r| r.join("bus").exists());
    if runtime.as_ref().is_some_and(|r| r.is_dir()) && bus {
        return None;
    }
    Some(
        "No file dialog can open here (no xdg-desktop-portal session and no zenity): type a path \
         instead."
            .into(),
    )
}
