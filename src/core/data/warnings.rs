//! Problems found while loading that do not stop the load: the CLI prints them on stderr, the GUI lists
//! them in a panel. Repeated findings are folded into one warning with a count and a few examples, so
//! 5,000 samples without a prediction are one readable line, not 5,000.

use std::fmt;
use std::path::PathBuf;

use crate::core::media::ProblemKind;

/// What kind of finding a warning is; lets the GUI group them and tests assert on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningKind {
    /// A media file outside any class folder, a non-UTF-8 name, an unreadable folder entry.
    SkippedFile,
    /// The same file listed twice in a manifest; the first row is kept.
    DuplicateSample,
    /// The first folder level mixes split names and other names.
    AmbiguousLayout,
    /// A header problem that was worked around (a repeated column name).
    Header,
    /// A dataset sample that has no row in the predictions file.
    MissingPrediction,
    /// A predictions row whose file is not a sample of the dataset.
    UnmatchedPrediction,
    /// Two predictions rows for the same sample; the first is kept.
    DuplicatePrediction,
    /// A `prob_`/`logit_` column naming no dataset class (ignored).
    UnknownClassColumn,
    /// A dataset class with no `prob_`/`logit_` column (its probability is taken as 0).
    MissingClassColumn,
    /// A probability row that is negative, NaN, infinite or all zero (the row is not used).
    InvalidProbabilities,
    /// A probability row whose sum is far from 1 (it is renormalised).
    UnnormalisedProbabilities,
    /// A hard prediction naming no dataset class (the sample is left out of the metrics).
    UnknownPredictedClass,
    /// A pending label edit in the journal naming a file that is not a sample any more.
    OrphanedEdit,
    /// A table cell that could not be used as it is: a ClassLabel id outside its names, a row with
    /// no file name.
    BadCell,
}

/// One finding, possibly standing for many rows (`count`), with up to a few examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// What kind of finding this is.
    pub kind: WarningKind,
    /// The file the finding is about, when it is about one file.
    pub file: Option<PathBuf>,
    /// The first line where it was seen, when it comes from a text file.
    pub line: Option<u64>,
    /// A sentence a person can act on.
    pub message: String,
    /// How many rows or files it stands for.
    pub count: u64,
    /// A few affected samples (relative paths) or lines, for the reader to look at.
    pub examples: Vec<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)?;
        if !self.examples.is_empty() {
            let more = self.count.saturating_sub(self.examples.len() as u64);
            write!(f, " (e.g. {}", self.examples.join(", "))?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// How many examples a folded warning keeps.
pub const MAX_EXAMPLES: usize = 5;

/// A file the loader found but could not make a sample of (a name that is not UTF-8, an entry it
/// could not read, a symlink loop). Warnings fold these into a count; `check` lists every one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableFile {
    /// The path relative to the dataset root, lossily decoded (U+FFFD for bytes that are not UTF-8).
    pub path: String,
    /// The contract's problem kind for it.
    pub kind: ProblemKind,
    /// Why it could not be used.
    pub detail: String,
}

/// Collects warnings in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    items: Vec<Warning>,
    unusable: Vec<UnusableFile>,
}

impl Warnings {
    /// Adds one finding.
    pub fn push(&mut self, warning: Warning) {
        self.items.push(warning);
    }

    /// Adds a simple one-off finding about a file.
    pub fn note(
        &mut self,
        kind: WarningKind,
        file: Option<PathBuf>,
        line: Option<u64>,
        message: String,
    ) {
        self.push(Warning {
            kind,
            file,
            line,
            message,
            count: 1,
            examples: Vec::new(),
        });
    }

    /// All findings, in the order found.
    pub fn items(&self) -> &[Warning] {
        &self.items
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Moves all of `other`'s findings to the end of this list.
    pub fn extend(&mut self, other: Warnings) {
        self.items.extend(other.items);
        self.unusable.extend(other.unusable);
    }

    /// Records a file that could not become a sample (also counted in a folded warning).
    pub fn add_unusable(&mut self, file: UnusableFile) {
        self.unusable.push(file);
    }

    /// Every file that could not become a sample, in the order found.
    pub fn unusable(&self) -> &[UnusableFile] {
        &self.unusable
    }

    /// Findings of one kind (tests and the GUI's grouping use this).
    pub fn of_kind(&self, kind: WarningKind) -> impl Iterator<Item = &Warning> {
        self.items.iter().filter(move |w| w.kind == kind)
    }
}

/// A warning being folded: counts many occurrences of one kind of finding (first line, a few
/// examples) and becomes a single [`Warning`] at the end.
#[derive(Debug)]
pub struct FoldedWarning {
    kind: WarningKind,
    file: Option<PathBuf>,
    first_line: Option<u64>,
    count: u64,
    examples: Vec<String>,
}

impl FoldedWarning {
    /// Starts counting findings of `kind` in `file`.
    pub fn new(kind: WarningKind, file: Option<PathBuf>) -> Self {
        Self {
            kind,
            file,
            first_line: None,
            count: 0,
            examples: Vec::new(),
        }
    }

    /// Counts one occurrence; `example` is only built while fewer than [`MAX_EXAMPLES`] are kept.
    pub fn add(&mut self, line: Option<u64>, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.first_line.is_none() {
            self.first_line = line;
        }
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(example());
        }
    }

    /// How many occurrences were counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Emits the folded warning (if anything was counted), with `message(count)` as its text.
    pub fn finish(self, warnings: &mut Warnings, message: impl FnOnce(u64) -> String) {
        if self.count == 0 {
            return;
        }
        warnings.push(Warning {
            kind: self.kind,
            file: self.file,
            line: self.first_line,
            message: message(self.count),
            count: self.count,
            examples: self.examples,
        });
    }
}
