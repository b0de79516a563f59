//! The Annotators view beside the grid: agreement, the consensus method, a sortable table of
//! annotators (judgements, agreement with the consensus, estimated accuracy), the selected
//! annotator's confusion matrix against the consensus, and the way into the disagreement queue.

use std::sync::{Arc, Weak};

use eframe::egui;

use crate::core::analysis::crowd::{ConsensusMethod, CrowdAnalysis};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Annotations;
use crate::core::util::thousands;

use super::state::CrowdState;

/// A column the annotator table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Name, byte order.
    #[default]
    Name,
    /// Number of judgements.
    Judgements,
    /// Agreement with the consensus.
    Agreement,
    /// Dawid–Skene's estimated accuracy.
    Accuracy,
}

/// What a click in the view asks for.
pub enum CrowdAction {
    /// Show this annotator's judged samples in the grid.
    ShowAnnotator(u32),
    /// Open the disagreement queue.
    OpenQueue,
    /// The consensus method changed: compute again.
    MethodChanged,
}

/// The view's own state: sort order and the selected annotator.
#[derive(Debug, Clone, Default)]
pub struct AnnotatorsView {
    /// The sort column.
    pub sort: SortBy,
    /// Largest first.
    pub descending: bool,
    /// The annotator whose confusion matrix shows.
    pub selected: Option<u32>,
    /// That matrix, cached with the analysis it came from.
    confusion: Option<(u32, usize, Vec<u64>)>,
    /// "Consensus = label", counted once per analysis and labelling (a pass over every annotated
    /// sample, ~1 ms at 1M: too much for every frame).
    agreement: Option<LabelAgreement>,
}

/// How many annotated samples carry a label, and how many of those equal the consensus, for one
/// analysis and one labelling. `Weak` keeps both allocations' addresses from being reused, so a
/// pointer match means the very same analysis and labels (an edit makes a new `Dataset`).
#[derive(Debug, Clone)]
struct LabelAgreement {
    analysis: Weak<CrowdAnalysis>,
    dataset: Weak<Dataset>,
    labelled: usize,
    same: usize,
}

impl LabelAgreement {
    fn count(analysis: &Arc<CrowdAnalysis>, dataset: &Arc<Dataset>) -> Self {
        let labels = dataset.labels();
        let c = &analysis.consensus;
        let (mut labelled, mut same) = (0usize, 0usize);
        for (r, &s) in c.samples.iter().enumerate() {
            if let Some(&l) = labels.get(s as usize)
                && l != crate::core::data::columns::NONE
            {
                labelled += 1;
                same += usize::from(l == c.label[r]);
            }
        }
        Self {
            analysis: Arc::downgrade(analysis),
            dataset: Arc::downgrade(dataset),
            labelled,
            same,
        }
    }

    fn is_for(&self, analysis: &Arc<CrowdAnalysis>, dataset: &Arc<Dataset>) -> bool {
        self.analysis.as_ptr() == Arc::as_ptr(analysis)
            && self.dataset.as_ptr() == Arc::as_ptr(dataset)
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |x| format!("{x:.3}"))
}

impl AnnotatorsView {
    /// Draws the view; returns what was asked for.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &mut CrowdState,
        annotations: &Annotations,
        dataset: &Arc<Dataset>,
    ) -> Option<CrowdAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.heading("Annotators and consensus");
            ui.separator();
            ui.label("Consensus");
            let before = state.method;
            ui.selectable_value(&mut state.method, ConsensusMethod::Vote, "Vote")
                .on_hover_text("Most votes; soft labels are the vote fractions");
            ui.selectable_value(
                &mut state.method,
                ConsensusMethod::DawidSkene,
                "Dawid–Skene",
            )
            .on_hover_text(
                "EM over each annotator's confusion matrix: careful annotators outweigh guessers",
            );
            if before != state.method {
                action = Some(CrowdAction::MethodChanged);
            }
            if state.computing() {
                ui.spinner();
            }
        });
        ui.label(format!(
            "{} from {}",
            plural(annotations.len(), "judgement"),
            annotations.path().display()
        ));
        if let Some(e) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(analysis) = state.analysis.clone() else {
            ui.label("Computing the consensus…");
            return action;
        };
        let c = &analysis.consensus;
        ui.label(format!(
            "{} annotated, {}",
            plural(c.samples.len(), "sample"),
            plural(
                analysis.tally.judgements.iter().filter(|&&n| n > 0).count(),
                "annotator"
            )
        ));
        egui::Grid::new("crowd_agreement")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Observed agreement");
                ui.label(fmt_opt(analysis.scores.observed))
                    .on_hover_text("Share of judgement pairs on a sample that agree, averaged");
                ui.end_row();
                ui.label("Krippendorff's alpha");
                ui.label(fmt_opt(analysis.scores.krippendorff_alpha))
                    .on_hover_text("1 = perfect agreement, 0 = what chance gives");
                ui.end_row();
                ui.label("Fleiss' kappa");
                ui.label(match analysis.scores.fleiss_kappa {
                    Some(k) => format!("{k:.3}"),
                    None => "n/a (samples have different numbers of judgements)".into(),
                });
                ui.end_row();
                if !self
                    .agreement
                    .as_ref()
                    .is_some_and(|a| a.is_for(&analysis, dataset))
                {
                    self.agreement = Some(LabelAgreement::count(&analysis, dataset));
                }
                let (labelled, same) = self
                    .agreement
                    .as_ref()
                    .map_or((0, 0), |a| (a.labelled, a.same));
                ui.label("Consensus = label");
                ui.label(if labelled > 0 {
                    format!(
                        "{:.1}% of {}",
                        100.0 * same as f64 / labelled as f64,
                        thousands(labelled as u64)
                    )
                } else {
                    "n/a (no labels)".into()
                });
                ui.end_row();
                if c.iterations > 0 {
                    ui.label("EM iterations");
                    ui.label(c.iterations.to_string());
                    ui.end_row();
                }
            });
        if ui
            .button(format!(
                "Disagreement queue ({})",
                plural(analysis.queue.len(), "sample")
            ))
            .on_hover_text("Samples the annotators disagree on, least certain consensus first: A takes the consensus as the label, K keeps it")
            .clicked()
        {
            action = Some(CrowdAction::OpenQueue);
        }
        ui.separator();
        if let Some(a) = self.table_ui(ui, &analysis, annotations) {
            action = Some(CrowdAction::ShowAnnotator(a));
        }
        if let Some(a) = self.selected {
            ui.separator();
            self.confusion_ui(ui, &analysis, annotations, a, dataset.classes());
        }
        action
    }

    fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        analysis: &CrowdAnalysis,
        annotations: &Annotations,
    ) -> Option<u32> {
        let names = annotations.annotators();
        let tally = &analysis.tally;
        let accuracy = analysis.consensus.estimated_accuracy.as_deref();
        let mut rows: Vec<usize> = (0..names.len())
            .filter(|&a| tally.judgements[a] > 0)
            .collect();
        let key = |a: usize| -> f64 {
            match self.sort {
                SortBy::Name => 0.0,
                SortBy::Judgements => tally.judgements[a] as f64,
                SortBy::Agreement => tally.agreement(a),
                SortBy::Accuracy => accuracy.and_then(|x| x.get(a)).copied().unwrap_or(0.0),
            }
        };
        if self.sort != SortBy::Name {
            rows.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
        }
        if self.descending {
            rows.reverse();
        }
        let mut show = None;
        egui::ScrollArea::vertical()
            .id_salt("annotator_table")
            .max_height(320.0)
            .show(ui, |ui| {
                egui::Grid::new("annotators")
                    .num_columns(5)
                    .striped(true)
                    .show(ui, |ui| {
                        for (title, col) in [
                            ("Annotator", SortBy::Name),
                            ("Judgements", SortBy::Judgements),
                            ("Agrees with consensus", SortBy::Agreement),
                            ("Est. accuracy", SortBy::Accuracy),
                        ] {
                            let arrow = match (self.sort == col, self.descending) {
                                (true, false) => " ^",
                                (true, true) => " v",
                                _ => "",
                            };
                            if ui
                                .add(egui::Button::new(format!("{title}{arrow}")).frame(false))
                                .on_hover_text("Sort by this column (again: reverse)")
                                .clicked()
                            {
                                if self.sort == col {
                                    self.descending = !self.descending;
                                } else {
                                    self.sort = col;
                                    self.descending = false;
                                }
                            }
                        }
                        ui.label("");
                        ui.end_row();
                        for a in rows {
                            let selected = self.selected == Some(a as u32);
                            if ui.selectable_label(selected, &names[a]).clicked() {
                                self.selected = Some(a as u32);
                            }
                            ui.label(thousands(tally.judgements[a] as u64));
                            ui.label(format!("{:.1}%", 100.0 * tally.agreement(a)));
                            ui.label(
                                accuracy
                                    .and_then(|x| x.get(a))
                                    .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x)),
                            );
                            if ui
                                .small_button("Show")
                                .on_hover_text(format!("Show the samples {} judged", names[a]))
                                .clicked()
                            {
                                self.selected = Some(a as u32);
                                show = Some(a as u32);
                            }
                            ui.end_row();
                        }
                    });
            });
        if accuracy.is_none() {
            ui.small("Estimated accuracy comes with the Dawid–Skene consensus.");
        }
        show
    }

    fn confusion_ui(
        &mut self,
        ui: &mut egui::Ui,
        analysis: &CrowdAnalysis,
        annotations: &Annotations,
        a: u32,
        classes: &[String],
    ) {
        let stamp = analysis.consensus.samples.len() ^ (analysis.consensus.iterations as usize);
        let fresh = matches!(&self.confusion, Some((who, s, _)) if *who == a && *s == stamp);
        if !fresh {
            self.confusion = Some((a, stamp, analysis.annotator_confusion(annotations, a)));
        }
        let Some((_, _, m)) = &self.confusion else {
            return;
        };
        let name = annotations
            .annotators()
            .get(a as usize)
            .map_or("?", String::as_str);
        ui.strong(format!("{name} against the consensus"));
        ui.small("Rows: consensus class; columns: the label this annotator gave");
        let k = classes.len();
        let max = m.iter().copied().max().unwrap_or(1).max(1) as f32;
        egui::ScrollArea::horizontal()
            .id_salt("annotator_confusion")
            .show(ui, |ui| {
                egui::Grid::new("annotator_confusion_grid")
                    .num_columns(k + 1)
                    .show(ui, |ui| {
                        ui.label("");
                        for c in classes {
                            ui.add(egui::Label::new(egui::RichText::new(c).small()).truncate());
                        }
                        ui.end_row();
                        for (t, truth) in classes.iter().enumerate() {
                            ui.add(egui::Label::new(egui::RichText::new(truth).small()).truncate());
                            for g in 0..k {
                                let n = m.get(t * k + g).copied().unwrap_or(0);
                                let shade = n as f32 / max;
                                let base = if t == g {
                                    egui::Color32::from_rgb(70, 150, 90)
                                } else {
                                    egui::Color32::from_rgb(200, 90, 60)
                                };
                                let fill = base.gamma_multiply(0.15 + 0.85 * shade);
                                let text = egui::RichText::new(n.to_string()).monospace();
                                ui.add(
                                    egui::Button::new(text)
                                        .fill(if n > 0 {
                                            fill
                                        } else {
                                            egui::Color32::TRANSPARENT
                                        })
                                        .frame(true)
                                        .min_size(egui::vec2(36.0, 18.0)),
                                );
                            }
                            ui.end_row();
                        }
                    });
            });
    }
}

/// "1 sample", "3 samples", "1,000,000 samples".
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(n as u64))
    }
}
