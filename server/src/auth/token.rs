//! Bearer tokens: 256 random bits, shown to the client once, stored only as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::db::tokens::TokenHash;

/// A new token: the text for the client and the hash for the database.
pub fn generate() -> (String, TokenHash) {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let text = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&text);
    (text, hash)
}

pub fn hash(text: &str) -> TokenHash {
    Sha256::digest(text.as_bytes()).into()
}

/// Compares two secrets in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (hash(a), hash(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_hash_deterministically() {
        let (text, stored) = generate();
        assert_eq!(URL_SAFE_NO_PAD.decode(&text).unwrap().len(), 32);
        assert_eq!(hash(&text), stored);
        assert_ne!(generate().0, text);
        assert!(secrets_equal(&text, &text));
        assert!(!secrets_equal(&text, "other"));
    }
}
