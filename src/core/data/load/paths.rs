//! Sample identity: a path relative to the dataset root with `/` separators. Manifests and predictions
//! written on other machines say `./a/b.jpg`, `a\b.jpg` or `/abs/root/a/b.jpg`; all of these must join
//! to the same sample.

use std::borrow::Cow;
use std::path::Path;

/// Normalises a path from a manifest or predictions file to a sample identity: backslashes become `/`,
/// `.` segments and repeated `/` go, and an absolute path under `root` becomes relative to it (an
/// absolute path elsewhere stays absolute). `root` should be absolute.
pub fn normalize_sample_path<'a>(raw: &'a str, root: &Path) -> Cow<'a, str> {
    // One pass over the bytes (this runs for every row of a million-row file): a backslash, a leading
    // "./" or "/", a trailing "/", or a "/" followed by "/" or "." (false positives like "/.hidden" only
    // take the slow path, which leaves them as they are).
    let b = raw.as_bytes();
    let needs_work = b.first() == Some(&b'/')
        || b.last() == Some(&b'/')
        || b.starts_with(b"./")
        || memchr::memchr(b'\\', b).is_some()
        || memchr::memchr_iter(b'/', b).any(|i| matches!(b.get(i + 1), Some(b'/' | b'.')));
    if !needs_work {
        return Cow::Borrowed(raw);
    }
    let slashed = raw.replace('\\', "/");
    let absolute = slashed.starts_with('/');
    let mut cleaned = String::with_capacity(slashed.len());
    if absolute {
        cleaned.push('/');
    }
    for seg in slashed.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if !(cleaned.is_empty() || cleaned == "/") {
            cleaned.push('/');
        }
        cleaned.push_str(seg);
    }
    if absolute && let Some(root) = root.to_str() {
        let root = root.trim_end_matches('/');
        if let Some(rest) = cleaned.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            return Cow::Owned(rest.to_string());
        }
    }
    Cow::Owned(cleaned)
}

/// The absolute form of a dataset root, for [`normalize_sample_path`].
pub fn absolute_root(root: &Path) -> std::path::PathBuf {
    std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        let root = Path::new("/data/set");
        assert_eq!(normalize_sample_path("a/b.jpg", root), "a/b.jpg");
        assert!(matches!(
            normalize_sample_path("a/b.jpg", root),
            Cow::Borrowed(_)
        ));
        assert_eq!(normalize_sample_path("./a/b.jpg", root), "a/b.jpg");
        assert_eq!(normalize_sample_path("a\\b.jpg", root), "a/b.jpg");
        assert_eq!(normalize_sample_path("a//./b.jpg", root), "a/b.jpg");
        assert_eq!(normalize_sample_path("/data/set/a/b.jpg", root), "a/b.jpg");
        assert_eq!(
            normalize_sample_path("/data/settle/b.jpg", root),
            "/data/settle/b.jpg"
        );
        assert_eq!(
            normalize_sample_path("/elsewhere//b.jpg", root),
            "/elsewhere/b.jpg"
        );
        assert_eq!(normalize_sample_path("../up/b.jpg", root), "../up/b.jpg");
    }
}
