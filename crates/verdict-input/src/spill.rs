//! Writing scratch files off the critical path: a [`BackgroundWriter`] owns a file on a thread
//! of its own and appends the buffers it is sent, so the threads that parse and score never
//! wait for a write, nor copy what they send into one buffer. A writer can also digest what
//! it writes, on the same thread, for files that are checked when they are read back.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use verdict_core::error::{Error, Result};

/// Buffers in flight before a sender waits: enough to ride out a slow write, few enough that
/// memory stays small.
const IN_FLIGHT: usize = 4;

/// What a digesting writer wrote: the size and SHA-256 of the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// Bytes written.
    pub size: u64,
    /// SHA-256 of those bytes, in hex.
    pub sha256: String,
}

/// Appends buffers to a file on its own thread.
pub struct BackgroundWriter {
    path: PathBuf,
    sender: Option<SyncSender<Vec<Vec<u8>>>>,
    thread: Option<JoinHandle<std::io::Result<Option<Written>>>>,
}

impl BackgroundWriter {
    /// Creates (or truncates) `path` and starts its writing thread.
    pub fn create(path: &Path) -> Result<BackgroundWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, "cannot create", e))?;
        Ok(Self::start(path, file, false))
    }

    /// [`Self::create`], digesting every byte written: [`Self::finish`] gives the file's
    /// size and SHA-256 without reading it back.
    pub fn create_digested(path: &Path) -> Result<BackgroundWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, "cannot create", e))?;
        Ok(Self::start(path, file, true))
    }

    /// Writes to an open `file`, named `path` in messages.
    pub fn to_file(path: &Path, file: File) -> BackgroundWriter {
        Self::start(path, file, false)
    }

    fn start(path: &Path, file: File, digest: bool) -> BackgroundWriter {
        let (sender, receiver) = sync_channel::<Vec<Vec<u8>>>(IN_FLIGHT);
        let thread = std::thread::spawn(move || {
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let mut hasher = digest.then(Sha256::new);
            let mut size = 0u64;
            for buffers in receiver {
                for buffer in buffers {
                    out.write_all(&buffer)?;
                    if let Some(hasher) = &mut hasher {
                        hasher.update(&buffer);
                        size += buffer.len() as u64;
                    }
                }
            }
            out.flush()?;
            Ok(hasher.map(|hasher| Written {
                size,
                sha256: crate::hex(&hasher.finalize()),
            }))
        });
        BackgroundWriter {
            path: path.to_path_buf(),
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Appends `buffers`, one after another. A write that failed is reported here or by
    /// [`Self::finish`].
    pub fn write(&mut self, buffers: Vec<Vec<u8>>) -> Result<()> {
        let sent = self.sender.as_ref().map(|s| s.send(buffers));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread has stopped: only a failed write stops it, and finish says which.
            _ => self.finish().map(drop),
        }
    }

    /// Waits for every buffer to be written and flushed; a digesting writer's size and digest,
    /// the first time it is called.
    pub fn finish(&mut self) -> Result<Option<Written>> {
        self.sender = None;
        match self.thread.take().map(JoinHandle::join) {
            None => Ok(None),
            Some(Ok(Ok(written))) => Ok(written),
            Some(Ok(Err(e))) => Err(Error::io(&self.path, "cannot write", e)),
            Some(Err(_)) => Err(Error::io(
                &self.path,
                "cannot write",
                std::io::Error::other("the writing thread panicked"),
            )),
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        // A writer dropped on an error path still stops its thread before the file goes.
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut writer = BackgroundWriter::create(&path).unwrap();
        for i in 0..100 {
            let parts = vec![i.to_string().into_bytes(), Vec::new(), b"\n".to_vec()];
            writer.write(parts).unwrap();
        }
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: String = (0..100).map(|i| format!("{i}\n")).collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn a_digesting_writer_gives_the_size_and_sha256_of_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut writer = BackgroundWriter::create_digested(&path).unwrap();
        writer
            .write(vec![b"{\"output\": ".to_vec(), b"\"[1]\"}\n".to_vec()])
            .unwrap();
        let written = writer.finish().unwrap().unwrap();
        // The bytes of the digest test in verdict-engine's shard module, as `sha256sum` gives.
        assert_eq!(
            written,
            Written {
                size: 18,
                sha256: "dce7d2ad264cc89738d91e99939bf465cecaea7864cfcaa2a9de4595fc5af353".into()
            }
        );
        assert_eq!(writer.finish().unwrap(), None);
        let mut plain = BackgroundWriter::create(&path).unwrap();
        plain.write(vec![b"x".to_vec()]).unwrap();
        assert_eq!(plain.finish().unwrap(), None);
    }

    #[test]
    fn a_failed_write_is_reported() {
        // /dev/full accepts the open and fails every write.
        let Ok(file) = File::options().write(true).open("/dev/full") else {
            return;
        };
        let mut writer = BackgroundWriter::to_file(Path::new("/dev/full"), file);
        let mut failed = false;
        for _ in 0..64 {
            if writer.write(vec![vec![0; 1 << 20]]).is_err() {
                failed = true;
                break;
            }
        }
        let finished = writer.finish();
        assert!(failed || finished.is_err());
    }
}
