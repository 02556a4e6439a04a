//! Content-addressed files under `GRIDFLOCK_DATA_DIR`: `stl/ab/abcdef….stl`,
//! `gcode/ab/abcdef….gcode`, named by the BLAKE3 hash of their bytes.
//!
//! A file is written to a temporary name in its final directory and renamed
//! into place, so a reader (or a restarted pipeline) sees either the whole
//! file or none; the same bytes always land at the same path, so concurrent
//! writers of one artefact cannot disagree.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The kinds of artefact, each in its own directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A plate's binary STL.
    Stl,
    /// A plate's sliced gcode.
    Gcode,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Stl => "stl",
            Kind::Gcode => "gcode",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Kind::Stl => "stl",
            Kind::Gcode => "gcode",
        }
    }
}

/// The artefact directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Artefacts under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The hex BLAKE3 hash that names `bytes`.
    pub fn hash(bytes: &[u8]) -> String {
        blake3::hash(bytes).to_hex().to_string()
    }

    /// Where the artefact `hash` of `kind` lives.
    pub fn path(&self, kind: Kind, hash: &str) -> PathBuf {
        let fan = hash.get(..2).unwrap_or("xx");
        self.root
            .join(kind.dir())
            .join(fan)
            .join(format!("{hash}.{}", kind.extension()))
    }

    /// Whether the artefact is on disk.
    pub async fn exists(&self, kind: Kind, hash: &str) -> bool {
        is_hex_hash(hash)
            && tokio::fs::try_exists(self.path(kind, hash))
                .await
                .unwrap_or(false)
    }

    /// Reads an artefact.
    pub async fn read(&self, kind: Kind, hash: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(kind, hash)).await
    }

    /// Stores `bytes` (unless already there) and returns their hash.
    pub async fn put(&self, kind: Kind, bytes: bytes::Bytes) -> std::io::Result<String> {
        let hash = Self::hash(&bytes);
        let path = self.path(kind, &hash);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(hash);
        }
        // Files of hundreds of MB: keep the blocking write off the runtime threads.
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(std::io::Error::other)??;
        Ok(hash)
    }
}

fn is_hex_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("artefact path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_by_content_and_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let data = bytes::Bytes::from_static(b"solid plate");
        let hash = store.put(Kind::Stl, data.clone()).await.expect("put");
        assert_eq!(hash, Store::hash(&data));
        let path = store.path(Kind::Stl, &hash);
        assert!(path.starts_with(dir.path().join("stl").join(&hash[..2])));
        assert!(path.to_string_lossy().ends_with(".stl"));
        assert!(store.exists(Kind::Stl, &hash).await);
        assert!(!store.exists(Kind::Gcode, &hash).await);
        assert_eq!(
            store.read(Kind::Stl, &hash).await.expect("read"),
            b"solid plate"
        );
        // Storing again is a no-op with the same name; no temporary files remain.
        assert_eq!(store.put(Kind::Stl, data).await.expect("again"), hash);
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[tokio::test]
    async fn malformed_hashes_never_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        assert!(!store.exists(Kind::Stl, "../../etc/passwd").await);
        assert!(!store.exists(Kind::Stl, "").await);
    }
}
