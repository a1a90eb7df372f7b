//! The one secret every key derives from, read from the environment or a private key file.

use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::mac::hmac_sha256;

/// The environment variable holding the master key (standard base64 of 32 bytes). When set,
/// it takes precedence over the key file.
pub const MASTER_KEY_ENV: &str = "LIFEHEALTH_MASTER_KEY";

/// A key file is far smaller than this; the cap keeps a wrong path (a log, a database) from
/// being read whole.
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// Why the master key could not be had. Messages name the source and what to do.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The text is not standard base64.
    #[error(
        "the master key in {origin} is not valid base64; it must be 32 random bytes in standard base64 (44 characters), for example from `openssl rand -base64 32`"
    )]
    BadBase64 {
        /// Where the key came from: the environment variable or the file.
        origin: String,
    },
    /// The base64 decodes to something other than 32 bytes.
    #[error(
        "the master key in {origin} is {found} bytes; it must be exactly 32 bytes in standard base64 (44 characters)"
    )]
    WrongLength {
        /// Where the key came from: the environment variable or the file.
        origin: String,
        /// Bytes decoded.
        found: usize,
    },
    /// The key file could not be opened or read.
    #[error("cannot read the key file {path}: {source}")]
    Unreadable {
        /// The key file.
        path: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The key file (or its folder) could not be created.
    #[error("cannot create the key file {path}: {source}")]
    CannotCreate {
        /// The key file.
        path: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Users other than the owner have some access to the key file.
    #[error(
        "the key file {path} is accessible to other users (mode {mode:03o}); only its owner may read it: run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// The one secret all keys derive from: 32 bytes. `Debug` never shows them.
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Decodes standard base64 of exactly 32 bytes; surrounding whitespace is ignored.
    /// Errors name the key only as "the given text".
    pub fn from_base64(text: &str) -> Result<Self, MasterKeyError> {
        decode(text, "the given text")
    }

    /// The key from [`MASTER_KEY_ENV`] if it is set and not blank, else from the key file at
    /// `path`. The file must be readable by its owner only (mode 0600 or stricter) on Unix.
    pub fn load(path: &Path) -> Result<Self, MasterKeyError> {
        Self::load_with(env_value(), path)
    }

    /// Like [`MasterKey::load`], but when the variable is unset and the file does not exist,
    /// creates it (and missing parent folders, mode 0700) holding 32 fresh random bytes in
    /// base64 and a newline, mode 0600. Used by `lifehealth demo`.
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        Self::load_or_create_with(env_value(), path)
    }

    /// A 32-byte sub-key for `label`: HMAC-SHA256(master, label), HMAC used as a PRF so
    /// sub-keys for different labels are independent and none reveals the master.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        hmac_sha256(&self.0, &[label.as_bytes()])
    }

    /// A key from fixed bytes, for [`crate::Keyring::for_tests`] and tests.
    pub(crate) const fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    // The environment is passed in, rather than read here, so tests can cover precedence
    // without mutating the process environment (which is `unsafe` in edition 2024).
    fn load_with(env: Option<OsString>, path: &Path) -> Result<Self, MasterKeyError> {
        match env {
            Some(value) => from_env(&value),
            None => read_key_file(path),
        }
    }

    fn load_or_create_with(env: Option<OsString>, path: &Path) -> Result<Self, MasterKeyError> {
        if let Some(value) = env {
            return from_env(&value);
        }
        match create_key_file(path) {
            Ok(key) => Ok(key),
            // Someone (an earlier run, a concurrent start) made it first: use theirs.
            Err(MasterKeyError::CannotCreate { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                read_key_file(path)
            }
            Err(other) => Err(other),
        }
    }
}

/// The variable's value, treating unset and blank alike: an empty `LIFEHEALTH_MASTER_KEY=`
/// left in a service file should not shadow a working key file.
fn env_value() -> Option<OsString> {
    non_blank(std::env::var_os(MASTER_KEY_ENV))
}

fn non_blank(value: Option<OsString>) -> Option<OsString> {
    // A value that is not Unicode is kept, so that it is reported rather than ignored.
    value.filter(|v| v.to_str().is_none_or(|s| !s.trim().is_empty()))
}

fn from_env(value: &OsString) -> Result<MasterKey, MasterKeyError> {
    let origin = format!("the environment variable {MASTER_KEY_ENV}");
    let text = value.to_str().ok_or_else(|| MasterKeyError::BadBase64 {
        origin: origin.clone(),
    })?;
    decode(text, &origin)
}

fn decode(text: &str, origin: &str) -> Result<MasterKey, MasterKeyError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| MasterKeyError::BadBase64 {
            origin: origin.to_owned(),
        })?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| MasterKeyError::WrongLength {
            origin: origin.to_owned(),
            found: bytes.len(),
        })?;
    Ok(MasterKey(key))
}

fn read_key_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
    let shown = path.display().to_string();
    let unreadable = |source| MasterKeyError::Unreadable {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // Checked on the open handle, so the file checked is the file read.
    refuse_open_permissions(&file, &shown)?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let origin = format!("the key file {shown}");
    let text = std::str::from_utf8(&bytes).map_err(|_| MasterKeyError::BadBase64 {
        origin: origin.clone(),
    })?;
    decode(text, &origin)
}

fn create_key_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
    let shown = path.display().to_string();
    let cannot = |source| MasterKeyError::CannotCreate {
        path: shown.clone(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dirs(parent).map_err(cannot)?;
    }
    let mut file = open_new_private(path).map_err(cannot)?;
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let written = file
        .write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        // A half-written file would block every later start with a confusing length error.
        let _ = std::fs::remove_file(path);
        return Err(cannot(source));
    }
    Ok(MasterKey(key))
}

#[cfg(unix)]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Refuses a key file that group or others can access in any way (read, write or execute),
/// as ssh does for private keys: write access would let another user swap the key.
#[cfg(unix)]
fn refuse_open_permissions(file: &std::fs::File, shown: &str) -> Result<(), MasterKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file
        .metadata()
        .map_err(|source| MasterKeyError::Unreadable {
            path: shown.to_owned(),
            source,
        })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(MasterKeyError::TooOpen {
            path: shown.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Other platforms have no mode bits to check; their ACLs are the operator's to set.
#[cfg(not(unix))]
fn refuse_open_permissions(_: &std::fs::File, _: &str) -> Result<(), MasterKeyError> {
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh folder under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("lh-vault-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const KEY_A: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="; // 32 × 0x01

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn base64_of_exactly_32_bytes_is_required() {
        assert_eq!(MasterKey::from_base64(KEY_A).unwrap().0, [1u8; 32]);
        assert_eq!(
            MasterKey::from_base64(&format!("  {KEY_A}\n")).unwrap().0,
            [1u8; 32]
        );
        assert!(matches!(
            MasterKey::from_base64("c2hvcnQ="),
            Err(MasterKeyError::WrongLength { found: 5, .. })
        ));
        assert!(matches!(
            MasterKey::from_base64("***"),
            Err(MasterKeyError::BadBase64 { .. })
        ));
        assert!(matches!(
            MasterKey::from_base64(""),
            Err(MasterKeyError::WrongLength { found: 0, .. })
        ));
    }

    #[test]
    fn debug_and_errors_never_show_key_material() {
        let key = MasterKey::from_base64(KEY_A).unwrap();
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
        let err = MasterKey::from_base64("c2hvcnQ=").unwrap_err().to_string();
        assert!(
            !err.contains("c2hvcnQ") && err.contains("32 bytes"),
            "{err}"
        );
    }

    #[test]
    fn sub_keys_differ_by_label_and_master() {
        let a = MasterKey::from_bytes([1u8; 32]);
        let b = MasterKey::from_bytes([2u8; 32]);
        assert_ne!(
            a.derive("lifehealth/v1/session"),
            a.derive("lifehealth/v1/blind-index")
        );
        assert_ne!(a.derive("x"), b.derive("x"));
        assert_eq!(a.derive("x"), hmac_sha256(&[1u8; 32], &[b"x"]));
    }

    #[test]
    fn key_files_are_created_private_once_and_then_reused() {
        let dir = TempDir::new();
        let path = dir.0.join("data/keys/master.key");
        let created = MasterKey::load_or_create_with(None, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n') && text.trim().len() == 44, "{text:?}");
        let again = MasterKey::load_or_create_with(None, &path).unwrap();
        let loaded = MasterKey::load_with(None, &path).unwrap();
        assert_eq!(created.0, again.0);
        assert_eq!(created.0, loaded.0);
        #[cfg(unix)]
        {
            assert_eq!(mode_of(&path), 0o600);
            assert_eq!(mode_of(&dir.0.join("data/keys")), 0o700);
        }
    }

    #[test]
    fn two_fresh_keys_differ() {
        let dir = TempDir::new();
        let a = MasterKey::load_or_create_with(None, &dir.0.join("a.key")).unwrap();
        let b = MasterKey::load_or_create_with(None, &dir.0.join("b.key")).unwrap();
        assert_ne!(a.0, b.0);
    }

    #[cfg(unix)]
    #[test]
    fn too_open_key_files_are_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new();
        let path = dir.0.join("master.key");
        MasterKey::load_or_create_with(None, &path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = MasterKey::load_with(None, &path).unwrap_err();
            assert!(matches!(err, MasterKeyError::TooOpen { mode: m, .. } if m == mode));
            assert!(
                err.to_string()
                    .contains(&format!("chmod 600 {}", path.display()))
            );
            assert!(
                MasterKey::load_or_create_with(None, &path).is_err(),
                "not recreated either"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(MasterKey::load_with(None, &path).is_ok());
    }

    #[test]
    fn missing_and_malformed_files_say_so() {
        let dir = TempDir::new();
        let missing = dir.0.join("nope.key");
        assert!(matches!(
            MasterKey::load_with(None, &missing),
            Err(MasterKeyError::Unreadable { .. })
        ));
        assert!(!missing.exists(), "load never creates");
        std::fs::create_dir_all(&dir.0).unwrap();
        let bad = dir.0.join("bad.key");
        open_new_private(&bad)
            .unwrap()
            .write_all(b"not base64!\n")
            .unwrap();
        let err = MasterKey::load_with(None, &bad).unwrap_err();
        assert!(matches!(err, MasterKeyError::BadBase64 { .. }));
        assert!(err.to_string().contains(&bad.display().to_string()));
    }

    #[test]
    fn the_environment_takes_precedence_over_the_file() {
        let dir = TempDir::new();
        let path = dir.0.join("master.key");
        let from_file = MasterKey::load_or_create_with(None, &path).unwrap();
        let from_env = MasterKey::load_with(Some(KEY_A.into()), &path).unwrap();
        assert_eq!(from_env.0, [1u8; 32]);
        assert_ne!(from_env.0, from_file.0);
        // With the variable set, nothing is created.
        let other = dir.0.join("other.key");
        assert_eq!(
            MasterKey::load_or_create_with(Some(KEY_A.into()), &other)
                .unwrap()
                .0,
            [1u8; 32]
        );
        assert!(!other.exists());
        // A bad variable is an error, not a silent fall-back to the file.
        let err = MasterKey::load_with(Some("c2hvcnQ=".into()), &path).unwrap_err();
        assert!(err.to_string().contains(MASTER_KEY_ENV));
    }

    #[test]
    fn a_blank_variable_counts_as_unset() {
        assert_eq!(non_blank(None), None);
        assert_eq!(non_blank(Some("".into())), None);
        assert_eq!(non_blank(Some(" \n".into())), None);
        assert_eq!(non_blank(Some(KEY_A.into())), Some(KEY_A.into()));
    }
}
