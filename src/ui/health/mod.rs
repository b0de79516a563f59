//! The Health view beside the grid: what `check` finds, where people look at the data. A background
//! scan (progress, Cancel) gives every sample its scan record; the view lists the problems, the
//! EXIF census, byte-identical and near-duplicate groups (leaks across splits and conflicting
//! labels first) and the quality measures as grid orders and histograms. Every click answers with
//! a [`HealthAction`]: the grid then shows exactly those samples.

mod scan_job;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::core::data::dataset::Dataset;
use crate::core::data::warnings::UnusableFile;
use crate::core::media::MediaKind;
use crate::core::scan::record::ScanRecord;

pub use scan_job::{HealthResult, ScanJob};

/// What a click in the Health view asks the grid to show.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthAction {
    /// What the samples are, for the grid's header ("near-duplicate group 2 of 5").
    pub title: String,
    /// The samples, in the order to show them.
    pub samples: Vec<u32>,
    /// Each tile shows the image as stored beside it upright (the EXIF census).
    pub as_stored_beside: bool,
}

/// A quality measure to order the grid by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Brightness,
    Contrast,
    Sharpness,
    Pixels,
    Aspect,
}

impl Measure {
    fn value(self, r: &ScanRecord) -> Option<f64> {
        let m = r.measures?;
        let (w, h) = r.size?;
        Some(match self {
            Self::Brightness => m.brightness,
            Self::Contrast => m.contrast,
            Self::Sharpness => m.sharpness,
            Self::Pixels => f64::from(w) * f64::from(h),
            // How far from square, either way: 1 is square, 3 is a 3:1 strip.
            Self::Aspect => f64::from(w.max(h)) / f64::from(w.min(h).max(1)),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Brightness => "brightness",
            Self::Contrast => "contrast",
            Self::Sharpness => "sharpness",
            Self::Pixels => "pixels",
            Self::Aspect => "aspect ratio",
        }
    }
}

/// The Health view's state: the scan (running or done) and the histogram on screen.
pub struct HealthPanel {
    job: Option<ScanJob>,
    result: Option<Arc<HealthResult>>,
    cancelled: bool,
    histogram: Measure,
    dataset: Arc<Dataset>,
    unusable: Vec<UnusableFile>,
    cache_dir: Option<PathBuf>,
}

/// Bars in a quality histogram.
const BARS: usize = 20;

impl HealthPanel {
    /// A panel for `dataset`; the scan starts at once (`ctx` is woken as it goes).
    pub fn new(
        dataset: Arc<Dataset>,
        unusable: Vec<UnusableFile>,
        cache_dir: Option<PathBuf>,
        ctx: &egui::Context,
    ) -> Self {
        let mut panel = Self {
            job: None,
            result: None,
            cancelled: false,
            histogram: Measure::Brightness,
            dataset,
            unusable,
            cache_dir,
        };
        panel.start(ctx);
        panel
    }

    fn start(&mut self, ctx: &egui::Context) {
        let ctx = ctx.clone();
        self.cancelled = false;
        self.job = Some(ScanJob::start(
            Arc::clone(&self.dataset),
            self.unusable.clone(),
            self.cache_dir.clone(),
            move || ctx.request_repaint(),
        ));
    }

    /// The finished scan, if any.
    pub fn result(&self) -> Option<&HealthResult> {
        self.result.as_deref()
    }

    fn poll(&mut self) {
        let Some(job) = &self.job else { return };
        match job.poll() {
            Some(Ok(result)) => {
                self.result = Some(Arc::new(result));
                self.job = None;
            }
            Some(Err(())) => self.job = None,
            None => {}
        }
    }

    /// Draws the view; a click returns what the grid should show.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<HealthAction> {
        self.poll();
        ui.heading("Dataset health");
        if let Some(job) = &self.job {
            let done = job.done.load(std::sync::atomic::Ordering::Relaxed);
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Scanning {done} of {} samples…", job.total));
                if ui.button("Cancel").clicked() {
                    job.cancel();
                    self.cancelled = true;
                }
            });
            ui.add(egui::ProgressBar::new(done as f32 / job.total.max(1) as f32).show_percentage());
            ui.weak("The grid stays usable while the scan runs.");
            return None;
        }
        let Some(result) = self.result.clone() else {
            ui.label(if self.cancelled {
                "The scan was cancelled."
            } else {
                "The scan stopped before it finished."
            });
            if ui.button("Scan again").clicked() {
                self.start(ui.ctx());
            }
            return None;
        };
        let mut rescan = false;
        ui.horizontal(|ui| {
            rescan = ui
                .button("Scan again")
                .on_hover_text("After files changed on disk; unchanged ones come from the cache")
                .clicked();
        });
        if rescan {
            self.result = None;
            self.start(ui.ctx());
            return None;
        }
        ui.weak(format!(
            "{} samples scanned in {:.1} s{}",
            result.records.len(),
            result.took.as_secs_f64(),
            if result.reused > 0 {
                format!(
                    " ({} unchanged since the last scan, from the cache)",
                    result.reused
                )
            } else {
                String::new()
            }
        ));
        let mut action = None;
        egui::ScrollArea::vertical()
            .id_salt("health-view")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                action = action.take().or(self.duplicates_ui(ui, &result));
                ui.separator();
                action = action.take().or(self.problems_ui(ui, &result));
                ui.separator();
                action = action.take().or(self.exif_ui(ui, &result));
                ui.separator();
                action = action.take().or(self.quality_ui(ui, &result));
            });
        action
    }

    fn duplicates_ui(&self, ui: &mut egui::Ui, result: &HealthResult) -> Option<HealthAction> {
        let report = &result.report;
        ui.strong(format!(
            "Near-duplicates: {} groups ({} across splits, {} with conflicting labels)",
            report.near_duplicates.len(),
            report.cross_split_near_duplicates,
            report.conflicting_label_near_duplicates
        ));
        let mut action = None;
        // Leaks and conflicts first.
        let mut near: Vec<(usize, &crate::core::scan::check::NearDuplicateGroup)> =
            report.near_duplicates.iter().enumerate().collect();
        near.sort_by_key(|(i, g)| (!g.spans_splits(), !g.has_conflicting_labels(), *i));
        for (i, g) in near.iter().take(200) {
            let mut flags = Vec::new();
            if g.spans_splits() {
                let mut splits: Vec<&str> = g.splits.iter().map(String::as_str).collect();
                splits.sort_unstable();
                splits.dedup();
                flags.push(format!("across {}", splits.join(" + ")));
            }
            if g.has_conflicting_labels() {
                flags.push("labels differ".to_string());
            }
            let text = format!(
                "Near-duplicate group {}: {} images, ≤{} bits{}",
                i + 1,
                g.files.len(),
                g.max_distance,
                if flags.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", flags.join(" · "))
                }
            );
            let button = egui::Button::new(text).frame(false);
            let response = ui.add(button).on_hover_text(g.files.join("\n"));
            if response.clicked() {
                action = Some(HealthAction {
                    title: format!(
                        "near-duplicate group {} ({} images{})",
                        i + 1,
                        g.files.len(),
                        if flags.is_empty() {
                            String::new()
                        } else {
                            format!(", {}", flags.join(", "))
                        }
                    ),
                    samples: g.members.clone(),
                    as_stored_beside: false,
                });
            }
        }
        ui.strong(format!(
            "Byte-identical copies: {} groups ({} across splits, {} with conflicting labels)",
            report.duplicates.len(),
            report.cross_split_duplicates,
            report.conflicting_label_duplicates
        ));
        let index = |file: &str| self.dataset.find(file).map(|i| i as u32);
        for (i, g) in report.duplicates.iter().enumerate().take(200) {
            let text = format!(
                "Copies {}: {} files{}{}",
                i + 1,
                g.files.len(),
                if g.spans_splits() {
                    " · across splits"
                } else {
                    ""
                },
                if g.has_conflicting_labels() {
                    " · labels differ"
                } else {
                    ""
                },
            );
            if ui
                .add(egui::Button::new(text).frame(false))
                .on_hover_text(g.files.join("\n"))
                .clicked()
            {
                action = Some(HealthAction {
                    title: format!("byte-identical copies {}", i + 1),
                    samples: g.files.iter().filter_map(|f| index(f)).collect(),
                    as_stored_beside: false,
                });
            }
        }
        action
    }

    fn problems_ui(&self, ui: &mut egui::Ui, result: &HealthResult) -> Option<HealthAction> {
        let with_problem: Vec<u32> = result
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.problem.is_some())
            .map(|(i, _)| i as u32)
            .collect();
        let unusable = self.unusable.len();
        ui.strong(format!(
            "Problems: {}{}",
            match with_problem.len() {
                0 => "none".to_string(),
                n => format!("{n} samples"),
            },
            if unusable > 0 {
                format!(", and {unusable} files the loader could not use (see Warnings)")
            } else {
                String::new()
            }
        ));
        if with_problem.is_empty() {
            ui.label("Every sample opened and decoded.");
            return None;
        }
        let mut action = None;
        if ui
            .button(format!(
                "Show the {} samples with a problem",
                with_problem.len()
            ))
            .clicked()
        {
            action = Some(HealthAction {
                title: format!("{} samples with a problem", with_problem.len()),
                samples: with_problem.clone(),
                as_stored_beside: false,
            });
        }
        for &i in with_problem.iter().take(100) {
            let Some((kind, detail)) = &result.records[i as usize].problem else {
                continue;
            };
            let text = format!(
                "{} · {}: {detail}",
                kind.as_str(),
                self.dataset.file(i as usize)
            );
            if ui
                .add(egui::Button::new(text).frame(false).wrap())
                .clicked()
            {
                action = Some(HealthAction {
                    title: format!("{} ({})", self.dataset.file(i as usize), kind.as_str()),
                    samples: vec![i],
                    as_stored_beside: false,
                });
            }
        }
        if with_problem.len() > 100 {
            ui.weak(format!(
                "… and {} more (Show all above)",
                with_problem.len() - 100
            ));
        }
        action
    }

    fn exif_ui(&self, ui: &mut egui::Ui, result: &HealthResult) -> Option<HealthAction> {
        let census = &result.report.exif_orientation;
        ui.strong(format!("EXIF orientation of {} images", census.total()));
        let mut row = format!("none {}", census.none);
        for v in 1..=8u8 {
            row.push_str(&format!(" · {v}: {}", census.count(Some(v))));
        }
        ui.label(row);
        let turned: Vec<u32> = result
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.orientation.is_some_and(|o| o >= 2))
            .map(|(i, _)| i as u32)
            .collect();
        if turned.is_empty() {
            ui.label("No image is stored rotated or mirrored.");
            return None;
        }
        let text = format!(
            "{} images a loader that ignores EXIF sees sideways or mirrored",
            turned.len()
        );
        ui.add(egui::Button::new(text))
            .on_hover_text(
                "Shows them in the grid, upright; in the inspector, \"Apply EXIF orientation\" off \
                 shows each as stored",
            )
            .clicked()
            .then(|| HealthAction {
                title: format!(
                    "{} images stored rotated or mirrored (EXIF 2-8): as stored, then upright",
                    turned.len()
                ),
                samples: turned,
                as_stored_beside: true,
            })
    }

    fn quality_ui(&mut self, ui: &mut egui::Ui, result: &HealthResult) -> Option<HealthAction> {
        ui.strong("Image quality");
        let images: Vec<u32> = result
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == Some(MediaKind::Image) && r.measures.is_some())
            .map(|(i, _)| i as u32)
            .collect();
        if images.is_empty() {
            ui.label("No decoded images to measure.");
            return None;
        }
        let mut action = None;
        let orders = [
            ("Darkest", Measure::Brightness, false),
            ("Brightest", Measure::Brightness, true),
            ("Lowest contrast", Measure::Contrast, false),
            ("Blurriest", Measure::Sharpness, false),
            ("Smallest", Measure::Pixels, false),
            ("Odd aspect ratio", Measure::Aspect, true),
        ];
        ui.horizontal_wrapped(|ui| {
            ui.label("Order the grid:");
            for (name, measure, descending) in orders {
                if ui.button(name).clicked() {
                    let mut sorted: Vec<(f64, u32)> = images
                        .iter()
                        .filter_map(|&i| Some((measure.value(&result.records[i as usize])?, i)))
                        .collect();
                    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    if descending {
                        sorted.reverse();
                    }
                    action = Some(HealthAction {
                        title: format!("{} images, {} first", sorted.len(), name.to_lowercase()),
                        samples: sorted.into_iter().map(|(_, i)| i).collect(),
                        as_stored_beside: false,
                    });
                }
            }
        });
        ui.horizontal(|ui| {
            ui.label("Histogram of");
            for m in [Measure::Brightness, Measure::Contrast, Measure::Sharpness] {
                ui.selectable_value(&mut self.histogram, m, m.name());
            }
        });
        action.or_else(|| histogram_ui(ui, self.histogram, &images, &result.records))
    }
}

/// A histogram of `measure` over `images`; each bar is a button showing its images.
fn histogram_ui(
    ui: &mut egui::Ui,
    measure: Measure,
    images: &[u32],
    records: &[ScanRecord],
) -> Option<HealthAction> {
    let values: Vec<(f64, u32)> = images
        .iter()
        .filter_map(|&i| Some((measure.value(&records[i as usize])?, i)))
        .filter(|(v, _)| v.is_finite())
        .collect();
    let (lo, hi) = match measure {
        Measure::Brightness | Measure::Contrast => (
            0.0,
            if measure == Measure::Contrast {
                0.5
            } else {
                1.0
            },
        ),
        _ => {
            let max = values.iter().map(|v| v.0).fold(0.0, f64::max);
            (0.0, max.max(1.0))
        }
    };
    let width = (hi - lo) / BARS as f64;
    let bin = |v: f64| (((v - lo) / width).floor().max(0.0) as usize).min(BARS - 1);
    let mut counts = [0usize; BARS];
    for &(v, _) in &values {
        counts[bin(v)] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(1).max(1);
    let size = egui::vec2(ui.available_width().min(520.0), 110.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let bar_w = rect.width() / BARS as f32;
    let mut action = None;
    for (b, &n) in counts.iter().enumerate() {
        let h = (n as f32 / tallest as f32) * (rect.height() - 14.0);
        let x = rect.left() + b as f32 * bar_w;
        let bar = egui::Rect::from_min_max(
            egui::pos2(x + 1.0, rect.bottom() - 14.0 - h),
            egui::pos2(x + bar_w - 1.0, rect.bottom() - 14.0),
        );
        let (a, z) = (lo + b as f64 * width, lo + (b + 1) as f64 * width);
        let name = format!("{} {a:.2}-{z:.2}: {n} images", measure.name());
        let hit_rect = egui::Rect::from_min_max(
            egui::pos2(x, rect.top()),
            egui::pos2(x + bar_w, rect.bottom() - 14.0),
        );
        let id = ui.scope_id().with(("health-bar", measure.name(), b));
        let response = ui.interact(hit_rect, id, egui::Sense::click());
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &name));
        let colour = if response.hovered() {
            ui.visuals().selection.bg_fill
        } else {
            egui::Color32::from_rgb(76, 144, 226)
        };
        ui.painter().rect_filled(bar, 1.0, colour);
        if response.on_hover_text(&name).clicked() && n > 0 {
            let mut samples: Vec<(f64, u32)> = values
                .iter()
                .copied()
                .filter(|&(v, _)| bin(v) == b)
                .collect();
            samples.sort_by(|p, q| p.0.total_cmp(&q.0));
            action = Some(HealthAction {
                title: name.clone(),
                samples: samples.into_iter().map(|(_, i)| i).collect(),
                as_stored_beside: false,
            });
        }
    }
    let text = egui::TextStyle::Small.resolve(ui.style());
    let colour = ui.visuals().weak_text_color();
    ui.painter().text(
        egui::pos2(rect.left(), rect.bottom()),
        egui::Align2::LEFT_BOTTOM,
        format!("{lo:.2}"),
        text.clone(),
        colour,
    );
    ui.painter().text(
        egui::pos2(rect.right(), rect.bottom()),
        egui::Align2::RIGHT_BOTTOM,
        format!("{hi:.2}"),
        text,
        colour,
    );
    action
}
