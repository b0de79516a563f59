//! Saving a view: the plot as a PNG (a screenshot of the window cropped to the plot, so it is what
//! the user sees), its numbers as CSV or JSON.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use super::EvalView;
use super::pr_curve::PrCurves;
use crate::core::analysis::evaluation::EvaluationViews;
use crate::core::data::dataset::Dataset;
use crate::ui::workers::file_dialog::SaveTo;

/// Pending and finished saves, and the last message. Dialogs and writes run on `export` threads.
pub struct ExportState {
    done_tx: Sender<String>,
    done_rx: Receiver<String>,
    message: Option<String>,
    /// A PNG's path from its dialog, and where the plot was when Save was clicked.
    png: Option<(Receiver<Option<PathBuf>>, egui::Rect)>,
    /// The dialog, or the path field where none can open.
    save_to: SaveTo,
}

impl Default for ExportState {
    fn default() -> Self {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        Self {
            done_tx,
            done_rx,
            message: None,
            png: None,
            save_to: SaveTo::default(),
        }
    }
}

impl ExportState {
    /// The height the save row needs under the view: the buttons, the path field while one is
    /// asked for, and the last message.
    pub fn reserved_height(&mut self) -> f32 {
        while let Ok(m) = self.done_rx.try_recv() {
            self.message = Some(m);
        }
        let field = self.save_to.reserved_height();
        let message = if self.message.is_some() { 22.0 } else { 0.0 };
        40.0 + field + message
    }

    /// The save buttons under a view; `plot` is where the plot was drawn this frame; `pr` the
    /// precision–recall curves on screen (the CSV and JSON of that view; none while computing).
    /// The text is made on the export thread, after the dialog: a curve can have a million points.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        view: EvalView,
        dataset: &Arc<Dataset>,
        views: &Arc<EvaluationViews>,
        plot: Option<egui::Rect>,
        pr: Option<Arc<PrCurves>>,
    ) {
        while let Ok(m) = self.done_rx.try_recv() {
            self.message = Some(m);
        }
        self.take_png_path(ui.ctx());
        let stem = match view {
            EvalView::Balance => "class-balance",
            EvalView::Confusion => "confusion-matrix",
            EvalView::Reliability => "reliability",
            EvalView::PrecisionRecall => "precision-recall",
        };
        let ctx = ui.ctx().clone();
        ui.separator();
        ui.horizontal(|ui| {
            if let Some(rect) = plot.map(|r| r.intersect(ui.clip_rect()))
                && ui.button("Save PNG...").clicked()
                && self.png.is_none()
            {
                let (tx, rx) = std::sync::mpsc::channel();
                let name = format!("{stem}.png");
                let started = self
                    .save_to
                    .ask(&name, "PNG image", "png", &ctx, move |path| {
                        tx.send(Some(path.to_path_buf())).ok();
                    });
                self.started(started);
                self.png = Some((rx, rect));
            }
            // The precision–recall numbers exist once its curves are computed.
            let numbers = view != EvalView::PrecisionRecall || pr.is_some();
            if ui
                .add_enabled(numbers, egui::Button::new("Save CSV..."))
                .clicked()
            {
                let (dataset, views, pr) = (Arc::clone(dataset), Arc::clone(views), pr.clone());
                self.save_text(&format!("{stem}.csv"), "CSV", "csv", &ctx, move || {
                    csv(view, &dataset, &views, pr.as_deref())
                });
            }
            if ui
                .add_enabled(numbers, egui::Button::new("Save JSON..."))
                .clicked()
            {
                let (dataset, views, pr) = (Arc::clone(dataset), Arc::clone(views), pr.clone());
                self.save_text(&format!("{stem}.json"), "JSON", "json", &ctx, move || {
                    serde_json::to_string_pretty(&json(view, &dataset, &views, pr.as_deref()))
                        .unwrap_or_default()
                });
            }
        });
        self.save_to.ui(ui);
        if let Some(m) = &self.message {
            ui.weak(m);
        }
    }

    /// Asks where to save, then makes the text and writes it, all on an `export` thread.
    fn save_text(
        &mut self,
        name: &str,
        filter: &str,
        ext: &str,
        ctx: &egui::Context,
        make: impl FnOnce() -> String + Send + 'static,
    ) {
        let tx = self.done_tx.clone();
        let started = self.save_to.ask(name, filter, ext, ctx, move |path| {
            tx.send(write(path, make())).ok();
        });
        self.started(started);
    }

    /// Says so when an export thread could not start.
    fn started(&mut self, started: std::io::Result<()>) {
        if let Err(e) = started {
            self.message = Some(format!("Could not start the export: {e}"));
        }
    }

    /// Once the PNG's dialog has answered: a screenshot, cropped and written on an export thread.
    fn take_png_path(&mut self, ctx: &egui::Context) {
        let Some((rx, rect)) = &self.png else {
            return;
        };
        let rect = *rect;
        let path = match rx.try_recv() {
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Ok(path) => path,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
        };
        self.png = None;
        let Some(path) = path else {
            return;
        };
        let tx = self.done_tx.clone();
        let ppp = ctx.pixels_per_point();
        let waker = ctx.clone();
        ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
            egui::ScreenshotCallback::new(move |image| {
                let image = image.clone();
                std::thread::Builder::new()
                    .name("export".into())
                    .spawn(move || {
                        tx.send(save_png(&image, rect, ppp, &path)).ok();
                        waker.request_repaint();
                    })
                    .ok();
            }),
        ));
    }
}

fn write(path: &std::path::Path, text: String) -> String {
    match std::fs::write(path, text) {
        Ok(()) => format!("Saved {}", path.display()),
        Err(e) => format!("Could not save {}: {e}", path.display()),
    }
}

fn save_png(
    image: &egui::ColorImage,
    rect: egui::Rect,
    ppp: f32,
    path: &std::path::Path,
) -> String {
    let [w, h] = image.size;
    let x0 = ((rect.min.x * ppp).max(0.0) as usize).min(w);
    let y0 = ((rect.min.y * ppp).max(0.0) as usize).min(h);
    let x1 = ((rect.max.x * ppp).max(0.0) as usize).min(w);
    let y1 = ((rect.max.y * ppp).max(0.0) as usize).min(h);
    if x1 <= x0 || y1 <= y0 {
        return "Could not save: the plot is not on screen".into();
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for px in &image.pixels[y * w + x0..y * w + x1] {
            rgba.extend_from_slice(&px.to_array());
        }
    }
    let Some(pixels) = crate::core::media::Pixels::new((x1 - x0) as u32, (y1 - y0) as u32, 4, rgba)
    else {
        return "Could not save: bad screenshot size".into();
    };
    match crate::core::media::encode_png(&pixels) {
        Ok(bytes) => match std::fs::write(path, bytes) {
            Ok(()) => format!("Saved {}", path.display()),
            Err(e) => format!("Could not save {}: {e}", path.display()),
        },
        Err(e) => format!("Could not save: {e}"),
    }
}

fn quote(field: &str) -> String {
    crate::core::data::load::quote_field(field, false).into_owned()
}

/// The numbers behind a view as CSV (`pr`: the precision–recall view's curves, when computed).
pub fn csv(
    view: EvalView,
    dataset: &Dataset,
    views: &EvaluationViews,
    pr: Option<&PrCurves>,
) -> String {
    let classes = dataset.classes();
    let mut out = String::new();
    match view {
        EvalView::Balance => {
            out.push_str("class,split,count\n");
            for (s, row) in views.class_counts.iter().enumerate() {
                let split = dataset.splits().get(s).map_or("all", String::as_str);
                for (c, n) in row.iter().enumerate() {
                    out.push_str(&format!("{},{},{n}\n", quote(&classes[c]), quote(split)));
                }
            }
        }
        EvalView::Confusion => {
            out.push_str("true,predicted,count\n");
            if let Some(r) = &views.classification {
                for t in 0..classes.len() {
                    for p in 0..classes.len() {
                        out.push_str(&format!(
                            "{},{},{}\n",
                            quote(&classes[t]),
                            quote(&classes[p]),
                            r.confusion.get(t, p)
                        ));
                    }
                }
            }
        }
        EvalView::Reliability => {
            out.push_str("lower,upper,count,confidence,accuracy,count_after_temperature,confidence_after_temperature,accuracy_after_temperature\n");
            if let Some(c) = &views.calibration {
                for (b, a) in c.reliability.bins.iter().zip(&c.reliability_after.bins) {
                    out.push_str(&format!(
                        "{},{},{},{},{},{},{},{}\n",
                        b.lower,
                        b.upper,
                        b.count,
                        b.confidence,
                        b.accuracy,
                        a.count,
                        a.confidence,
                        a.accuracy
                    ));
                }
            }
        }
        // Its curves live in the view's own state, not in the views.
        EvalView::PrecisionRecall => {
            if let Some(curves) = pr {
                out = pr_csv(dataset, curves);
            }
        }
    }
    out
}

/// The numbers behind a view as JSON (field names as in `stats --json` where they overlap; `pr` as
/// in [`csv`]).
pub fn json(
    view: EvalView,
    dataset: &Dataset,
    views: &EvaluationViews,
    pr: Option<&PrCurves>,
) -> serde_json::Value {
    use serde_json::json;
    let classes = dataset.classes();
    let split = |s: Option<u32>| s.and_then(|s| dataset.splits().get(s as usize)).cloned();
    match view {
        EvalView::Balance => json!({
            "classes": classes,
            "splits": if dataset.splits().is_empty() { vec!["all".to_string()] } else { dataset.splits().to_vec() },
            "class_counts": views.class_counts,
        }),
        EvalView::Confusion => match &views.classification {
            None => json!({ "split": split(views.request.split), "num_samples": 0 }),
            Some(r) => json!({
                "split": split(views.request.split),
                "num_samples": r.num_samples,
                "accuracy": r.accuracy,
                "macro_f1": r.macro_f1,
                "weighted_f1": r.weighted_f1,
                "per_class": r.per_class.iter().enumerate().map(|(c, m)| json!({
                    "class": classes[c], "precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support,
                })).collect::<Vec<_>>(),
                "confusion_matrix": r.confusion.to_rows(),
            }),
        },
        EvalView::Reliability => match &views.calibration {
            None => json!({ "split": split(views.request.split), "num_samples": 0 }),
            Some(c) => {
                let bins = |d: &crate::core::analysis::metrics::ReliabilityDiagram| {
                    d.bins.iter().map(|b| json!({
                        "lower": b.lower, "upper": b.upper, "count": b.count, "confidence": b.confidence, "accuracy": b.accuracy,
                    })).collect::<Vec<_>>()
                };
                json!({
                    "split": split(views.request.split),
                    "class_wise": views.request.class_wise.map(|k| classes[k as usize].clone()),
                    "num_bins": c.reliability.bins.len(),
                    "ece": c.reliability.ece,
                    "mce": c.reliability.mce,
                    "nll": c.nll,
                    "brier": c.brier,
                    "temperature": c.temperature,
                    "temperature_fit_split": split(views.request.fit_split),
                    "ece_after_temperature": c.reliability_after.ece,
                    "nll_after_temperature": c.nll_after,
                    "reliability_bins": bins(&c.reliability),
                    "reliability_bins_after_temperature": bins(&c.reliability_after),
                })
            }
        },
        EvalView::PrecisionRecall => pr.map_or(serde_json::Value::Null, |c| pr_json(dataset, c)),
    }
}

/// The precision–recall curves as CSV: one row per point of each model's curve, as
/// scikit-learn's `precision_recall_curve` returns them (thresholds increasing; the final point,
/// precision 1 and recall 0, has no threshold and no samples predicted positive).
pub fn pr_csv(dataset: &Dataset, curves: &PrCurves) -> String {
    let class = dataset
        .classes()
        .get(curves.class as usize)
        .map_or("", String::as_str);
    let split = curves
        .split
        .and_then(|s| dataset.splits().get(s as usize))
        .map_or("all", String::as_str);
    let mut out = String::from("model,class,split,threshold,precision,recall,predicted_positive\n");
    for m in &curves.models {
        let Some(c) = &m.curve else { continue };
        for (i, (p, r)) in c.precision.iter().zip(&c.recall).enumerate() {
            let threshold = c.thresholds.get(i).map_or(String::new(), f64::to_string);
            let positive = m.predicted_positive.get(i).copied().unwrap_or(0);
            out.push_str(&format!(
                "{},{},{},{threshold},{p},{r},{positive}\n",
                quote(&m.name),
                quote(class),
                quote(split)
            ));
        }
    }
    out
}

/// The precision–recall curves as JSON: per model its average precision and the curve's arrays
/// (`precision` and `recall` one longer than `thresholds`, as in scikit-learn).
pub fn pr_json(dataset: &Dataset, curves: &PrCurves) -> serde_json::Value {
    use serde_json::json;
    json!({
        "class": dataset.classes().get(curves.class as usize),
        "split": curves.split.and_then(|s| dataset.splits().get(s as usize)),
        "models": curves.models.iter().map(|m| json!({
            "name": m.name,
            "scored": m.scored,
            "average_precision": m.average_precision,
            "positives": m.curve.as_ref().map(|c| c.positives),
            "thresholds": m.curve.as_ref().map(|c| &c.thresholds),
            "precision": m.curve.as_ref().map(|c| &c.precision),
            "recall": m.curve.as_ref().map(|c| &c.recall),
            "predicted_positive": m.predicted_positive,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::analysis::evaluation::{EvaluationRequest, evaluate_views};

    #[test]
    fn csv_and_json_hold_the_numbers_the_views_show() {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
        let mut warnings = crate::core::data::warnings::Warnings::default();
        let (dataset, predictions) = crate::core::data::load::open(
            &demo,
            Some(&demo.join("predictions.csv")),
            None,
            &mut warnings,
        )
        .unwrap();
        let request = EvaluationRequest {
            split: None,
            fit_split: None,
            bins: 15,
            class_wise: None,
        };
        let views = evaluate_views(&dataset, dataset.labels(), predictions.as_ref(), &request);
        let balance = csv(EvalView::Balance, &dataset, &views, None);
        assert_eq!(
            balance,
            "class,split,count\nlandscape,train,14\nportrait,train,14\nlandscape,val,7\nportrait,val,7\n"
        );
        let confusion = csv(EvalView::Confusion, &dataset, &views, None);
        assert!(confusion.contains("landscape,portrait,7\n"), "{confusion}");
        let reliability = csv(EvalView::Reliability, &dataset, &views, None);
        assert_eq!(reliability.lines().count(), 16, "a header and 15 bins");
        let j = json(EvalView::Reliability, &dataset, &views, None);
        let cal = views.calibration.as_ref().unwrap();
        assert_eq!(j["ece"].as_f64(), Some(cal.reliability.ece));
        assert_eq!(j["temperature"].as_f64(), Some(cal.temperature));
        assert_eq!(j["reliability_bins"].as_array().map(Vec::len), Some(15));
        let j = json(EvalView::Confusion, &dataset, &views, None);
        assert_eq!(j["confusion_matrix"][0][1].as_u64(), Some(7));
    }

    #[test]
    fn precision_recall_export_lists_every_point_as_scikit_learn_does() {
        use crate::core::analysis::precision_recall::pr_curve;
        use crate::ui::evaluation::pr_curve::ModelCurve;
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
        let mut warnings = crate::core::data::warnings::Warnings::default();
        let (dataset, _) = crate::core::data::load::open(&demo, None, None, &mut warnings).unwrap();
        // scikit-learn's precision_recall_curve example: scores 0.1, 0.4, 0.35, 0.8 with labels
        // 0, 0, 1, 1 give precision 0.5, 2/3, 0.5, 1, 1 and recall 1, 1, 0.5, 0.5, 0 at thresholds
        // 0.1, 0.35, 0.4, 0.8; 4, 3, 2, 1 samples score at least each threshold.
        let curve = pr_curve(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        let curves = PrCurves {
            class: 1,
            split: Some(1),
            generation: 0,
            models: vec![ModelCurve {
                name: "m,1".into(),
                curve: Some(curve),
                average_precision: Some(0.8333333333333333),
                predicted_positive: vec![4, 3, 2, 1],
                scored: 4,
            }],
        };
        assert_eq!(
            pr_csv(&dataset, &curves),
            "model,class,split,threshold,precision,recall,predicted_positive\n\
             \"m,1\",portrait,val,0.1,0.5,1,4\n\
             \"m,1\",portrait,val,0.35,0.6666666666666666,1,3\n\
             \"m,1\",portrait,val,0.4,0.5,0.5,2\n\
             \"m,1\",portrait,val,0.8,1,0.5,1\n\
             \"m,1\",portrait,val,,1,0,0\n"
        );
        let j = pr_json(&dataset, &curves);
        assert_eq!(j["class"], "portrait");
        assert_eq!(j["split"], "val");
        assert_eq!(
            j["models"][0]["thresholds"].as_array().map(Vec::len),
            Some(4)
        );
        assert_eq!(
            j["models"][0]["precision"].as_array().map(Vec::len),
            Some(5)
        );
        assert_eq!(j["models"][0]["positives"], 2);
        assert_eq!(j["models"][0]["average_precision"], 0.8333333333333333);
    }
}
