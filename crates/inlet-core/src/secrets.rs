//! Secrets that must stay readable (webhook signing secrets, to compute
//! HMACs) are stored sealed with AES-256-GCM under a key read from
//! `secrets.key_file` (64 hex characters). Sealed = 12-byte random nonce ‖
//! ciphertext ‖ tag.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const NONCE_BYTES: usize = 12;

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    /// The box of `secrets.key_file`; `None` when no key is configured.
    pub fn from_key_file(path: &str) -> Result<Option<Self>, String> {
        if path.is_empty() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!("configuration key `secrets.key_file`: cannot read {path}: {e}")
        })?;
        Self::from_hex(text.trim())
            .map(Some)
            .map_err(|e| format!("configuration key `secrets.key_file`: {e}"))
    }

    pub fn from_hex(key: &str) -> Result<Self, String> {
        let bytes =
            hex::decode(key).map_err(|_| "the key must be 64 hex characters".to_string())?;
        if bytes.len() != 32 {
            return Err("the key must be 64 hex characters (32 bytes)".into());
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| "cannot seal the secret".to_string())?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        if sealed.len() <= NONCE_BYTES {
            return Err("sealed secret too short".into());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| "the sealed secret does not open with this key".into())
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
