//! The GUI side of the label journal: a worker thread that owns the SQLite connection (a commit
//! waits for an fsync, which must not stall a frame), and the state the grid and panels read.
//! Every reply carries the journal's state replayed after the command, so edits made by another
//! process (a script running `spotcheck relabel`) show up too.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use crate::core::data::dataset::Dataset;
use crate::core::labels::write_back::{PlannedWrite, WriteReport};
use crate::core::labels::{
    self, EditState, Edited, JournalLocation, LabelChange, LabelJournal, Origin, Pending,
    SoftChange, SoftLabel,
};

/// How often the journal is checked for other processes' edits.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Longest wait, when the session ends, for edits still on their way to the journal.
pub const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// What the UI asks the journal worker to do.
#[derive(Debug, Clone)]
pub enum JournalCommand {
    /// Record new labels as one undoable action.
    Record(Vec<LabelChange>),
    /// Record (or clear) hand soft labels as one undoable action.
    Soften(Vec<SoftChange>),
    /// Undo the newest action.
    Undo,
    /// Redo the newest undone action.
    Redo,
    /// Set or clear review marks.
    Review(Vec<String>, bool),
    /// Write exactly these previewed edits into the dataset's files.
    Apply(Vec<(Pending, PlannedWrite)>),
    /// Look for edits made by another process.
    Refresh,
}

/// What a command did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Labels recorded (or nothing changed).
    Recorded,
    /// An undo or redo ran (`false`: there was nothing to undo or redo).
    Reverted(bool),
    /// Review marks recorded.
    Reviewed,
    /// A write-back ran.
    Applied(WriteReport),
    /// Another process changed the journal.
    Refreshed,
}

struct Reply {
    outcome: Result<Outcome, String>,
    state: Option<EditState>,
    user: bool,
}

/// The journal as the GUI sees it.
pub struct EditSession {
    location: JournalLocation,
    state: EditState,
    reviewed: Vec<bool>,
    commands: Option<Sender<JournalCommand>>,
    replies: Receiver<Reply>,
    worker: Option<std::thread::JoinHandle<()>>,
    in_flight: usize,
    refreshing: bool,
    next_poll: Instant,
    /// The last failure, shown until the next command succeeds (an edit that was not saved).
    pub error: Option<String>,
    /// A message about the last write-back, for the edits panel.
    pub notice: Option<String>,
    /// Set when a write-back changed the files: the dataset must be read again.
    pub reload: bool,
    /// Set when the state changed and the effective labels must be rebuilt.
    pub changed: bool,
}

impl EditSession {
    /// Starts the worker for the dataset `base` (labels as on disk) and the state read at load.
    pub fn new(base: Arc<Dataset>, edited: Edited, waker: impl Fn() + Send + 'static) -> Self {
        let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
        let (reply_tx, reply_rx) = std::sync::mpsc::channel();
        let location = edited.location.clone();
        let worker_location = location.clone();
        let worker_base = Arc::clone(&base);
        let last_batch = edited.state.last_batch;
        let worker = std::thread::Builder::new()
            .name("label-journal".into())
            .spawn(move || {
                worker(
                    worker_location,
                    worker_base,
                    last_batch,
                    cmd_rx,
                    reply_tx,
                    waker,
                )
            })
            .ok();
        let mut session = EditSession {
            location,
            state: EditState::default(),
            reviewed: vec![false; base.len()],
            commands: Some(cmd_tx),
            replies: reply_rx,
            worker,
            in_flight: 0,
            refreshing: false,
            next_poll: Instant::now() + POLL_EVERY,
            error: None,
            notice: None,
            reload: false,
            changed: false,
        };
        session.set_state(edited.state);
        session.changed = false;
        session
    }

    fn set_state(&mut self, state: EditState) {
        self.reviewed.iter_mut().for_each(|r| *r = false);
        for &i in &state.reviewed {
            if let Some(r) = self.reviewed.get_mut(i) {
                *r = true;
            }
        }
        self.state = state;
        self.changed = true;
    }

    /// Where the journal is.
    pub fn location(&self) -> &JournalLocation {
        &self.location
    }

    /// The state after the last finished command.
    pub fn state(&self) -> &EditState {
        &self.state
    }

    /// The pending edit of `sample`, if any (for "old -> new" on its tile).
    pub fn pending(&self, sample: usize) -> Option<&Pending> {
        self.state
            .pending
            .binary_search_by_key(&sample, |p| p.sample)
            .ok()
            .and_then(|k| self.state.pending.get(k))
    }

    /// The hand soft label of `sample`, if it has one (for its tile and the inspector).
    pub fn soft(&self, sample: usize) -> Option<&SoftLabel> {
        self.state.soft_of(sample)
    }

    /// Whether any sample has a hand soft label (the grid then gives tiles a line for it).
    pub fn any_soft(&self) -> bool {
        !self.state.soft.is_empty()
    }

    /// Whether `sample` carries a review mark.
    pub fn is_reviewed(&self, sample: usize) -> bool {
        self.reviewed.get(sample).copied().unwrap_or(false)
    }

    /// Commands sent and not yet answered: edits not yet acknowledged.
    pub fn saving(&self) -> bool {
        self.in_flight > 0
    }

    /// Sends a command to the worker.
    pub fn send(&mut self, command: JournalCommand) {
        let user = !matches!(command, JournalCommand::Refresh);
        let sent = self
            .commands
            .as_ref()
            .is_some_and(|c| c.send(command).is_ok());
        if sent {
            if user {
                self.in_flight += 1;
            } else {
                self.refreshing = true;
            }
        } else {
            self.error = Some("the label journal's thread stopped: edits cannot be saved".into());
        }
    }

    /// Optimistically marks samples reviewed (the worker's reply confirms it) and sends the command.
    pub fn set_reviewed(&mut self, dataset: &Dataset, samples: &[usize], reviewed: bool) {
        for &i in samples {
            if let Some(r) = self.reviewed.get_mut(i) {
                *r = reviewed;
            }
        }
        let files = samples
            .iter()
            .map(|&i| dataset.file(i).to_string())
            .collect();
        self.send(JournalCommand::Review(files, reviewed));
    }

    /// Takes the worker's replies; asks for a refresh now and then. Returns what finished.
    pub fn poll(&mut self) -> Vec<Outcome> {
        let mut done = Vec::new();
        while let Ok(reply) = self.replies.try_recv() {
            if reply.user {
                self.in_flight = self.in_flight.saturating_sub(1);
            } else {
                self.refreshing = false;
            }
            match reply.outcome {
                Ok(outcome) => {
                    if reply.user {
                        self.error = None;
                    }
                    if let Outcome::Applied(report) = &outcome {
                        self.notice = Some(describe_apply(report));
                        if !report.applied.is_empty() {
                            self.reload = true;
                        }
                    }
                    done.push(outcome);
                }
                Err(e) => {
                    // The edit was not saved: what is shown goes back to what the journal holds.
                    if reply.user {
                        self.changed = true;
                    }
                    self.error = Some(e);
                }
            }
            if let Some(state) = reply.state {
                self.set_state(state);
            }
        }
        if self.in_flight == 0 && !self.refreshing && Instant::now() >= self.next_poll {
            self.next_poll = Instant::now() + POLL_EVERY;
            self.send(JournalCommand::Refresh);
        }
        done
    }

    /// Reviewed and total labelled samples per class (of the edited labels).
    pub fn review_progress(&self, dataset: &Dataset) -> Vec<(u64, u64)> {
        let mut counts = vec![(0u64, 0u64); dataset.classes().len()];
        for (i, &label) in dataset.labels().iter().enumerate() {
            if let Some(c) = counts.get_mut(label as usize) {
                c.1 += 1;
                if self.is_reviewed(i) {
                    c.0 += 1;
                }
            }
        }
        counts
    }
}

/// The journal thread of a session that ended: it commits what it was sent, then stops. Dropping
/// it waits (at most [`CLOSE_WAIT`]) for that, so an edit acknowledged on screen is not lost when
/// the window closes or another dataset opens.
pub struct ClosingJournal {
    worker: Option<std::thread::JoinHandle<()>>,
}

impl ClosingJournal {
    /// Whether the thread has committed everything and stopped.
    pub fn is_finished(&self) -> bool {
        self.worker.as_ref().is_none_or(|w| w.is_finished())
    }

    /// Waits until the thread has stopped or `deadline` passes; `true` when it stopped.
    pub fn wait_until(&mut self, deadline: Instant) -> bool {
        while !self.is_finished() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(worker) = self.worker.take() {
            worker.join().ok();
        }
        true
    }
}

impl Drop for ClosingJournal {
    fn drop(&mut self) {
        if !self.wait_until(Instant::now() + CLOSE_WAIT) {
            eprintln!(
                "warning: the label journal did not finish saving within {} s",
                CLOSE_WAIT.as_secs()
            );
        }
    }
}

impl EditSession {
    /// Ends the session without waiting: the journal thread gets no more commands, finishes the
    /// ones it has and stops. Keep the result until it `is_finished` (dropping it waits).
    pub fn close(mut self) -> ClosingJournal {
        self.commands = None;
        ClosingJournal {
            worker: self.worker.take(),
        }
    }
}

impl Drop for EditSession {
    fn drop(&mut self) {
        // The channel closes first, so the thread stops once the commands it has are committed.
        self.commands = None;
        drop(ClosingJournal {
            worker: self.worker.take(),
        });
    }
}

/// One line about a write-back.
pub fn describe_apply(report: &WriteReport) -> String {
    let mut s = format!("{} edit(s) written into the dataset", report.applied.len());
    if let Some(b) = &report.backup {
        s.push_str(&format!("; the file as it was is kept at {}", b.display()));
    }
    if !report.skipped.is_empty() {
        s.push_str(&format!(
            "; {} changed since the preview and were not written",
            report.skipped.len()
        ));
    }
    if !report.kept.is_empty() {
        s.push_str(&format!("; {} still pending:", report.kept.len()));
        for (p, why) in report.kept.iter().take(5) {
            s.push_str(&format!("\n  {}: {why}", p.file));
        }
        if report.kept.len() > 5 {
            s.push_str(&format!("\n  ... and {} more", report.kept.len() - 5));
        }
    }
    s
}

fn worker(
    location: JournalLocation,
    base: Arc<Dataset>,
    mut last_seen: i64,
    commands: Receiver<JournalCommand>,
    replies: Sender<Reply>,
    waker: impl Fn(),
) {
    let mut journal: Option<LabelJournal> = None;
    while let Ok(command) = commands.recv() {
        let user = !matches!(command, JournalCommand::Refresh);
        if !user && journal.is_none() && !location.db_path.exists() {
            // Never edited, by anyone: nothing to read, and nothing is created by looking.
            replies
                .send(Reply {
                    outcome: Ok(Outcome::Refreshed),
                    state: None,
                    user,
                })
                .ok();
            continue;
        }
        let result = run(&location, &base, &mut journal, &mut last_seen, command);
        let reply = match result {
            Ok((outcome, state)) => Reply {
                outcome: Ok(outcome),
                state,
                user,
            },
            Err(e) => Reply {
                outcome: Err(if user {
                    format!("NOT SAVED: {e}")
                } else {
                    e.to_string()
                }),
                state: None,
                user,
            },
        };
        let changed = reply.state.is_some() || reply.outcome.is_err() || user;
        // A closed session still gets every command it sent committed: only the reply is lost.
        let delivered = replies.send(reply).is_ok();
        if changed && delivered {
            waker();
        }
    }
}

fn run(
    location: &JournalLocation,
    base: &Dataset,
    journal: &mut Option<LabelJournal>,
    last_seen: &mut i64,
    command: JournalCommand,
) -> Result<(Outcome, Option<EditState>), labels::JournalError> {
    if journal.is_none() {
        *journal = Some(LabelJournal::open(location)?);
    }
    let Some(j) = journal.as_mut() else {
        return Err(labels::JournalError::Request(
            "the journal is not open".into(),
        ));
    };
    let outcome = match command {
        JournalCommand::Record(changes) => {
            j.record(&changes, Origin::Gui)?;
            Outcome::Recorded
        }
        JournalCommand::Soften(changes) => {
            j.record_soft(&changes, Origin::Gui)?;
            Outcome::Recorded
        }
        JournalCommand::Undo => Outcome::Reverted(j.undo(Origin::Gui)?.is_some()),
        JournalCommand::Redo => Outcome::Reverted(j.redo(Origin::Gui)?.is_some()),
        JournalCommand::Review(files, on) => {
            j.set_reviewed(&files, on, Origin::Gui)?;
            Outcome::Reviewed
        }
        JournalCommand::Apply(planned) => {
            Outcome::Applied(labels::apply_plan(j, base, &planned, Origin::Gui)?)
        }
        JournalCommand::Refresh => {
            let last = j.last_batch()?;
            if last == *last_seen {
                return Ok((Outcome::Refreshed, None));
            }
            Outcome::Refreshed
        }
    };
    let state = j.replay()?.state(base);
    *last_seen = state.last_batch;
    Ok((outcome, Some(state)))
}
