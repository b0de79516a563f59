//! The app shell: loads a dataset on a worker thread and shows its summary. The grid, inspector and
//! plots arrive with their own modules.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;

use crate::core::dataset::Dataset;
use crate::core::load::{self, LoadControl, Predictions};
use crate::core::report::{DEFAULT_BINS, StatsReport};
use crate::core::warnings::Warnings;

/// A finished load.
pub struct Loaded {
    path: PathBuf,
    dataset: Dataset,
    predictions: Option<Predictions>,
    warnings: Warnings,
    report: StatsReport,
}

type LoadResult = Result<Loaded, String>;

/// What the window shows.
#[derive(Default)]
enum Screen {
    #[default]
    Welcome,
    Loading {
        path: PathBuf,
        control: LoadControl,
        rx: Receiver<LoadResult>,
    },
    Loaded(Box<Loaded>),
    Failed {
        message: String,
    },
}

/// The spotcheck app.
#[derive(Default)]
pub struct App {
    screen: Screen,
}

impl App {
    /// Starts loading `path` (and `predictions`) on a worker thread.
    pub fn open(&mut self, path: PathBuf, predictions: Option<PathBuf>, ctx: egui::Context) {
        let (tx, rx) = std::sync::mpsc::channel();
        let control = LoadControl::default();
        let worker_control = control.clone();
        let worker_path = path.clone();
        let spawned = std::thread::Builder::new()
            .name("dataset-loader".into())
            .spawn(move || {
                let mut warnings = Warnings::default();
                let result = load::open(
                    &worker_path,
                    predictions.as_deref(),
                    Some(&worker_control),
                    &mut warnings,
                )
                .map(|(dataset, predictions)| {
                    let report =
                        StatsReport::build(&dataset, predictions.as_ref(), None, DEFAULT_BINS);
                    Loaded {
                        path: worker_path,
                        dataset,
                        predictions,
                        warnings,
                        report,
                    }
                })
                .map_err(|e| e.to_string());
                tx.send(result).ok();
                ctx.request_repaint();
            });
        self.screen = match spawned {
            Ok(_) => Screen::Loading { path, control, rx },
            Err(e) => Screen::Failed {
                message: format!("could not start loading: {e}"),
            },
        };
    }

    fn poll(&mut self) {
        if let Screen::Loading { rx, .. } = &self.screen {
            match rx.try_recv() {
                Ok(Ok(loaded)) => self.screen = Screen::Loaded(Box::new(loaded)),
                Ok(Err(message)) => self.screen = Screen::Failed { message },
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.screen = Screen::Failed {
                        message: "loading stopped unexpectedly".into(),
                    };
                }
            }
        }
    }

    /// Draws the whole window (also the entry point for GUI tests).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.poll();
        let mut open_request = None;
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
            });
        });
        egui::CentralPanel::default().show(ui, |ui| match &self.screen {
            Screen::Welcome => {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() * 0.3);
                    ui.heading("Open a dataset to spot-check it");
                    ui.label(
                        "A class-folder tree, a CSV/JSONL manifest, or a folder with metadata.csv",
                    );
                });
            }
            Screen::Loading { path, control, .. } => {
                ui.label(format!("Loading {}…", path.display()));
                let total = control.total.load(std::sync::atomic::Ordering::Relaxed);
                let done = control.progress.load(std::sync::atomic::Ordering::Relaxed);
                if total > 0 {
                    ui.add(egui::ProgressBar::new(done as f32 / total as f32).show_percentage());
                } else {
                    ui.spinner();
                }
                if ui.button("Cancel").clicked() {
                    control.cancel();
                }
                ui.request_repaint_after(std::time::Duration::from_millis(100));
            }
            Screen::Failed { message } => {
                ui.colored_label(ui.visuals().error_fg_color, message);
            }
            Screen::Loaded(loaded) => summary_ui(ui, loaded),
        });
        if let Some(path) = open_request {
            self.open(path, None, ui.ctx().clone());
        }
    }
}

fn summary_ui(ui: &mut egui::Ui, loaded: &Loaded) {
    let ds = &loaded.dataset;
    let report = &loaded.report;
    ui.heading(loaded.path.display().to_string());
    let splits = if ds.splits().is_empty() {
        "no splits".to_string()
    } else {
        format!("splits: {}", ds.splits().join(", "))
    };
    ui.label(format!(
        "{} samples, {} classes, {splits}",
        ds.len(),
        ds.classes().len()
    ));
    match &loaded.predictions {
        Some(p) => ui.label(format!(
            "Predictions {}: {} rows matched, {} unmatched",
            p.path().display(),
            p.matched(),
            p.unmatched()
        )),
        None => ui.label("No predictions loaded"),
    };
    if let Some(m) = &report.metrics {
        ui.add_space(6.0);
        egui::Grid::new("headline")
            .num_columns(2)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                let mut row = |name: &str, value: String| {
                    ui.label(name);
                    ui.strong(value);
                    ui.end_row();
                };
                row(
                    "Accuracy",
                    format!("{:.4} on {} samples", m.accuracy, m.num_samples),
                );
                row(
                    "Macro F1 / weighted F1",
                    format!("{:.4} / {:.4}", m.macro_f1, m.weighted_f1),
                );
                if let Some(c) = &report.calibration {
                    row(
                        "ECE / MCE",
                        format!("{:.4} / {:.4} ({} bins)", c.ece, c.mce, c.num_bins),
                    );
                    row("NLL / Brier", format!("{:.4} / {:.4}", c.nll, c.brier));
                    row(
                        "Temperature",
                        format!(
                            "{:.3}: ECE {:.4} -> {:.4} after scaling",
                            c.temperature, c.ece, c.ece_after_temperature
                        ),
                    );
                }
            });
    }
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("class_counts")
            .striped(true)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                ui.strong("Class");
                for (key, _) in &report.class_counts.0 {
                    ui.strong(key);
                }
                if report.metrics.is_some() {
                    for title in ["Precision", "Recall", "F1"] {
                        ui.strong(title);
                    }
                }
                ui.end_row();
                for (ci, class) in ds.classes().iter().enumerate() {
                    ui.label(class);
                    for (_, counts) in &report.class_counts.0 {
                        ui.label(counts.get(ci).map_or(0, |(_, n)| *n).to_string());
                    }
                    if let Some(pc) = report.metrics.as_ref().and_then(|m| m.per_class.get(ci)) {
                        for v in [pc.precision, pc.recall, pc.f1] {
                            ui.label(format!("{v:.3}"));
                        }
                    }
                    ui.end_row();
                }
            });
        if !loaded.warnings.is_empty() {
            ui.separator();
            ui.strong(format!("Warnings ({})", loaded.warnings.items().len()));
            for w in loaded.warnings.items() {
                ui.label(w.to_string());
            }
        }
    });
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
