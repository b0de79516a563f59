//! A budget of bytes in flight shared by parallel workers: each takes what it is about to hold and
//! gives it back when done, waiting while the budget is spent. With it `check`'s memory is bounded by
//! the budget, not by the number of threads times the largest file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// The default for `check`: 1 GiB of file bytes held at once across all threads.
pub const DEFAULT_BYTE_BUDGET: u64 = 1 << 30;

/// A counting semaphore over bytes, with the peak held recorded (tests and benchmarks read it).
#[derive(Debug)]
pub struct ByteBudget {
    limit: u64,
    held: Mutex<u64>,
    freed: Condvar,
    peak: AtomicU64,
}

/// Bytes taken from a [`ByteBudget`]; given back when dropped.
#[derive(Debug)]
pub struct BudgetClaim<'a> {
    budget: &'a ByteBudget,
    bytes: u64,
}

impl ByteBudget {
    /// A budget of `limit` bytes (at least 1).
    pub fn new(limit: u64) -> Self {
        Self {
            limit: limit.max(1),
            held: Mutex::new(0),
            freed: Condvar::new(),
            peak: AtomicU64::new(0),
        }
    }

    /// Takes `bytes`, waiting until that much is free. A request larger than the whole budget takes
    /// the whole budget (it then runs alone), so no request waits forever.
    pub fn claim(&self, bytes: u64) -> BudgetClaim<'_> {
        let bytes = bytes.min(self.limit);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held + bytes > self.limit {
            held = self
                .freed
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *held += bytes;
        self.peak.fetch_max(*held, Ordering::Relaxed);
        BudgetClaim {
            budget: self,
            bytes,
        }
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// The budget.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl Drop for BudgetClaim<'_> {
    fn drop(&mut self) {
        let mut held = self
            .budget
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *held -= self.bytes;
        drop(held);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_past_the_budget_wait_and_oversized_claims_take_it_all() {
        let budget = ByteBudget::new(100);
        let a = budget.claim(60);
        assert_eq!(budget.peak(), 60);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let _b = budget.claim(60);
                budget.peak()
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished(), "the second claim should wait");
            drop(a);
            assert_eq!(waiter.join().unwrap(), 60);
        });
        let whole = budget.claim(1_000);
        assert_eq!(budget.peak(), 100);
        drop(whole);
    }
}
