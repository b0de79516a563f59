//! Soft labels as a predictions file (`file_name,prob_<class>,...`): what a training pipeline with
//! soft targets reads, and what `--predictions` reads back to see the crowd's own calibration.

use std::path::Path;

use crate::core::data::dataset::Dataset;
use crate::core::data::load::quote_field;
use crate::core::util::atomic_file::write_atomically;

use super::Consensus;

/// Writes one row per sample of `consensus` (dataset order) to `out`, atomically: a temporary file
/// beside it, synced, then renamed over it, so a reader never sees half a file.
pub fn write_soft_labels(
    dataset: &Dataset,
    consensus: &Consensus,
    out: &Path,
) -> std::io::Result<()> {
    write_soft_labels_with(dataset, consensus, &[], out)
}

/// Like [`write_soft_labels`], with soft labels set by hand: `hand` holds (sample, one probability
/// per dataset class), sorted by sample. A hand soft label replaces the crowd's for its sample, and a
/// sample no annotator judged gets a row too: a person's judgement that a sample is ambiguous is
/// what the training pipeline should read. Rows stay in dataset order.
pub fn write_soft_labels_with(
    dataset: &Dataset,
    consensus: &Consensus,
    hand: &[(usize, Vec<f64>)],
    out: &Path,
) -> std::io::Result<()> {
    write_atomically(out, |w| write_rows(dataset, consensus, hand, w))
}

fn write_rows(
    dataset: &Dataset,
    consensus: &Consensus,
    hand: &[(usize, Vec<f64>)],
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    write!(w, "file_name")?;
    for class in dataset.classes() {
        write!(w, ",{}", quote_field(&format!("prob_{class}"), false))?;
    }
    writeln!(w)?;
    // Both lists are in dataset order: merge them, the hand soft label winning on a tie.
    let mut crowd = consensus.samples.iter().enumerate().peekable();
    let mut by_hand = hand.iter().peekable();
    loop {
        let next_crowd = crowd.peek().map(|(_, s)| **s as usize);
        let next_hand = by_hand.peek().map(|(s, _)| *s);
        let take_hand = match (next_crowd, next_hand) {
            (None, None) => break,
            (Some(c), Some(h)) => h <= c,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        let (sample, row): (usize, &[f64]) = if take_hand {
            let Some((h, probs)) = by_hand.next() else {
                break;
            };
            if next_crowd == Some(*h) {
                crowd.next();
            }
            (*h, probs)
        } else {
            let Some((r, &c)) = crowd.next() else { break };
            (c as usize, consensus.soft(r))
        };
        write!(w, "{}", quote_field(dataset.file(sample), false))?;
        for p in row {
            write!(w, ",{p}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}
