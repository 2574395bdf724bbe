//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as
//! authenticator apps and Mattermost use them, plus the QR code that enrols a device.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;

const STEP_SECONDS: u64 = 30;
const DIGITS: u32 = 6;
/// Steps accepted either side of now, for clock drift.
const WINDOW: i64 = 1;
const RFC4648: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new 160-bit secret, base32 without padding (32 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

pub fn base32_encode(bytes: &[u8]) -> String {
    conclave_model::id::base32(bytes, RFC4648)
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = RFC4648.iter().position(|&x| x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for one 30-second step.
pub fn code_at(secret: &[u8], step: u64) -> u32 {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// True when `code` (6 digits) matches the secret at `unix_seconds`, give or take one step.
pub fn verify(secret_b32: &str, code: &str, unix_seconds: u64) -> bool {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (Some(secret), Ok(wanted)) = (base32_decode(secret_b32), code.parse::<u32>()) else {
        return false;
    };
    let now = (unix_seconds / STEP_SECONDS) as i64;
    (-WINDOW..=WINDOW).any(|d| {
        let step = now + d;
        step >= 0 && code_at(&secret, step as u64) == wanted
    })
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn provisioning_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}",
        enc(issuer),
        enc(account),
        secret_b32,
        enc(issuer)
    )
}

/// A PNG of the QR code for `data`, base64-encoded as Mattermost's `qr_code` field carries it.
pub fn qr_png_base64(data: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| e.to_string())?;
    let modules = code.width();
    let (scale, quiet) = (6usize, 4usize);
    let size = (modules + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; size * size];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = (y + quiet) * scale + dy;
                    let start = row * size + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, size as u32, size as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(png_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA1 seed "12345678901234567890", truncated to 6 digits.
        let secret = b"12345678901234567890";
        let cases = [
            (59, 287082),
            (1111111109, 81804),
            (1111111111, 50471),
            (1234567890, 5924),
            (2000000000, 279037),
            (20000000000, 353130),
        ];
        for (t, expected) in cases {
            assert_eq!(code_at(secret, t / 30), expected, "t={t}");
        }
    }

    #[test]
    fn verify_accepts_adjacent_steps_only() {
        let secret = new_secret();
        let raw = base32_decode(&secret).unwrap();
        let t = 1_700_000_000u64;
        let code = |step: u64| format!("{:06}", code_at(&raw, step));
        assert!(verify(&secret, &code(t / 30), t));
        assert!(verify(&secret, &code(t / 30 - 1), t));
        assert!(verify(&secret, &code(t / 30 + 1), t));
        assert!(!verify(&secret, &code(t / 30 + 3), t));
        assert!(!verify(&secret, "12345", t));
        assert!(!verify(&secret, "abcdef", t));
    }

    #[test]
    fn base32_round_trip() {
        for len in 0..25 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn qr_code_is_a_png() {
        use base64::Engine;
        let b64 =
            qr_png_base64(&provisioning_uri("Conclave", "alice", "JBSWY3DPEHPK3PXP")).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
