//! What the inspector remembers between frames (zoom, pan, the EXIF toggle): its own file so the
//! browse state can hold it without importing the inspector that draws it.

use eframe::egui;

use crate::core::labels::{JournalError, SoftLabel};

/// Zoom, pan and the EXIF toggle.
#[derive(Debug, Clone, Default)]
pub struct InspectorState {
    /// Screen points per image pixel; `None` fits the image to the view.
    pub zoom: Option<f32>,
    /// Offset of the image centre from the view centre, in points.
    pub pan: egui::Vec2,
    /// Show the stored pixels (EXIF ignored) instead of the upright image.
    pub as_stored: bool,
    /// The soft-label editor, while it is open.
    pub soft_editor: Option<SoftEditor>,
}

/// The inspector's soft-label editor: a weight (0 to 1) per class for one sample, scaled to sum to
/// 1 when saved, so a person says "about as much cat as dog" without doing the arithmetic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoftEditor {
    /// The sample it edits (another sample inspected closes it).
    pub sample: usize,
    /// (class, weight), in class order.
    pub weights: Vec<(String, f64)>,
}

impl SoftEditor {
    /// The weights scaled to sum to 1, classes at 0 left out (`None`: every weight is 0).
    pub fn label(&self) -> Option<Result<SoftLabel, JournalError>> {
        let sum: f64 = self.weights.iter().map(|(_, w)| w.max(0.0)).sum();
        if sum <= 0.0 || !sum.is_finite() {
            return None;
        }
        Some(SoftLabel::new(
            self.weights
                .iter()
                .filter(|(_, w)| *w > 0.0)
                .map(|(c, w)| (c.clone(), w / sum)),
        ))
    }
}
