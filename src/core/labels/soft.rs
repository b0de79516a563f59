//! Soft labels set by hand: "this sample is ambiguous, 0.6 cat / 0.4 dog". A soft label is a
//! distribution over class names, validated once when it is made, stored in the journal as compact
//! JSON (`{"cat":0.6,"dog":0.4}`) and read back by the replay. It never changes the sample's hard
//! label: `apply` writes hard labels only, and `soft-labels` writes the hand distribution for the
//! sample instead of the crowd's.

use std::collections::BTreeMap;

use super::JournalError;

/// How far from 1 the probabilities may sum before they are refused; within it they are divided
/// by their sum (drift from typing 0.33/0.33/0.34 or from a slider's float steps).
pub const SUM_TOLERANCE: f64 = 1e-6;

/// A validated distribution over class names: every probability finite and >= 0, at least one
/// class, names non-empty, summing to 1 (normalised). Classes it does not name have probability 0.
#[derive(Debug, Clone)]
pub struct SoftLabel {
    /// (class, probability), sorted by the class name's bytes, names unique.
    probabilities: Vec<(String, f64)>,
}

// Every probability is finite (checked on construction), so equality is reflexive and `Eq` holds.
impl PartialEq for SoftLabel {
    fn eq(&self, other: &Self) -> bool {
        self.probabilities == other.probabilities
    }
}
impl Eq for SoftLabel {}

fn refuse<T>(why: String) -> Result<T, JournalError> {
    Err(JournalError::Request(why))
}

impl SoftLabel {
    /// Validates `pairs` (class, probability) and normalises a sum within [`SUM_TOLERANCE`] of 1.
    /// Refused, with a message naming the problem: no class, an empty or repeated class name, a
    /// probability that is not a finite number >= 0, a sum that is not 1.
    pub fn new(pairs: impl IntoIterator<Item = (String, f64)>) -> Result<Self, JournalError> {
        let mut probabilities: Vec<(String, f64)> = Vec::new();
        for (class, p) in pairs {
            if class.trim().is_empty() {
                return refuse("a soft label's class name cannot be empty".into());
            }
            if class.chars().any(char::is_control) {
                return refuse(format!(
                    "class {class:?}: a class name cannot hold control characters"
                ));
            }
            if !p.is_finite() || p < 0.0 {
                return refuse(format!(
                    "class {class:?}: probability {p} is not a number between 0 and 1"
                ));
            }
            if probabilities.iter().any(|(c, _)| *c == class) {
                return refuse(format!("class {class:?} is named twice"));
            }
            probabilities.push((class, p));
        }
        if probabilities.is_empty() {
            return refuse("a soft label needs at least one class".into());
        }
        let sum: f64 = probabilities.iter().map(|(_, p)| p).sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return refuse(format!(
                "the probabilities sum to {sum}, not 1 (within {SUM_TOLERANCE})"
            ));
        }
        for (_, p) in &mut probabilities {
            *p /= sum;
        }
        probabilities.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(SoftLabel { probabilities })
    }

    /// Parses `CLASS=P` arguments (`cat=0.6 dog=0.4`); the class is everything before the last `=`.
    pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<Self, JournalError> {
        let mut pairs = Vec::with_capacity(args.len());
        for arg in args {
            let arg = arg.as_ref();
            let Some((class, p)) = arg.rsplit_once('=') else {
                return refuse(format!(
                    "{arg:?}: give each class as CLASS=PROBABILITY (e.g. cat=0.6)"
                ));
            };
            let Ok(p) = p.trim().parse::<f64>() else {
                return refuse(format!("{arg:?}: {p:?} is not a number"));
            };
            pairs.push((class.to_string(), p));
        }
        Self::new(pairs)
    }

    /// The (class, probability) pairs, sorted by class name.
    pub fn probabilities(&self) -> &[(String, f64)] {
        &self.probabilities
    }

    /// The probability of `class` (0 when it is not named).
    pub fn probability(&self, class: &str) -> f64 {
        self.probabilities
            .iter()
            .find(|(c, _)| c == class)
            .map_or(0.0, |(_, p)| *p)
    }

    /// The most likely class (the first by name on ties), for a one-line summary on a tile.
    pub fn top(&self) -> (&str, f64) {
        let mut best: (&str, f64) = ("", -1.0);
        for (c, p) in &self.probabilities {
            if *p > best.1 {
                best = (c, *p);
            }
        }
        best
    }

    /// The class names it gives a probability, for creating the classes a reader does not have yet.
    pub fn classes(&self) -> impl Iterator<Item = &str> {
        self.probabilities.iter().map(|(c, _)| c.as_str())
    }

    /// A short line for a tile or a message: the classes with probability > 0, most likely first,
    /// as `cat 0.6 / dog 0.4`.
    pub fn summary(&self) -> String {
        let mut shown: Vec<&(String, f64)> = self
            .probabilities
            .iter()
            .filter(|(_, p)| *p > 0.0)
            .collect();
        shown.sort_by(|a, b| b.1.total_cmp(&a.1));
        shown
            .iter()
            .map(|(c, p)| format!("{c} {}", short(*p)))
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The compact JSON stored in the journal: `{"cat":0.6,"dog":0.4}` (keys sorted).
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, f64> = self
            .probabilities
            .iter()
            .map(|(c, p)| (c.as_str(), *p))
            .collect();
        serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
    }

    /// Reads the journal's JSON back, validated like a new soft label; `None` when it is not a
    /// valid one (a journal edited by hand).
    pub fn from_json(text: &str) -> Option<Self> {
        let map: BTreeMap<String, f64> = serde_json::from_str(text).ok()?;
        Self::new(map).ok()
    }
}

/// A probability with at most three decimals and no trailing zeros (0.6, 0.333, 1).
pub fn short(p: f64) -> String {
    let s = format!("{p:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// One sample's new soft label (`None` clears it), as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftChange {
    /// The sample's identity (path relative to the root).
    pub file: String,
    /// The distribution it gets, or `None` to clear its soft label.
    pub to: Option<SoftLabel>,
}

/// A sample's current hand soft label, as the journal's state reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftEntry {
    /// The sample index in the dataset as loaded.
    pub sample: usize,
    /// Its identity.
    pub file: String,
    /// The distribution.
    pub label: SoftLabel,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, f64)]) -> Vec<(String, f64)> {
        p.iter().map(|(c, p)| (c.to_string(), *p)).collect()
    }

    #[test]
    fn valid_labels_are_sorted_and_tiny_drift_is_normalised() {
        let s = SoftLabel::new(pairs(&[("dog", 0.4), ("cat", 0.6)])).unwrap();
        assert_eq!(s.to_json(), r#"{"cat":0.6,"dog":0.4}"#);
        assert_eq!(s.top(), ("cat", 0.6));
        assert_eq!(s.summary(), "cat 0.6 / dog 0.4");
        assert_eq!(s.probability("owl"), 0.0);
        assert_eq!(SoftLabel::from_json(&s.to_json()), Some(s));
        let drift = SoftLabel::new(pairs(&[("a", 0.5), ("b", 0.5 + 5e-7)])).unwrap();
        let sum: f64 = drift.probabilities().iter().map(|(_, p)| p).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
    }

    #[test]
    fn bad_labels_are_refused_with_the_reason() {
        let err = |p: &[(&str, f64)]| SoftLabel::new(pairs(p)).unwrap_err().to_string();
        assert!(err(&[("cat", 0.6), ("dog", 0.5)]).contains("sum to 1.1"));
        assert!(err(&[("cat", 0.5)]).contains("sum to 0.5"));
        assert!(err(&[("cat", f64::NAN), ("dog", 1.0)]).contains("not a number"));
        assert!(err(&[("cat", f64::INFINITY)]).contains("not a number"));
        assert!(err(&[("cat", -0.2), ("dog", 1.2)]).contains("-0.2"));
        assert!(err(&[("", 1.0)]).contains("cannot be empty"));
        assert!(err(&[("cat", 0.5), ("cat", 0.5)]).contains("named twice"));
        assert!(err(&[]).contains("at least one class"));
        assert!(
            SoftLabel::parse_args(&["cat=0.6", "dog"])
                .unwrap_err()
                .to_string()
                .contains("CLASS=PROBABILITY")
        );
        assert!(
            SoftLabel::parse_args(&["cat=x"])
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        let ok = SoftLabel::parse_args(&["a=b=0.25", "c=0.75"]).unwrap();
        assert_eq!(ok.probability("a=b"), 0.25);
        assert_eq!(SoftLabel::from_json("{\"cat\": 2}"), None);
    }
}
