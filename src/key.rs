//! The install's secret key: 32 random bytes in a file of their own (`analytics.key_file`, default
//! `data/productbot.key`, created with mode 0600 on first use), never in the analytics database.
//! It keys two HMAC-SHA256 uses, kept apart by a prefix: the pseudonym a user id is recorded as, and
//! the tag that authenticates the custom ids of the buttons and forms the bot makes.
//!
//! Someone holding only the database cannot tell who asked: without the key, hashing every
//! candidate user id (a server's member list) matches nothing. Someone holding the key and the
//! database can, by hashing candidates; within one install the same person always gets the same
//! pseudonym, so their records are linkable to each other.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tracing::warn;

type HmacSha256 = Hmac<Sha256>;

/// Hex digits of a button tag (64 bits).
pub const TAG_HEX: usize = 16;

#[derive(Clone, PartialEq, Eq)]
pub struct InstallKey([u8; 32]);

impl std::fmt::Debug for InstallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstallKey(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path} is not a key file: it must hold 64 hexadecimal digits (delete it to make a new key)")]
    Malformed { path: PathBuf },
}

impl InstallKey {
    /// Reads the key from `path`, or makes one there (and its directory) if there is none.
    pub fn load_or_create(path: &Path) -> Result<InstallKey, KeyError> {
        let io = |error| KeyError::Io { path: path.to_owned(), error };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                if let Ok(m) = std::fs::metadata(path) {
                    use std::os::unix::fs::PermissionsExt;
                    if m.permissions().mode() & 0o077 != 0 {
                        warn!("{} can be read by other accounts; `chmod 600` it", path.display());
                    }
                }
                return parse(text.trim()).ok_or_else(|| KeyError::Malformed { path: path.to_owned() });
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            Err(_) => {}
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let key = InstallKey(rand::random());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut f) => {
                f.write_all(format!("{}\n", crate::corpus::hex(&key.0)).as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok(key)
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(path),
            Err(e) => Err(io(e)),
        }
    }

    /// [`InstallKey::load_or_create`], or, when the file cannot be read or made, a key for this run
    /// only (logged): pseudonyms and buttons then change at the next start.
    pub fn load_or_ephemeral(path: &Path) -> InstallKey {
        match Self::load_or_create(path) {
            Ok(k) => k,
            Err(e) => {
                warn!("cannot read or create the install key ({e}); using a key for this run only");
                Self::ephemeral()
            }
        }
    }

    /// A key for this process only.
    pub fn ephemeral() -> InstallKey {
        InstallKey(rand::random())
    }

    fn mac(&self, purpose: &str, text: &str) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(b":");
        m.update(text.as_bytes());
        m
    }

    /// The pseudonym `user` is recorded as: 24 hex digits.
    pub fn user_hash(&self, user: &str) -> String {
        crate::corpus::hex(&self.mac("user", user).finalize().into_bytes()[..12])
    }

    /// The tag that authenticates a custom id: [`TAG_HEX`] hex digits.
    pub fn tag(&self, custom_id: &str) -> String {
        crate::corpus::hex(&self.mac("button", custom_id).finalize().into_bytes()[..TAG_HEX / 2])
    }

    /// Whether `tag` is this key's tag for `custom_id` (compared in constant time).
    pub fn verify_tag(&self, custom_id: &str, tag: &str) -> bool {
        match parse_bytes(tag) {
            Some(bytes) if bytes.len() == TAG_HEX / 2 => {
                self.mac("button", custom_id).verify_truncated_left(&bytes).is_ok()
            }
            _ => false,
        }
    }
}

fn parse(hex: &str) -> Option<InstallKey> {
    parse_bytes(hex).and_then(|b| <[u8; 32]>::try_from(b).ok()).map(InstallKey)
}

fn parse_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/productbot.key");
        let a = InstallKey::load_or_create(&path).unwrap();
        let b = InstallKey::load_or_create(&path).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(a.user_hash("42"), b.user_hash("42"));
        assert_ne!(a.user_hash("42"), InstallKey::ephemeral().user_hash("42"));
        assert_eq!(format!("{a:?}"), "InstallKey(***)");
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(InstallKey::load_or_create(&path), Err(KeyError::Malformed { .. })));
    }

    #[test]
    fn tags_verify_only_for_their_text_and_key() {
        let k = InstallKey::ephemeral();
        let t = k.tag("vote:12:1");
        assert_eq!(t.len(), TAG_HEX);
        assert!(k.verify_tag("vote:12:1", &t));
        assert!(!k.verify_tag("vote:13:1", &t));
        assert!(!InstallKey::ephemeral().verify_tag("vote:12:1", &t));
        assert!(!k.verify_tag("vote:12:1", "zz"));
    }
}
