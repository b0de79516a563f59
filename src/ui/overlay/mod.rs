//! Saliency overlays in the inspector: the overlay folder (`--overlays DIR` or "Open overlays…"),
//! the toggle (the checkbox or the O key), the opacity slider, and what the inspector says about
//! the sample's overlay (the file it drew, "no overlay for this sample", or why the file could not
//! be read). Finding, reading, resizing and colouring run on an `overlay` worker (newest request
//! wins: stepping through samples quickly reads only the last); the UI thread uploads the finished
//! picture and paints it over the sample.

use std::path::PathBuf;

use eframe::egui;

use crate::core::media::overlay::{colourise, find_overlay, read_overlay};
use crate::ui::workers::latest::{LatestWorker, Staleness};

/// Opacity when the app starts.
const DEFAULT_OPACITY: f32 = 0.5;

/// One sample's overlay request: where to look, which sample, and the picture size to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    dir: PathBuf,
    sample: u32,
    identity: String,
    size: [usize; 2],
}

/// What the worker found for a request.
enum Outcome {
    Drawn {
        file: String,
        image: egui::ColorImage,
    },
    Missing,
    Failed(String),
}

/// What the inspector shows for the current sample.
enum Status {
    Drawn {
        file: String,
        texture: egui::TextureHandle,
    },
    Missing,
    Failed(String),
}

/// The overlay folder, the toggle, the opacity and the current sample's overlay.
pub struct OverlayState {
    /// The folder overlays are looked up in (`None`: overlays off).
    pub dir: Option<PathBuf>,
    /// Whether the overlay is drawn (the O key and the checkbox).
    pub shown: bool,
    /// Overlay opacity, 0 to 1.
    pub opacity: f32,
    worker: Option<LatestWorker<Key, (Key, Outcome)>>,
    asked: Option<Key>,
    status: Option<(Key, Status)>,
    /// "Open overlays…" was clicked: the app asks for the folder.
    pub open_asked: bool,
}

impl Default for OverlayState {
    fn default() -> Self {
        Self::new(None)
    }
}

impl OverlayState {
    /// Overlays from `dir` (`None`: off until a folder is opened).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            shown: true,
            opacity: DEFAULT_OPACITY,
            worker: None,
            asked: None,
            status: None,
            open_asked: false,
        }
    }

    /// Looks overlays up in `dir` from now on (and shows them).
    pub fn set_dir(&mut self, dir: PathBuf) {
        self.dir = Some(dir);
        self.shown = true;
        self.asked = None;
        self.status = None;
    }

    /// The O key: shows or hides the overlay (when a folder is open).
    pub fn keys(&mut self, input: &mut egui::InputState) {
        if self.dir.is_some() && input.consume_key(egui::Modifiers::NONE, egui::Key::O) {
            self.shown = !self.shown;
        }
    }

    /// Asks for sample `sample`'s overlay fitted to `size` (the upright picture's pixels, once
    /// decoded), and takes a finished one.
    pub fn sync(&mut self, ctx: &egui::Context, sample: u32, identity: &str, size: [usize; 2]) {
        let Some(dir) = self.dir.clone() else {
            return;
        };
        if self.worker.is_none() {
            let waker = ctx.clone();
            self.worker = LatestWorker::new("overlay", load, move || waker.request_repaint()).ok();
        }
        let Some(worker) = &mut self.worker else {
            return;
        };
        if let Some((key, outcome)) = worker.poll() {
            let status = match outcome {
                Outcome::Drawn { file, image } => Status::Drawn {
                    file,
                    texture: ctx.load_texture("overlay", image, egui::TextureOptions::LINEAR),
                },
                Outcome::Missing => Status::Missing,
                Outcome::Failed(why) => Status::Failed(why),
            };
            self.status = Some((key, status));
        }
        let key = Key {
            dir,
            sample,
            identity: identity.to_string(),
            size,
        };
        if self.asked.as_ref() != Some(&key) {
            worker.request(key.clone());
            self.asked = Some(key);
        }
    }

    /// The status for the sample asked last (`None` while it loads).
    fn current(&self) -> Option<&Status> {
        let (key, status) = self.status.as_ref()?;
        (Some(key) == self.asked.as_ref()).then_some(status)
    }

    /// The overlay picture to draw over the current sample, with the opacity, when shown.
    pub fn texture(&self) -> Option<(&egui::TextureHandle, f32)> {
        match self.current()? {
            Status::Drawn { texture, .. } if self.shown => Some((texture, self.opacity)),
            _ => None,
        }
    }

    /// What the inspector says about the current sample's overlay.
    pub fn status_text(&self) -> Option<String> {
        self.dir.as_ref()?;
        Some(match self.current() {
            None => "Loading overlay…".to_string(),
            Some(Status::Drawn { file, .. }) if self.shown => format!("Overlay: {file}"),
            Some(Status::Drawn { file, .. }) => format!("Overlay hidden: {file}"),
            Some(Status::Missing) => "no overlay for this sample".to_string(),
            Some(Status::Failed(why)) => why.clone(),
        })
    }

    /// The controls above the picture: Open overlays…, the toggle, the opacity and the status.
    pub fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        let open = ui.button("Open overlays…").on_hover_text(
            "A folder of per-sample heatmaps: <sample path>.png|.npy or the sample path with \
                 its extension replaced",
        );
        // The app's file dialogs (or its path field where none can open) ask for the folder.
        if open.clicked() {
            self.open_asked = true;
        }
        if self.dir.is_none() {
            return;
        }
        ui.checkbox(&mut self.shown, "Overlay")
            .on_hover_text("O shows or hides it");
        ui.add(
            egui::Slider::new(&mut self.opacity, 0.0..=1.0)
                .text("opacity")
                .max_decimals(2),
        );
        if let Some(text) = self.status_text() {
            match self.current() {
                Some(Status::Failed(_)) => {
                    ui.colored_label(ui.visuals().error_fg_color, text);
                }
                Some(Status::Missing) => {
                    ui.weak(text);
                }
                _ => {
                    ui.label(text);
                }
            }
        }
    }
}

/// The worker's job: find, read, resize and colour one sample's overlay.
fn load(key: Key, _: &Staleness) -> (Key, Outcome) {
    let outcome = match find_overlay(&key.dir, &key.identity) {
        None => Outcome::Missing,
        Some((path, file)) => match read_overlay(&path, &file) {
            Err(e) => Outcome::Failed(e.to_string()),
            Ok(map) => {
                let [w, h] = key.size;
                let rgba = colourise(&map, w as u32, h as u32);
                Outcome::Drawn {
                    file,
                    image: egui::ColorImage::from_rgba_unmultiplied([w, h], &rgba),
                }
            }
        },
    };
    (key, outcome)
}
