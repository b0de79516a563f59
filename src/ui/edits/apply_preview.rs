//! The write-back preview: each pending edit and what writing it back will do. Its own file so the
//! browse state can hold it without importing the panel that draws it.

use crate::core::labels::Pending;
use crate::core::labels::write_back::PlannedWrite;

/// The write-back preview, while it is open.
pub struct ApplyPreview {
    /// Each pending edit and what writing it back will do.
    pub rows: Vec<(Pending, PlannedWrite)>,
}
