//! One worker thread where only the newest request matters: a request replaces any that has not
//! started, every request carries a generation, and a result from an older generation is dropped.
//! The stats recompute after an edit, the Apply preview's file checks and the filter of a large
//! dataset run on one of these, so a burst of edits or keystrokes costs one computation, not one
//! thread each.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};

/// The request waiting for the thread, and whether the owner is gone.
struct Slot<Q> {
    next: Option<(u64, Q)>,
    closed: bool,
}

struct Shared<Q> {
    slot: Mutex<Slot<Q>>,
    wake: Condvar,
    /// The newest generation asked for: a computation can stop early when it is passed.
    newest: AtomicU64,
}

/// Tells a running computation whether a newer request has come in (it may stop early then).
#[derive(Clone)]
pub struct Staleness {
    newest: Arc<dyn Fn() -> u64 + Send + Sync>,
    generation: u64,
}

impl Staleness {
    /// Whether a newer request replaced this one (its result will be dropped).
    pub fn is_stale(&self) -> bool {
        (self.newest)() != self.generation
    }
}

/// A named thread computing `R` from the newest `Q`.
pub struct LatestWorker<Q, R> {
    shared: Arc<Shared<Q>>,
    results: Receiver<(u64, R)>,
    generation: u64,
    delivered: u64,
}

impl<Q: Send + 'static, R: Send + 'static> LatestWorker<Q, R> {
    /// Starts the thread `name`; `compute` runs for each newest request, `waker` after each result.
    pub fn new(
        name: &str,
        compute: impl Fn(Q, &Staleness) -> R + Send + 'static,
        waker: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                next: None,
                closed: false,
            }),
            wake: Condvar::new(),
            newest: AtomicU64::new(0),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let worker_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(&worker_shared, &compute, &tx, &waker))?;
        Ok(Self {
            shared,
            results: rx,
            generation: 0,
            delivered: 0,
        })
    }

    /// Asks for `request`, replacing one that has not started; returns its generation.
    pub fn request(&mut self, request: Q) -> u64 {
        self.generation += 1;
        self.shared.newest.store(self.generation, Ordering::Relaxed);
        if let Ok(mut slot) = self.shared.slot.lock() {
            slot.next = Some((self.generation, request));
        }
        self.shared.wake.notify_one();
        self.generation
    }

    /// The result of the newest request, once it has arrived (older ones are dropped).
    pub fn poll(&mut self) -> Option<R> {
        let mut newest = None;
        while let Ok((generation, result)) = self.results.try_recv() {
            if generation == self.generation {
                self.delivered = generation;
                newest = Some(result);
            }
        }
        newest
    }

    /// Whether the newest request's result has not arrived yet.
    pub fn pending(&self) -> bool {
        self.delivered != self.generation
    }
}

impl<Q, R> Drop for LatestWorker<Q, R> {
    fn drop(&mut self) {
        // The thread finishes what it computes (if anything) and ends; nothing waits for it.
        self.shared.newest.store(u64::MAX, Ordering::Relaxed);
        if let Ok(mut slot) = self.shared.slot.lock() {
            slot.closed = true;
            slot.next = None;
        }
        self.shared.wake.notify_one();
    }
}

fn run<Q: Send + 'static, R>(
    shared: &Arc<Shared<Q>>,
    compute: &impl Fn(Q, &Staleness) -> R,
    results: &Sender<(u64, R)>,
    waker: &impl Fn(),
) {
    loop {
        let (generation, request) = {
            let Ok(mut slot) = shared.slot.lock() else {
                return;
            };
            loop {
                if slot.closed {
                    return;
                }
                if let Some(next) = slot.next.take() {
                    break next;
                }
                slot = match shared.wake.wait(slot) {
                    Ok(slot) => slot,
                    Err(_) => return,
                };
            }
        };
        let newest = Arc::clone(shared);
        let staleness = Staleness {
            newest: Arc::new(move || newest.newest.load(Ordering::Relaxed)),
            generation,
        };
        let result = compute(request, &staleness);
        if staleness.is_stale() {
            continue;
        }
        if results.send((generation, result)).is_err() {
            return;
        }
        waker();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_burst_of_requests_computes_the_first_and_the_newest_only() {
        let computed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&computed);
        let mut worker = LatestWorker::new(
            "test-latest",
            move |q: u32, _: &Staleness| {
                std::thread::sleep(Duration::from_millis(50));
                seen.lock().unwrap().push(q);
                q * 10
            },
            || {},
        )
        .unwrap();
        for q in 1..=20 {
            worker.request(q);
        }
        let start = Instant::now();
        let result = loop {
            if let Some(r) = worker.poll() {
                break r;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no result");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(result, 200);
        assert!(!worker.pending());
        let computed = computed.lock().unwrap().clone();
        assert!(computed.len() <= 2, "computed {computed:?}");
        assert_eq!(computed.last(), Some(&20));
    }
}
