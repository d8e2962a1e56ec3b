//! Reading and writing one `config/*.json` file with Java's `.bak` habit.
//!
//! Java (`ConfigManager.persist` + `MixAll.string2File`) writes `<file>.tmp`, copies the
//! current `<file>` to `<file>.bak`, deletes `<file>` and renames the `.tmp` over it. Loading
//! (`ConfigManager.load`) reads `<file>`; when it is missing, empty or does not decode, it reads
//! `<file>.bak` instead; a missing or empty backup means "nothing stored yet" and a backup that
//! does not decode either is a load failure (the Java broker then refuses to start).
//!
//! Here every step is durable: the new content and the backup are fsynced before the rename,
//! the rename replaces the file atomically (no moment without `<file>`), and the directory is
//! fsynced after it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::fastjson::{self, FromJson, JsonError, ToJson};

/// Where a loaded configuration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// The file itself.
    Main,
    /// `<file>.bak`, because the file was missing, empty or corrupt.
    Backup,
    /// Neither file has content: start from defaults (a new broker).
    Absent,
}

/// A configuration file that could not be read from either copy.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("config file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("config file {path} is corrupt and so is its backup: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn bak_path(path: &Path) -> PathBuf {
    suffixed(path, ".bak")
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The file's text, `None` when missing or empty. Invalid UTF-8 reads lossily, as Java's
/// `new String(bytes)` would, and then fails to decode if it matters.
fn read_text(path: &Path) -> Result<Option<String>, ConfigFileError> {
    match fs::read(path) {
        Ok(bytes) if bytes.is_empty() => Ok(None),
        Ok(bytes) => {
            Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigFileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Loads and decodes `path` with `decode`, falling back to `<path>.bak` as Java does.
pub fn load_with<T>(
    path: &Path,
    decode: impl Fn(&str) -> Result<T, JsonError>,
) -> Result<(Option<T>, LoadSource), ConfigFileError> {
    let main_error = match read_text(path) {
        Ok(Some(text)) => match decode(&text) {
            Ok(v) => return Ok((Some(v), LoadSource::Main)),
            Err(e) => {
                tracing::error!(
                    "load {} failed, and try to load backup file: {e}",
                    path.display()
                );
                Some(e.to_string())
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::error!(
                "load {} failed, and try to load backup file: {e}",
                path.display()
            );
            Some(e.to_string())
        }
    };
    let bak = bak_path(path);
    match read_text(&bak)? {
        Some(text) => match decode(&text) {
            Ok(v) => {
                tracing::warn!(
                    "loaded {} from its backup {}",
                    path.display(),
                    bak.display()
                );
                Ok((Some(v), LoadSource::Backup))
            }
            Err(e) => Err(ConfigFileError::Corrupt {
                path: path.to_path_buf(),
                reason: match main_error {
                    Some(m) => format!("{m}; backup: {e}"),
                    None => format!("backup: {e}"),
                },
            }),
        },
        None => Ok((None, LoadSource::Absent)),
    }
}

/// Loads a typed configuration (see [`load_with`]).
pub fn load<T: FromJson>(path: &Path) -> Result<(Option<T>, LoadSource), ConfigFileError> {
    load_with(path, fastjson::decode::<T>)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Java's `MixAll.string2File`, made durable: `<path>.tmp` written and synced, the previous
/// content copied to `<path>.bak` (synced), then the `.tmp` renamed over `<path>` and the
/// directory synced.
pub fn write_string(path: &Path, text: &str) -> Result<(), ConfigFileError> {
    // Java's `persist` is `synchronized`; config writes are rare, so one lock serializes them all
    // (two writers of one file would otherwise share its `.tmp`).
    static WRITE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ConfigFileError::Io { path: p, source }
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = suffixed(path, ".tmp");
    write_synced(&tmp, text.as_bytes()).map_err(io_err(&tmp))?;
    match fs::read(path) {
        Ok(previous) => {
            let bak = bak_path(path);
            write_synced(&bak, &previous).map_err(io_err(&bak))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ConfigFileError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    }
    fs::rename(&tmp, path).map_err(io_err(path))?;
    if let Some(dir) = dir {
        // Makes the rename itself durable. Not every platform can open a directory.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// `ConfigManager.persist()`: the fastjson PrettyFormat text of `value`, written with
/// [`write_string`].
pub fn persist<T: ToJson + ?Sized>(path: &Path, value: &T) -> Result<(), ConfigFileError> {
    write_string(path, &fastjson::encode_pretty(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::Value;

    /// A scratch directory, removed when the test ends.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp_dir(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ferrocket-cfgfile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    #[test]
    fn persist_keeps_previous_content_as_bak() {
        let scratch = tmp_dir("bak");
        let dir = scratch.0.clone();
        let path = dir.join("config").join("x.json");
        write_string(&path, "{\"a\":1}").unwrap();
        assert!(!bak_path(&path).exists());
        write_string(&path, "{\"a\":2}").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":2}");
        assert_eq!(fs::read_to_string(bak_path(&path)).unwrap(), "{\"a\":1}");
        assert!(!suffixed(&path, ".tmp").exists());
    }

    #[test]
    fn load_falls_back_to_bak() {
        let scratch = tmp_dir("fallback");
        let dir = scratch.0.clone();
        let path = dir.join("x.json");
        // Nothing at all: absent.
        let (v, src) = load::<Value>(&path).unwrap();
        assert_eq!((v, src), (None, LoadSource::Absent));
        // Empty main, good backup.
        fs::write(&path, "").unwrap();
        fs::write(bak_path(&path), "{\"a\":1}").unwrap();
        let (v, src) = load::<Value>(&path).unwrap();
        assert_eq!(src, LoadSource::Backup);
        assert_eq!(v.unwrap().get("a").and_then(|a| a.as_i64()), Some(1));
        // Corrupt main, good backup.
        fs::write(&path, "{\"a\":").unwrap();
        assert_eq!(load::<Value>(&path).unwrap().1, LoadSource::Backup);
        // Corrupt both: an error naming the file.
        fs::write(bak_path(&path), "\u{0}garbage").unwrap();
        let err = load::<Value>(&path).unwrap_err();
        assert!(matches!(err, ConfigFileError::Corrupt { .. }), "{err}");
        // Corrupt main, no backup: nothing stored (Java's loadBak returns true).
        fs::remove_file(bak_path(&path)).unwrap();
        assert_eq!(load::<Value>(&path).unwrap().1, LoadSource::Absent);
        // Good main wins over anything.
        fs::write(&path, "{\"a\":3}").unwrap();
        assert_eq!(load::<Value>(&path).unwrap().1, LoadSource::Main);
    }
}
