//! What the inspector remembers between frames (zoom, pan, the EXIF toggle): its own file so the
//! browse state can hold it without importing the inspector that draws it.

use eframe::egui;

/// Zoom, pan and the EXIF toggle.
#[derive(Debug, Clone, Default)]
pub struct InspectorState {
    /// Screen points per image pixel; `None` fits the image to the view.
    pub zoom: Option<f32>,
    /// Offset of the image centre from the view centre, in points.
    pub pan: egui::Vec2,
    /// Show the stored pixels (EXIF ignored) instead of the upright image.
    pub as_stored: bool,
}
