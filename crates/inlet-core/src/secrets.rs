//! Secrets that must stay readable (webhook signing secrets, to compute
//! HMACs) are stored sealed with AES-256-GCM under a key read from
//! `secrets.key_file` (64 hex characters). Sealed = 12-byte random nonce ‖
//! ciphertext ‖ tag.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const NONCE_BYTES: usize = 12;

/// Why a key could not be read, or a secret not sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("configuration key `secrets.key_file`: cannot read {path}: {source}")]
    KeyFileUnreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration key `secrets.key_file`: the key must be 64 hex characters (32 bytes)")]
    BadKey,
    #[error("secrets.key_file is not configured")]
    NoKey,
    #[error("no randomness for a nonce: {0}")]
    NoRandomness(getrandom::Error),
    #[error("cannot seal the secret")]
    Seal,
    #[error("sealed secret too short")]
    TooShort,
    #[error("the sealed secret does not open with this key")]
    WrongKey,
}

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    /// The box of `secrets.key_file`; `None` when no key is configured.
    pub fn from_key_file(path: &str) -> Result<Option<Self>, SecretError> {
        if path.is_empty() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(path).map_err(|source| SecretError::KeyFileUnreadable {
                path: path.to_string(),
                source,
            })?;
        Self::from_hex(text.trim()).map(Some)
    }

    pub fn from_hex(key: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(key).map_err(|_| SecretError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey);
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(SecretError::NoRandomness)?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| SecretError::Seal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(SecretError::TooShort);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SecretError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let sealer = SecretBox::from_hex(KEY).unwrap();
        let sealed = sealer.seal(b"hunter2").unwrap();
        assert!(
            !sealed.windows(7).any(|w| w == b"hunter2"),
            "not stored in the clear"
        );
        assert_eq!(sealer.open(&sealed).unwrap(), b"hunter2");
        let other = SecretBox::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn two_seals_differ() {
        let sealer = SecretBox::from_hex(KEY).unwrap();
        assert_ne!(sealer.seal(b"x").unwrap(), sealer.seal(b"x").unwrap());
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(SecretBox::from_hex("abcd").is_err());
        assert!(SecretBox::from_hex(&"zz".repeat(32)).is_err());
        assert!(SecretBox::from_key_file("").unwrap().is_none());
    }
}
