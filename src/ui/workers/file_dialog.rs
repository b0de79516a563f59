//! rfd's `AsyncFileDialog` polled to completion on the thread that asks (never the UI thread): a
//! dialog can stay open for minutes, and the frame loop goes on meanwhile.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use eframe::egui;

/// Wakes the thread that polls the dialog's future.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread, parking between wake-ups.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Asks where to save (`name` suggested, `what` files ending in `ext`) and runs `then` with the
/// chosen path, on an `export` thread: the dialog and the write never hold a frame. Nothing runs when
/// the dialog is cancelled; the UI is woken either way. `Err` when the thread could not start.
pub fn spawn_save(
    name: &str,
    what: &str,
    ext: &str,
    ctx: &egui::Context,
    then: impl FnOnce(&std::path::Path) + Send + 'static,
) -> std::io::Result<()> {
    let dialog = rfd::AsyncFileDialog::new()
        .set_file_name(name)
        .add_filter(what, &[ext]);
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name("export".into())
        .spawn(move || {
            if let Some(handle) = block_on(dialog.save_file()) {
                then(handle.path());
            }
            ctx.request_repaint();
        })
        .map(drop)
}
