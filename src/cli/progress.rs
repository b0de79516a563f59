//! A progress bar on stderr for long commands, drawn from a shared counter while the work runs on
//! worker threads. Hidden when stderr is not a terminal (pipes and logs get no escape codes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs `work` (which counts finished items in the counter it is given) while a bar shows
/// `done/total` on stderr; returns what `work` returned.
pub fn with_progress<T: Send>(
    total: u64,
    what: &str,
    work: impl FnOnce(&AtomicU64) -> T + Send,
) -> T {
    let done = AtomicU64::new(0);
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| work(&done));
        while !worker.is_finished() {
            bar.set_position(done.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
        worker.join()
    });
    bar.finish_and_clear();
    match result {
        Ok(value) => value,
        // A panic in the work is a bug; let it surface as one rather than hide it.
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
