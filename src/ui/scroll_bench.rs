//! A scripted scroll through the grid, for measuring frame times: with `SPOTCHECK_SCROLL_BENCH=S`
//! set, the grid scrolls down at a steady speed for S seconds once the dataset is open, then the
//! app prints the frame times on stderr and closes. Used by `scripts/bench-gui.sh`.

use std::time::{Duration, Instant};

/// Scroll speed in points per second (about ten rows of 160 px tiles).
const SPEED: f32 = 2000.0;

/// The running measurement.
pub struct ScrollBench {
    duration: Duration,
    started: Option<Instant>,
    last_frame: Option<Instant>,
    /// Time between frames (what a user sees), in milliseconds.
    intervals_ms: Vec<f64>,
    /// Time spent in our own per-frame code (layout, uploads), in milliseconds.
    ui_ms: Vec<f64>,
    /// eframe's frame time: the whole frame (our code, tessellation, painting) less the wait
    /// for the display, in milliseconds.
    frame_ms: Vec<f64>,
}

impl ScrollBench {
    /// The bench, when `SPOTCHECK_SCROLL_BENCH` asks for one.
    pub fn from_env() -> Option<Self> {
        let seconds: f64 = std::env::var("SPOTCHECK_SCROLL_BENCH").ok()?.parse().ok()?;
        Some(Self {
            duration: Duration::from_secs_f64(seconds.max(1.0)),
            started: None,
            last_frame: None,
            intervals_ms: Vec::new(),
            ui_ms: Vec::new(),
            frame_ms: Vec::new(),
        })
    }

    /// The scroll offset for this frame; starts the clock on the first call.
    pub fn offset(&mut self) -> f32 {
        let now = Instant::now();
        let started = *self.started.get_or_insert(now);
        if let Some(last) = self.last_frame.replace(now) {
            self.intervals_ms.push((now - last).as_secs_f64() * 1000.0);
        }
        (now - started).as_secs_f32() * SPEED
    }

    /// Records the time our code took this frame.
    pub fn record_ui(&mut self, took: Duration) {
        self.ui_ms.push(took.as_secs_f64() * 1000.0);
    }

    /// Records eframe's measure of the previous frame (`Frame::info().cpu_usage`).
    pub fn record_frame(&mut self, seconds: Option<f32>) {
        if let (Some(s), Some(_)) = (seconds, self.started) {
            self.frame_ms.push(f64::from(s) * 1000.0);
        }
    }

    /// Whether the scroll is over.
    pub fn finished(&self) -> bool {
        self.started.is_some_and(|s| s.elapsed() >= self.duration)
    }

    /// The summary line printed at the end.
    pub fn report(&self) -> String {
        format!(
            "scroll bench: {} frames; frame time (eframe: CPU per frame, less the wait for the display) median {:.1} ms, p95 {:.1} ms, worst {:.1} ms; frame interval median {:.1} ms, p95 {:.1} ms, worst {:.1} ms; spotcheck's own work per frame median {:.2} ms, worst {:.2} ms",
            self.intervals_ms.len(),
            percentile(&self.frame_ms, 0.5),
            percentile(&self.frame_ms, 0.95),
            percentile(&self.frame_ms, 1.0),
            percentile(&self.intervals_ms, 0.5),
            percentile(&self.intervals_ms, 0.95),
            percentile(&self.intervals_ms, 1.0),
            percentile(&self.ui_ms, 0.5),
            percentile(&self.ui_ms, 1.0),
        )
    }
}

fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(at).copied().unwrap_or(0.0)
}
