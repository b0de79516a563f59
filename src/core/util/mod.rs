//! Leaf helpers that know nothing of datasets: fast exact-enough math shared by the loaders and the
//! metrics.

pub mod atomic_file;
pub mod fast_math;
pub mod file_stamp;

/// `n` with a comma between groups of three digits ("1,797"): counts that people read in the CLI's
/// tables and the app's headers, where "995000 candidates" is hard to take in at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_by_three() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_797), "1,797");
        assert_eq!(super::thousands(995_000), "995,000");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
