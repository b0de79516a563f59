//! Which file a journal name stands for. Edits name a sample by its path; a write-back into class
//! folders moves files, so the same sample has had several names. Every name the history mentions is
//! mapped to one sample identity: a name a write-back moved a file away from keeps meaning that file
//! (until a later move puts another file there), so an edit made with an old name, by a program that
//! loaded the dataset before the move, lands on the moved file instead of nowhere.

use std::collections::HashMap;

/// One sample's identity across the moves the journal itself made.
pub(crate) type SampleId = usize;

/// Names to identities, replayed in history order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identities {
    /// The name each identity has now.
    names: Vec<String>,
    /// Names that are current: the file is there.
    live: HashMap<String, SampleId>,
    /// Names a write-back moved a file away from, and no move has put a file at since.
    moved_away: HashMap<String, SampleId>,
}

impl Identities {
    /// The identity an event naming `name` means: the file there now, else the file moved away from
    /// there, else a new identity.
    pub fn id(&mut self, name: &str) -> SampleId {
        if let Some(id) = self.lookup(name) {
            return id;
        }
        let id = self.names.len();
        self.names.push(name.to_string());
        self.live.insert(name.to_string(), id);
        id
    }

    /// The identity `name` means, if the history mentions it.
    pub fn lookup(&self, name: &str) -> Option<SampleId> {
        self.live
            .get(name)
            .or_else(|| self.moved_away.get(name))
            .copied()
    }

    /// The name identity `id` has now.
    pub fn name(&self, id: SampleId) -> &str {
        self.names.get(id).map_or("", String::as_str)
    }

    /// The name the file `name` meant has now (itself when it never moved or is unknown).
    pub fn resolve<'a>(&'a self, name: &'a str) -> &'a str {
        self.lookup(name).map_or(name, |id| self.name(id))
    }

    /// A write-back moved the file `from` to `to`. Returns the moved identity and the identity that
    /// had the name `to` before, if another one did (its events were recorded under the new name
    /// before the move was: they are the moved file's).
    pub fn moved(&mut self, from: &str, to: &str) -> (SampleId, Option<SampleId>) {
        let id = self.id(from);
        let old = self.name(id).to_string();
        if self.live.get(&old) == Some(&id) {
            self.live.remove(&old);
        }
        self.moved_away.insert(old.clone(), id);
        if from != old {
            self.moved_away.insert(from.to_string(), id);
        }
        self.moved_away.remove(to);
        let displaced = self.live.insert(to.to_string(), id).filter(|&d| d != id);
        if let Some(name) = self.names.get_mut(id) {
            *name = to.to_string();
        }
        (id, displaced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_moved_there_and_back_keeps_one_identity() {
        let mut ids = Identities::default();
        let a = ids.id("cat/1.jpg");
        ids.moved("cat/1.jpg", "dog/1.jpg");
        assert_eq!(ids.resolve("cat/1.jpg"), "dog/1.jpg");
        ids.moved("dog/1.jpg", "cat/1.jpg");
        assert_eq!(ids.resolve("dog/1.jpg"), "cat/1.jpg");
        assert_eq!(ids.resolve("cat/1.jpg"), "cat/1.jpg");
        assert_eq!(ids.id("dog/1.jpg"), a);
        assert_eq!(ids.id("cat/1.jpg"), a);
    }

    #[test]
    fn a_name_another_file_moved_into_means_that_file() {
        let mut ids = Identities::default();
        let a = ids.id("cat/1.jpg");
        ids.moved("cat/1.jpg", "dog/1.jpg");
        let b = ids.id("owl/1.jpg");
        ids.moved("owl/1.jpg", "cat/1.jpg");
        assert_eq!(ids.id("cat/1.jpg"), b);
        assert_eq!(ids.name(a), "dog/1.jpg");
        // An edit recorded under the new name before the move was recorded merges into the mover.
        let c = ids.id("fox/2.jpg");
        let (moved, displaced) = ids.moved("dog/1.jpg", "fox/2.jpg");
        assert_eq!((moved, displaced), (a, Some(c)));
    }
}
