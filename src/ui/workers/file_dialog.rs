//! rfd's `AsyncFileDialog` polled to completion on the thread that asks (never the UI thread): a
//! dialog can stay open for minutes, and the frame loop goes on meanwhile.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

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
