//! Mattermost-format identifiers: 26 characters of base32 over the alphabet
//! `ybndrfg8ejkmcpqxot1uwisza345h769`, no padding.

const ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// Base32 without padding over any 32-symbol alphabet: a trailing partial group is shifted
/// left, as RFC 4648 does.
pub fn base32(bytes: &[u8], alphabet: &[u8; 32]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(alphabet[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(alphabet[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Encodes 16 bytes as a 26-character id.
pub fn encode(bytes: &[u8; 16]) -> String {
    base32(bytes, ALPHABET)
}

/// A new entity id. UUIDv7 bytes keep new rows at the end of B-tree indexes.
pub fn new_id() -> String {
    encode(uuid::Uuid::now_v7().as_bytes())
}

/// A new unguessable id for secrets (session tokens, PATs, CSRF tokens): fully random bytes,
/// because a time-ordered id leaks its creation time and has fewer random bits.
pub fn new_random_id() -> String {
    encode(uuid::Uuid::new_v4().as_bytes())
}

/// Mattermost's `IsValidId`: exactly 26 ASCII letters or digits.
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_chars_of_the_alphabet() {
        for _ in 0..1000 {
            let id = new_id();
            assert_eq!(id.len(), 26);
            assert!(id.bytes().all(|b| ALPHABET.contains(&b)), "{id}");
            assert!(is_valid_id(&id));
        }
    }

    #[test]
    fn encoding_matches_known_vectors() {
        assert_eq!(encode(&[0; 16]), "yyyyyyyyyyyyyyyyyyyyyyyyyy");
        assert_eq!(encode(&[0xff; 16]), "9".repeat(25) + "h");
        let mut one = [0u8; 16];
        one[0] = 0b0000_1000;
        assert_eq!(encode(&one), "by".to_string() + &"y".repeat(24));
    }

    #[test]
    fn v7_ids_sort_by_creation() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        // The alphabet is not in ASCII order, so compare decoded positions.
        let rank = |s: &str| -> Vec<usize> {
            s.bytes()
                .map(|c| ALPHABET.iter().position(|&x| x == c).unwrap())
                .collect()
        };
        assert!(rank(&a) < rank(&b));
    }

    #[test]
    fn validation_rejects_wrong_shapes() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("short"));
        assert!(!is_valid_id(&"a".repeat(27)));
        assert!(!is_valid_id(&format!("{}-", "a".repeat(25))));
        assert!(is_valid_id(&"a".repeat(26)));
    }
}
