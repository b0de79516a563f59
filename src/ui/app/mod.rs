//! The app: a welcome screen, a dataset loading on a worker thread (progress and Cancel), then the
//! grid of samples with its filters, the inspector, the summary, and a status bar. `logic` drains
//! what the threads finished (loads, decodes, dialogs) under a time box; the bars and screens
//! collect [`AppCommand`]s while laying out, and `apply` carries them out after.

mod browse_layout;
mod closing;
mod command;
mod dialogs;
mod hover_audio;
mod loader;
mod logic;
mod path_field;
mod recent;
mod screens;
mod selection_bar;
mod status_bar;
mod store;
mod top_bar;
mod warnings_panel;

use std::path::PathBuf;
use std::time::Instant;

use eframe::egui;

use crate::core::data::load;
use crate::ui::workers::decode_pool::DecodePool;
use crate::ui::workers::thumb_store::ThumbnailStore;

use super::audio_player::AudioPlayer;
use super::browse::Browse;
use super::edits::session::EditSession;
use super::overlay::OverlayState;
use super::scroll_bench::ScrollBench;
use super::texture_cache::TextureCache;
use closing::CloseGuard;
use command::AppCommand;
use dialogs::{DialogKind, FileDialogs};
use loader::{Loading, PendingReport};
use path_field::{PathField, PathPurpose};
pub use recent::RecentDataset;
use recent::RecentList;
use screens::Screen;
use store::StoreState;

/// Texture memory the grid and inspector may hold.
const TEXTURE_BUDGET_BYTES: usize = 512 << 20;

/// The spotcheck app.
pub struct App {
    screen: Screen,
    cache: TextureCache,
    pool: Option<DecodePool>,
    recent: RecentList,
    /// What is loading, to remember it once it has loaded.
    opening: Option<RecentDataset>,
    /// Where the open dataset's report arrives from.
    report: Option<PendingReport>,
    /// The scripted scroll, when `SPOTCHECK_SCROLL_BENCH` is set.
    scroll_bench: Option<ScrollBench>,
    /// The on-disk thumbnail cache, or why there is none.
    store: StoreState,
    /// Where label journals live instead of each dataset's `.spotcheck/` (`--state-dir`).
    state_dir: Option<PathBuf>,
    /// What a write-back said, kept across the reload it causes (with the edits panel open).
    carry_notice: Option<String>,
    /// The inspector's audio player (one clip at a time).
    audio: AudioPlayer,
    /// The file dialog that is open, and whether any can open here.
    dialogs: FileDialogs,
    /// "Open a path…" (on the welcome screen, or in a window over the others).
    path_field: PathField,
    /// Whether the path field's window is open (screens other than the welcome screen).
    path_window: bool,
    /// Journal threads still committing, and a window close that waits for them.
    close: CloseGuard,
    /// Saliency overlays in the inspector (`--overlays`, "Open overlays…").
    overlay: OverlayState,
}

impl Default for App {
    fn default() -> Self {
        Self {
            screen: Screen::Welcome,
            cache: TextureCache::new(TEXTURE_BUDGET_BYTES),
            pool: None,
            recent: RecentList::default(),
            opening: None,
            report: None,
            scroll_bench: None,
            store: StoreState::Off("off".into()),
            state_dir: None,
            carry_notice: None,
            audio: AudioPlayer::default(),
            dialogs: FileDialogs::detect(),
            path_field: PathField::default(),
            path_window: false,
            close: CloseGuard::default(),
            overlay: OverlayState::default(),
        }
    }
}

impl App {
    /// The app with its recent datasets read back from eframe's storage; the thumbnail store opens
    /// on a thread.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        Self {
            recent: RecentList::from_storage(cc.storage),
            scroll_bench: ScrollBench::from_env(),
            store: StoreState::open_in_background(
                ThumbnailStore::default_dir(),
                cc.egui_ctx.clone(),
            ),
            ..Self::default()
        }
    }

    /// Whether a clip is playing (tests; the UI shows it in the inspector).
    pub fn is_playing_audio(&self) -> bool {
        self.audio.active()
    }

    /// Plays into a null output that never touches a sound device (tests).
    pub fn with_null_audio(mut self) -> Self {
        self.audio = AudioPlayer::null();
        self
    }

    /// The inspector's overlay state (tests look at what it draws).
    pub fn overlay(&self) -> &OverlayState {
        &self.overlay
    }

    /// Draws the overlays in `dir` over samples in the inspector (`--overlays`; `None`: none until
    /// a folder is opened there).
    pub fn with_overlays(mut self, dir: Option<PathBuf>) -> Self {
        self.overlay = OverlayState::new(dir);
        self
    }

    /// Keeps label journals under `dir` (for read-only datasets) instead of in each dataset.
    pub fn with_state_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.state_dir = dir;
        self
    }

    /// Keeps grid thumbnails in `dir` across runs (`None`: decode every time), opened now (tests;
    /// the app opens its store on a thread). A cache that cannot be opened is reported in the status
    /// bar and the app runs without it.
    pub fn with_thumbnail_store(mut self, dir: Option<PathBuf>) -> Self {
        self.store = StoreState::open_blocking(dir);
        self
    }

    /// Datasets opened before, newest first.
    pub fn recent(&self) -> &[RecentDataset] {
        self.recent.items()
    }

    /// Starts loading `path` (and `predictions`) on a worker thread. The open dataset's label
    /// journal finishes its commits on its own thread (the close waits for it).
    pub fn open(&mut self, path: PathBuf, predictions: Option<PathBuf>, ctx: egui::Context) {
        self.open_with(path, predictions, None, ctx);
    }

    /// [`App::open`] with an annotations file (several judgements per sample) too.
    pub fn open_with(
        &mut self,
        path: PathBuf,
        predictions: Option<PathBuf>,
        annotations: Option<PathBuf>,
        ctx: egui::Context,
    ) {
        self.open_models(path, predictions.into_iter().collect(), annotations, ctx);
    }

    /// [`App::open_with`] with several predictions files, one per model (the first is selected;
    /// with two or more the top bar offers the Compare view).
    pub fn open_models(
        &mut self,
        path: PathBuf,
        predictions: Vec<PathBuf>,
        annotations: Option<PathBuf>,
        ctx: egui::Context,
    ) {
        if let Screen::Browsing(browse) = &mut self.screen
            && let Some(session) = browse.edits.take()
        {
            self.close.retire(session.close());
        }
        self.audio.stop();
        // Absolute, so the recent list works from any working folder.
        let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        self.opening = Some(RecentDataset {
            path: absolute(&path),
            predictions: predictions.first().map(absolute),
            more_predictions: predictions.iter().skip(1).map(absolute).collect(),
            annotations: annotations.as_ref().map(absolute),
        });
        self.report = None;
        self.screen = match Loading::start(
            path.clone(),
            predictions,
            annotations,
            self.state_dir.clone(),
            ctx,
        ) {
            Ok(loading) => Screen::Loading(loading),
            Err(message) => Screen::Failed { path, message },
        };
    }

    /// The browsing state, once a dataset is open (tests look at it).
    pub fn browse(&self) -> Option<&Browse> {
        match &self.screen {
            Screen::Browsing(b) => Some(b),
            _ => None,
        }
    }

    /// The browsing state, mutable (tests set the seed with it, as a user types it).
    pub fn browse_mut(&mut self) -> Option<&mut Browse> {
        match &mut self.screen {
            Screen::Browsing(b) => Some(b),
            _ => None,
        }
    }

    /// Draws the whole window (also the entry point for GUI tests).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let frame_start = Instant::now();
        let ctx = ui.ctx().clone();
        if let (Some(bench), Screen::Browsing(browse)) = (&mut self.scroll_bench, &mut self.screen)
        {
            if bench.finished() {
                eprintln!("{}", bench.report());
                self.scroll_bench = None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                browse.forced_scroll = Some(bench.offset());
                ctx.request_repaint();
            }
        }
        self.logic(&ctx);
        let mut commands = Vec::new();
        for file in ctx.input(|i| i.raw.dropped_files.clone()) {
            let path = file.path();
            if !path.as_os_str().is_empty() {
                commands.push(AppCommand::Open {
                    path: path.to_path_buf(),
                    predictions: None,
                });
            }
        }
        top_bar::top_bar_ui(ui, self.browse_mut(), &mut commands);
        status_bar::status_bar_ui(ui, self.browse(), self.cache.bytes(), &self.store);
        self.screen_ui(ui, &mut commands);
        let saving = self
            .browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(EditSession::saving);
        self.close.ui(ui, saving);
        self.cache.end_frame();
        if let (Some(bench), Screen::Browsing(_)) = (&mut self.scroll_bench, &self.screen) {
            bench.record_ui(frame_start.elapsed());
        }
        if let Screen::Browsing(browse) = &mut self.screen
            && let Some(session) = &mut browse.edits
            && std::mem::take(&mut session.reload)
        {
            self.carry_notice = session.notice.take();
            // A write-back changed the files: read them again (the journal now says "applied").
            commands.push(AppCommand::Reopen {
                path: browse.loaded.path.clone(),
                predictions: browse.loaded.models.paths(),
                annotations: None,
            });
        }
        if let Screen::Browsing(browse) = &mut self.screen
            && std::mem::take(&mut browse.add_predictions_asked)
        {
            commands.push(AppCommand::Pick(DialogKind::AddPredictions));
        }
        if std::mem::take(&mut self.overlay.open_asked) {
            commands.push(AppCommand::Pick(DialogKind::Overlays));
        }
        self.apply(commands, &ctx);
    }

    /// The screen under the bars, and the path field's window over it.
    fn screen_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        let no_dialog = self.dialogs.unavailable.as_deref();
        match (&mut self.screen, self.pool.as_ref()) {
            (Screen::Browsing(browse), Some(pool)) => {
                browse_layout::browse_ui(
                    ui,
                    browse,
                    &mut self.cache,
                    pool,
                    &mut self.audio,
                    &mut self.overlay,
                );
                if browse.visible_pending == 0
                    && !browse.shown.is_empty()
                    && !browse.inspecting
                    && let Some(opened) = browse.opened_at.take()
                {
                    load::timing("first screen of thumbnails (since open)", opened);
                }
            }
            (screen, _) => {
                egui::CentralPanel::default().show(ui, |ui| match screen {
                    Screen::Welcome => screens::welcome_ui(
                        ui,
                        &self.recent,
                        &mut self.path_field,
                        no_dialog,
                        commands,
                    ),
                    Screen::Loading(loading) => screens::loading_ui(ui, loading),
                    Screen::Failed { path, message } => screens::failed_ui(ui, path, message),
                    Screen::Browsing(_) => {}
                });
            }
        }
        if self.path_window && !matches!(self.screen, Screen::Welcome) {
            let mut open = true;
            let mut picked = None;
            egui::Window::new("Open a path")
                .open(&mut open)
                .collapsible(false)
                .show(ui, |ui| {
                    if let Some(why) = no_dialog {
                        ui.colored_label(ui.visuals().warn_fg_color, why);
                    }
                    picked = self.path_field.ui(ui);
                });
            if let Some(path) = picked {
                commands.push(match self.path_field.purpose {
                    PathPurpose::Dataset => AppCommand::Open {
                        path,
                        predictions: None,
                    },
                    PathPurpose::Predictions => AppCommand::OpenPredictions(path),
                    PathPurpose::AddPredictions => AppCommand::AddPredictions(path),
                    PathPurpose::Annotations => AppCommand::OpenAnnotations(path),
                    PathPurpose::Overlays => AppCommand::OpenOverlays(path),
                });
                open = false;
            }
            self.path_window = open;
        }
    }

    /// Carries out what the layout asked for.
    fn apply(&mut self, commands: Vec<AppCommand>, ctx: &egui::Context) {
        if let Some((kind, path)) = self.dialogs.poll() {
            self.apply(vec![picked_command(kind, path)], ctx);
        }
        for command in commands {
            match command {
                AppCommand::Open { path, predictions } => {
                    self.path_window = false;
                    self.open(path, predictions, ctx.clone());
                }
                AppCommand::OpenPredictions(file) => {
                    if let Some(b) = self.browse() {
                        let (path, annotations) =
                            (b.loaded.path.clone(), b.loaded.annotations_path.clone());
                        self.open_with(path, Some(file), annotations, ctx.clone());
                    }
                }
                AppCommand::OpenOverlays(dir) => {
                    self.path_window = false;
                    self.overlay.set_dir(dir);
                }
                AppCommand::OpenAnnotations(file) => {
                    if let Some(b) = self.browse() {
                        let (path, predictions) = (b.loaded.path.clone(), b.loaded.models.paths());
                        self.open_models(path, predictions, Some(file), ctx.clone());
                    }
                }
                AppCommand::AddPredictions(file) => {
                    if let Some(b) = self.browse() {
                        let (path, annotations) =
                            (b.loaded.path.clone(), b.loaded.annotations_path.clone());
                        let mut predictions = b.loaded.models.paths();
                        predictions.push(file);
                        self.open_models(path, predictions, annotations, ctx.clone());
                    }
                }
                AppCommand::Reopen {
                    path,
                    predictions,
                    annotations,
                } => self.open_models(path, predictions, annotations, ctx.clone()),
                AppCommand::Pick(kind) if self.dialogs.unavailable.is_some() => {
                    let purpose = match kind {
                        DialogKind::Predictions => PathPurpose::Predictions,
                        DialogKind::AddPredictions => PathPurpose::AddPredictions,
                        DialogKind::Annotations => PathPurpose::Annotations,
                        DialogKind::Overlays => PathPurpose::Overlays,
                        DialogKind::Folder | DialogKind::Manifest => PathPurpose::Dataset,
                    };
                    self.apply(vec![AppCommand::TypePath(purpose)], ctx);
                }
                AppCommand::Pick(kind) => self.dialogs.open(kind, ctx),
                AppCommand::TypePath(purpose) => {
                    self.path_field.focus_for(purpose);
                    self.path_window = !matches!(self.screen, Screen::Welcome);
                }
            }
        }
    }
}

/// What a path chosen in a dialog opens.
fn picked_command(kind: DialogKind, path: PathBuf) -> AppCommand {
    match kind {
        DialogKind::Predictions => AppCommand::OpenPredictions(path),
        DialogKind::AddPredictions => AppCommand::AddPredictions(path),
        DialogKind::Annotations => AppCommand::OpenAnnotations(path),
        DialogKind::Overlays => AppCommand::OpenOverlays(path),
        DialogKind::Folder | DialogKind::Manifest => AppCommand::Open {
            path,
            predictions: None,
        },
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(bench) = &mut self.scroll_bench {
            bench.record_frame(frame.info().cpu_usage);
        }
        self.show(ui);
        // Saved as soon as a dataset has opened, not only at exit (a killed app keeps its list).
        self.recent.save_if_changed(frame.storage_mut());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.recent.save(storage);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // Every journal thread commits what it was sent before the process ends (bounded wait).
        if let Screen::Browsing(browse) = &mut self.screen
            && let Some(session) = browse.edits.take()
        {
            self.close.retire(session.close());
        }
        self.close = CloseGuard::default();
    }
}
