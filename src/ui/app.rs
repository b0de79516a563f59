//! The app: a welcome screen, a dataset loading on a worker thread (progress and Cancel), then the
//! grid of samples with its filters, the inspector, the summary, and a status bar. Decoding runs
//! on a pool of worker threads; results are drained at the start of each frame under a time box.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::core::analysis::report::{DEFAULT_BINS, StatsReport};
use crate::core::data::load::{self, LoadControl};
use crate::core::data::warnings::Warnings;
use crate::ui::workers::decode_pool::DecodePool;
use crate::ui::workers::thumb_store::{DEFAULT_BUDGET_BYTES, ThumbnailStore};

use super::browse::{Browse, Tab};
use super::inspector::{InspectorAction, inspector_ui};
use super::loaded::Loaded;
use super::texture_cache::TextureCache;

/// Texture memory the grid and inspector may hold.
const TEXTURE_BUDGET_BYTES: usize = 512 << 20;
/// Longest time per frame spent uploading finished decodes, so scrolling stays smooth.
const DRAIN_BUDGET: Duration = Duration::from_millis(6);

/// What the loader thread sends: the dataset first (the grid can show), then its report.
enum LoadMessage {
    Loaded(Result<Box<Loaded>, String>),
    Report(Box<StatsReport>),
}

/// What the window shows.
#[derive(Default)]
enum Screen {
    #[default]
    Welcome,
    Loading {
        path: PathBuf,
        control: LoadControl,
        rx: Receiver<LoadMessage>,
        started: Instant,
    },
    Browsing(Box<Browse>),
    Failed {
        path: PathBuf,
        message: String,
    },
}

/// A dataset opened before, for the welcome screen (persisted with eframe's storage).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentDataset {
    /// The dataset path as opened.
    pub path: PathBuf,
    /// The predictions opened with it.
    pub predictions: Option<PathBuf>,
}

/// How many recent datasets the welcome screen lists.
const MAX_RECENT: usize = 10;
/// Storage key of the recent list.
const RECENT_KEY: &str = "recent_datasets";

/// The spotcheck app.
pub struct App {
    screen: Screen,
    cache: TextureCache,
    pool: Option<DecodePool>,
    recent: Vec<RecentDataset>,
    /// What is loading, to remember it once it has loaded.
    opening: Option<RecentDataset>,
    /// The recent list changed and is not saved yet.
    recent_unsaved: bool,
    /// Where the open dataset's report arrives from.
    report_rx: Option<Receiver<LoadMessage>>,
    /// The scripted scroll, when `SPOTCHECK_SCROLL_BENCH` is set.
    scroll_bench: Option<super::scroll_bench::ScrollBench>,
    /// The on-disk thumbnail cache, or why there is none.
    store: Result<Arc<ThumbnailStore>, String>,
    /// Where label journals live instead of each dataset's `.spotcheck/` (`--state-dir`).
    state_dir: Option<PathBuf>,
    /// What a write-back said, kept across the reload it causes (with the edits panel open).
    carry_notice: Option<String>,
    /// The inspector's audio player (one clip at a time).
    audio: super::audio_player::AudioPlayer,
}

impl Default for App {
    fn default() -> Self {
        Self {
            screen: Screen::Welcome,
            cache: TextureCache::new(TEXTURE_BUDGET_BYTES),
            pool: None,
            recent: Vec::new(),
            opening: None,
            recent_unsaved: false,
            report_rx: None,
            scroll_bench: None,
            store: Err("off".into()),
            state_dir: None,
            carry_notice: None,
            audio: super::audio_player::AudioPlayer::default(),
        }
    }
}

impl App {
    /// The app with its recent datasets read back from eframe's storage.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let recent = cc
            .storage
            .and_then(|s| eframe::get_value::<Vec<RecentDataset>>(s, RECENT_KEY))
            .unwrap_or_default();
        Self {
            recent,
            scroll_bench: super::scroll_bench::ScrollBench::from_env(),
            ..Self::default()
        }
        .with_thumbnail_store(ThumbnailStore::default_dir())
    }

    /// Whether a clip is playing (tests; the UI shows it in the inspector).
    pub fn is_playing_audio(&self) -> bool {
        self.audio.active()
    }

    /// Plays into a null output that never touches a sound device (tests).
    pub fn with_null_audio(mut self) -> Self {
        self.audio = super::audio_player::AudioPlayer::null();
        self
    }

    /// Keeps label journals under `dir` (for read-only datasets) instead of in each dataset.
    pub fn with_state_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.state_dir = dir;
        self
    }

    /// Keeps grid thumbnails in `dir` across runs (`None`: decode every time). A cache that
    /// cannot be opened is reported in the status bar and the app runs without it.
    pub fn with_thumbnail_store(mut self, dir: Option<PathBuf>) -> Self {
        self.store = match dir {
            None => Err("off".into()),
            Some(dir) => ThumbnailStore::open(&dir, DEFAULT_BUDGET_BYTES).map_err(|e| {
                eprintln!("warning: {e}; thumbnails will be decoded every time");
                format!("off ({e})")
            }),
        };
        self
    }

    /// Datasets opened before, newest first.
    pub fn recent(&self) -> &[RecentDataset] {
        &self.recent
    }

    /// Starts loading `path` (and `predictions`) on a worker thread.
    pub fn open(&mut self, path: PathBuf, predictions: Option<PathBuf>, ctx: egui::Context) {
        // Absolute, so the recent list works from any working folder.
        let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        self.opening = Some(RecentDataset {
            path: absolute(&path),
            predictions: predictions.as_ref().map(absolute),
        });
        self.report_rx = None;
        let (tx, rx) = std::sync::mpsc::channel();
        let control = LoadControl::default();
        let worker_control = control.clone();
        let worker_path = path.clone();
        let predictions_path = predictions;
        let state_dir = self.state_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("dataset-loader".into())
            .spawn(move || {
                let mut warnings = Warnings::default();
                let result = crate::core::labels::open_for_editing(
                    &worker_path,
                    predictions_path.as_deref(),
                    Some(&worker_control),
                    &mut warnings,
                    state_dir.as_deref(),
                );
                let (base, predictions, edited) = match result {
                    Ok((d, p, e)) => (Arc::new(d), p.map(Arc::new), e),
                    Err(e) => {
                        tx.send(LoadMessage::Loaded(Err(e.to_string()))).ok();
                        ctx.request_repaint();
                        return;
                    }
                };
                // Every class a pending edit names is in `base` already: no predictions remap.
                let mut edited_dataset = (*base).clone();
                let _ = edited_dataset.relabel(&edited.state.labels());
                let dataset = Arc::new(edited_dataset);
                let loaded = Loaded {
                    path: worker_path,
                    predictions_path,
                    dataset: Arc::clone(&dataset),
                    predictions: predictions.clone(),
                    base,
                    base_predictions: predictions.clone(),
                    edited: Some(edited),
                    warnings,
                    report: None,
                };
                tx.send(LoadMessage::Loaded(Ok(Box::new(loaded)))).ok();
                ctx.request_repaint();
                // The summary's numbers (the temperature fit is the slow part) come after the grid.
                let report =
                    StatsReport::build(&dataset, predictions.as_deref(), None, DEFAULT_BINS);
                tx.send(LoadMessage::Report(Box::new(report))).ok();
                ctx.request_repaint();
            });
        self.screen = match spawned {
            Ok(_) => Screen::Loading {
                path,
                control,
                rx,
                started: Instant::now(),
            },
            Err(e) => Screen::Failed {
                path,
                message: format!("could not start loading: {e}"),
            },
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

    fn poll(&mut self, ctx: &egui::Context) {
        if let Screen::Loading {
            rx, path, started, ..
        } = &self.screen
        {
            let path = path.clone();
            let started = *started;
            match rx.try_recv() {
                Ok(LoadMessage::Loaded(Ok(loaded))) => {
                    self.cache.clear();
                    if self.pool.is_none() {
                        let ctx = ctx.clone();
                        // One core stays free for the UI thread (and the renderer), so scrolling stays smooth
                        // while thumbnails stream.
                        let workers = std::thread::available_parallelism()
                            .map_or(1, |n| n.get().saturating_sub(1).max(1));
                        self.pool = Some(DecodePool::new(
                            workers,
                            256,
                            self.store.as_ref().ok().cloned(),
                            Arc::new(move || ctx.request_repaint()),
                        ));
                    } else if let Some(pool) = &self.pool {
                        pool.next_epoch();
                    }
                    if let Some(opened) = self.opening.take() {
                        self.recent.retain(|r| r != &opened);
                        self.recent.insert(0, opened);
                        self.recent.truncate(MAX_RECENT);
                        self.recent_unsaved = true;
                    }
                    if let Screen::Loading { rx, .. } = std::mem::take(&mut self.screen) {
                        self.report_rx = Some(rx);
                    }
                    let mut loaded = loaded;
                    let edited = loaded.edited.take();
                    let base = Arc::clone(&loaded.base);
                    let mut browse = Browse::new(loaded);
                    if let Some(edited) = edited {
                        let waker = ctx.clone();
                        let mut session =
                            super::edits::session::EditSession::new(base, edited, move || {
                                waker.request_repaint()
                            });
                        if let Some(notice) = self.carry_notice.take() {
                            session.notice = Some(notice);
                            browse.edits_open = true;
                        }
                        browse.edits = Some(session);
                    }
                    browse.opened_at = Some(started);
                    self.screen = Screen::Browsing(Box::new(browse));
                    load::timing("grid ready (since open)", started);
                }
                Ok(LoadMessage::Loaded(Err(message))) => {
                    self.screen = Screen::Failed { path, message }
                }
                Ok(LoadMessage::Report(_)) => {}
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.screen = Screen::Failed {
                        path,
                        message: "loading stopped unexpectedly".into(),
                    };
                }
            }
        }
        if let (Screen::Browsing(browse), Some(rx)) = (&mut self.screen, &self.report_rx)
            && let Ok(LoadMessage::Report(report)) = rx.try_recv()
        {
            browse.loaded.report = Some(*report);
            self.report_rx = None;
        }
        // Upload finished decodes, for a few milliseconds at most; the rest wait for the next frame.
        if let Some(pool) = &self.pool {
            let start = Instant::now();
            while let Some(result) = pool.try_recv() {
                self.cache.insert(ctx, result);
                if start.elapsed() > DRAIN_BUDGET {
                    ctx.request_repaint();
                    break;
                }
            }
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
        self.poll(&ctx);
        let mut open_request = None;
        let mut reopen: Option<RecentDataset> = None;
        for file in ctx.input(|i| i.raw.dropped_files.clone()) {
            let path = file.path();
            if !path.as_os_str().is_empty() {
                open_request = Some(path.to_path_buf());
            }
        }
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("spotcheck");
                ui.separator();
                if ui.button("Open folder…").clicked()
                    && let Some(dir) = rfd::FileDialog::new().pick_folder()
                {
                    open_request = Some(dir);
                }
                if ui.button("Open manifest…").clicked()
                    && let Some(file) = rfd::FileDialog::new()
                        .add_filter("Manifest", &["csv", "jsonl"])
                        .pick_file()
                {
                    open_request = Some(file);
                }
                if let Screen::Browsing(browse) = &mut self.screen {
                    if ui
                        .button("Open predictions…")
                        .on_hover_text("Reload this dataset with a predictions file (prob_, logit_ or prediction columns)")
                        .clicked()
                        && let Some(file) = rfd::FileDialog::new()
                            .add_filter("Predictions", &["csv", "jsonl"])
                            .pick_file()
                    {
                        reopen = Some(RecentDataset {
                            path: browse.loaded.path.clone(),
                            predictions: Some(file),
                        });
                    }
                    ui.separator();
                    ui.selectable_value(&mut browse.tab, Tab::Samples, "Samples");
                    ui.selectable_value(&mut browse.tab, Tab::Summary, "Summary");
                    ui.separator();
                    ui.toggle_value(&mut browse.evaluation_open, "Evaluation")
                        .on_hover_text("Class balance, confusion matrix and reliability beside the grid");
                    let edits_title = match browse.edits.as_ref().map(|e| e.state().pending.len()) {
                        Some(n) if n > 0 => format!("Edits ({n})"),
                        _ => "Edits".to_string(),
                    };
                    ui.toggle_value(&mut browse.edits_open, edits_title)
                        .on_hover_text("Label edits, undo/redo, write-back, review progress and likely label errors");
                }
            });
        });
        self.status_bar(ui);
        let pool = self.pool.as_ref();
        match (&mut self.screen, pool) {
            (Screen::Browsing(browse), Some(pool)) => {
                browse_ui(ui, browse, &mut self.cache, pool, &mut self.audio);
                if browse.visible_pending == 0
                    && !browse.shown.is_empty()
                    && !browse.inspecting
                    && let Some(opened) = browse.opened_at.take()
                {
                    load::timing("first screen of thumbnails (since open)", opened);
                }
            }
            (screen, _) => {
                egui::CentralPanel::default().show(ui, |ui| {
                    other_screen_ui(ui, screen, &self.recent, &mut reopen)
                });
            }
        }
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
            reopen = Some(RecentDataset {
                path: browse.loaded.path.clone(),
                predictions: browse.loaded.predictions_path.clone(),
            });
        }
        if let Some(path) = open_request {
            self.open(path, None, ctx);
        } else if let Some(r) = reopen {
            self.open(r.path, r.predictions, ctx);
        }
    }

    fn status_bar(&self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| match &self.screen {
                Screen::Browsing(browse) => {
                    let ds = &browse.loaded.dataset;
                    ui.label(browse.loaded.path.display().to_string());
                    ui.separator();
                    ui.label(format!(
                        "{} samples, {} classes",
                        ds.len(),
                        ds.classes().len()
                    ));
                    if let Some(p) = &browse.loaded.predictions {
                        ui.separator();
                        ui.label(format!("predictions: {} matched", p.matched()));
                    }
                    ui.separator();
                    ui.label(format!(
                        "texture cache {:.1} MiB",
                        self.cache.bytes() as f64 / 1_048_576.0
                    ));
                    ui.separator();
                    match &self.store {
                        Ok(store) => ui
                            .label("disk cache on")
                            .on_hover_text(store.path().display().to_string()),
                        Err(why) => ui.label(format!("disk cache {why}")),
                    };
                }
                _ => {
                    ui.label("No dataset open");
                }
            });
        });
    }
}

fn browse_ui(
    ui: &mut egui::Ui,
    browse: &mut Browse,
    cache: &mut TextureCache,
    pool: &DecodePool,
    audio: &mut super::audio_player::AudioPlayer,
) {
    audio.tick();
    if audio.active() {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(30));
    }
    let ctx = ui.ctx().clone();
    browse.poll_edits();
    if browse.poll_queue() {
        pool.next_epoch();
        cache.forget_pending();
    }
    if let Some(rx) = &browse.report_job
        && let Ok(report) = rx.try_recv()
    {
        browse.loaded.report = Some(report);
        browse.report_job = None;
    }
    if let Some(picker) = &mut browse.picker {
        let classes = browse.loaded.dataset.classes().to_vec();
        match picker.ui(&ctx, &classes) {
            Some(super::edits::picker::PickerResult::Pick(label)) => {
                let targets = std::mem::take(&mut picker.targets);
                browse.picker = None;
                browse.relabel(&targets, &label);
            }
            Some(super::edits::picker::PickerResult::Cancel) => browse.picker = None,
            None => {}
        }
    }
    if browse.tab == Tab::Samples {
        browse.edit_keys(&ctx);
    }
    if browse.edits_open {
        egui::Panel::right("edits")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("edits_panel")
                    .show(ui, |ui| browse.edits_panel_ui(ui));
            });
    }
    if browse.tab == Tab::Summary {
        egui::CentralPanel::default().show(ui, |ui| super::summary::summary_ui(ui, &browse.loaded));
        return;
    }
    if browse.inspecting {
        match inspector_ui(ui, browse, cache, pool, audio) {
            Some(InspectorAction::Close) => {
                audio.stop();
                browse.inspecting = false;
            }
            Some(InspectorAction::Step(d)) => {
                audio.stop();
                if let Some(pos) = browse.selected {
                    let next = pos
                        .saturating_add_signed(d)
                        .min(browse.shown.len().saturating_sub(1));
                    browse.selected = Some(next);
                }
            }
            None => {}
        }
        return;
    }
    egui::Panel::top("filters").show(ui, |ui| {
        if browse.toolbar_ui(ui) {
            pool.next_epoch();
            cache.forget_pending();
        }
        let total = browse.loaded.dataset.len();
        if let Some(q) = &browse.queue {
            let (computing, flagged, candidates) =
                (q.computing(), q.issues.len(), q.num_candidates);
            ui.horizontal(|ui| {
                if computing {
                    ui.spinner();
                    ui.strong("Ranking labels by how likely they are wrong…");
                } else {
                    ui.strong(format!(
                        "Likely label errors: {flagged} of {candidates} candidates, most suspicious first"
                    ));
                    ui.label("A accepts the suggestion, K keeps the label");
                }
                if ui.button("Leave the queue").clicked() {
                    browse.close_queue();
                    pool.next_epoch();
                    cache.forget_pending();
                }
            });
            return;
        }
        selection_bar_ui(ui, browse);
        let order = match browse.order {
            crate::core::analysis::view::SampleOrder::Dataset => "dataset order".to_string(),
            crate::core::analysis::view::SampleOrder::Shuffled { seed } => format!("shuffled, seed {seed}"),
            crate::core::analysis::view::SampleOrder::Stratified { seed, per_class } => {
                format!("{per_class} per class, seed {seed}")
            }
        };
        ui.strong(format!("{} of {total} shown ({order})", browse.shown.len()));
    });
    if browse.evaluation_open {
        let ctx = ui.ctx().clone();
        let loaded = &browse.loaded;
        let panel = browse.evaluation.get_or_insert_with(|| {
            super::evaluation::EvaluationPanel::new(
                Arc::clone(&loaded.dataset),
                loaded.predictions.clone(),
                &ctx,
            )
        });
        let split = browse.filter.split;
        let dataset = Arc::clone(&browse.loaded.dataset);
        let mut clicked = None;
        egui::Panel::right("evaluation")
            .resizable(true)
            .default_size(620.0)
            .show(ui, |ui| {
                clicked = panel.ui(ui, &dataset, split);
            });
        if let Some(f) = clicked {
            browse.apply_grid_filter(f);
            pool.next_epoch();
            cache.forget_pending();
        }
    }
    if !browse.loaded.warnings.is_empty() {
        egui::Panel::left("warnings")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                warnings_ui(ui, browse);
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if browse.shown.is_empty() {
            ui.label("No sample passes the filters");
            return;
        }
        let enter = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter));
        let clicked = super::grid::grid_ui(ui, browse, cache, pool);
        hover_preview(browse, audio);
        if browse.hover_preview && browse.hover_since.is_some() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if let Some((pos, modifiers)) = clicked {
            if (modifiers.command || modifiers.shift) && browse.edits.is_some() {
                browse.select_click(pos, modifiers);
            } else {
                browse.selected = Some(pos);
                browse.inspecting = true;
            }
        } else if enter {
            browse.selected = Some(browse.selected.unwrap_or(0));
            browse.inspecting = true;
        }
    });
}

/// "Play on hover": an audio tile under the pointer for 400 ms plays; leaving it stops it.
fn hover_preview(browse: &mut Browse, audio: &mut super::audio_player::AudioPlayer) {
    if !browse.hover_preview {
        return;
    }
    let hovered = browse.hovered.filter(|&s| {
        crate::core::media::MediaKind::of(browse.loaded.dataset.file(s as usize))
            == Some(crate::core::media::MediaKind::Audio)
    });
    match (hovered, browse.hover_since) {
        (Some(s), Some((was, since))) if s == was => {
            if since.elapsed() >= Duration::from_millis(400) && !audio.is_playing(s) {
                audio.play(s, &browse.loaded.dataset.disk_path(s as usize), 0.0);
                // Once per hover: a clip that ends is not started again until the pointer moves.
                browse.hover_since = Some((s, Instant::now() + Duration::from_secs(3600)));
            }
        }
        (Some(s), _) => {
            audio.stop();
            browse.hover_since = Some((s, Instant::now()));
        }
        (None, Some(_)) => {
            audio.stop();
            browse.hover_since = None;
        }
        (None, None) => {}
    }
}

/// Multi-selection controls: select all shown, clear, relabel the selection.
fn selection_bar_ui(ui: &mut egui::Ui, browse: &mut Browse) {
    if browse.edits.is_none() {
        return;
    }
    ui.horizontal(|ui| {
        if ui
            .button("Select all shown")
            .on_hover_text("Ctrl-click a tile to add or remove it, Shift-click for a range")
            .clicked()
        {
            browse.select_all_shown();
        }
        if browse.selection_count > 0 {
            ui.label(format!("{} selected", browse.selection_count));
            if ui.button("Relabel selected…").on_hover_text("L").clicked() {
                let targets = browse.edit_targets();
                browse.picker = Some(super::edits::picker::ClassPicker::new(targets));
            }
            if ui.button("Mark reviewed").on_hover_text("R").clicked() {
                let targets = browse.edit_targets();
                browse.toggle_reviewed(&targets);
            }
            if ui.button("Clear selection").clicked() {
                browse.clear_selection();
            }
        } else {
            ui.weak("Keys on the tile under the pointer: 1-9, 0 relabel, L other class, R reviewed, Ctrl+Z undo");
        }
    });
}

/// The load's warnings; a warning that names a sample opens it on click.
fn warnings_ui(ui: &mut egui::Ui, browse: &mut Browse) {
    ui.strong(format!(
        "Warnings ({})",
        browse.loaded.warnings.items().len()
    ));
    egui::ScrollArea::vertical().show(ui, |ui| {
        let mut open = None;
        for w in browse.loaded.warnings.items() {
            let text = w.to_string();
            let sample = w
                .examples
                .iter()
                .find_map(|e| browse.loaded.dataset.find(e));
            match sample {
                Some(s) => {
                    if ui.link(&text).on_hover_text("Show this sample").clicked() {
                        open = Some(s);
                    }
                }
                None => {
                    ui.label(text);
                }
            }
            ui.separator();
        }
        if let Some(s) = open {
            let pos = match browse.shown.iter().position(|&x| x as usize == s) {
                Some(pos) => pos,
                None => {
                    browse.filter = Default::default();
                    browse.confidence_on = false;
                    browse.order = crate::core::analysis::view::SampleOrder::Dataset;
                    browse.refresh();
                    s
                }
            };
            browse.selected = Some(pos);
            browse.inspecting = true;
        }
    });
}

fn other_screen_ui(
    ui: &mut egui::Ui,
    screen: &mut Screen,
    recent: &[RecentDataset],
    open_request: &mut Option<RecentDataset>,
) {
    match screen {
        Screen::Welcome => {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.2);
                ui.heading("Open a dataset to spot-check it");
                ui.label("A class-folder tree, a CSV/JSONL manifest, or a folder with metadata.csv");
                ui.label(
                    "Use Open folder… or Open manifest… above, or drop a folder or file on the window",
                );
                if !recent.is_empty() {
                    ui.add_space(24.0);
                    ui.strong("Recent datasets");
                    for r in recent {
                        let text = match &r.predictions {
                            Some(p) => {
                                format!("{}  (predictions {})", r.path.display(), p.display())
                            }
                            None => r.path.display().to_string(),
                        };
                        if ui.link(text).clicked() {
                            *open_request = Some(r.clone());
                        }
                    }
                }
            });
        }
        Screen::Loading { path, control, .. } => {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.3);
                ui.heading(format!("Loading {}…", path.display()));
                let total = control.total.load(std::sync::atomic::Ordering::Relaxed);
                let done = control.progress.load(std::sync::atomic::Ordering::Relaxed);
                if total > 0 {
                    let fraction = (done as f32 / total as f32).clamp(0.0, 1.0);
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .show_percentage()
                            .desired_width(400.0),
                    );
                } else {
                    ui.spinner();
                }
                if ui.button("Cancel").clicked() {
                    control.cancel();
                }
            });
            // Four updates a second: enough for a progress bar, and rendering takes little from the load.
            ui.request_repaint_after(Duration::from_millis(250));
        }
        Screen::Failed { path, message } => {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.25);
                ui.heading(format!("Could not open {}", path.display()));
                ui.colored_label(ui.visuals().error_fg_color, message.as_str());
                ui.label("Open another folder or manifest with the buttons above");
            });
        }
        Screen::Browsing(_) => {}
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(bench) = &mut self.scroll_bench {
            bench.record_frame(frame.info().cpu_usage);
        }
        self.show(ui);
        // Saved as soon as a dataset has opened, not only at exit (a killed app keeps its list).
        if self.recent_unsaved
            && let Some(storage) = frame.storage_mut()
        {
            eframe::set_value(storage, RECENT_KEY, &self.recent);
            storage.flush();
            self.recent_unsaved = false;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, RECENT_KEY, &self.recent);
    }
}
