//! Reversible mapping from stream names to directory names.
//!
//! - A name of bytes `[A-Za-z0-9_.-]` not starting with `.` is its own directory,
//!   unless it is the name of a root file of a sharded WAL (`is_reserved`).
//! - Otherwise every other byte (and a leading `.`, or the first byte of a reserved
//!   name) becomes `%XX` (upper-case hex).
//! - If that is longer than 255 bytes, the directory is `~` + 16 hex digits of
//!   FNV-1a-64 + 8 hex digits of CRC32 of the name; the name itself is in every segment
//!   header, so it is still recovered from the segments.
//!
//! Plain and escaped directories never contain `~`, hashed ones always start with it,
//! so no two names share a directory, and no directory is `.`, `..`, or contains `/`.
//! Root-level files IronWal owns start with `.` or are reserved, and so never collide
//! with a stream.

use crate::{Error, Result};

pub(crate) const MAX_STREAM_NAME_LEN: usize = 255;
const MAX_DIR_NAME_LEN: usize = 255;

/// The root files of a sharded WAL; each is replaced through `<name>.tmp`.
const RESERVED: [&str; 3] = [
    crate::sharded::MANIFEST_FILE,
    crate::sharded::checkpoint_log::LOG_FILE,
    crate::sharded::checkpoint_log::HEAD_FILE,
];

fn is_reserved(name: &str) -> bool {
    let file = name.strip_suffix(".tmp").unwrap_or(name);
    RESERVED.contains(&file)
}

/// Checks that `name` can be stored.
pub(crate) fn validate(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidStreamName("stream name is empty".into()));
    }
    if name.len() > MAX_STREAM_NAME_LEN {
        return Err(Error::InvalidStreamName(format!(
            "stream name is {} bytes, at most {MAX_STREAM_NAME_LEN} are allowed",
            name.len()
        )));
    }
    Ok(())
}

fn is_plain(byte: u8, position: usize) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || (byte == b'.' && position > 0)
}

/// The directory name of a valid stream name.
pub(crate) fn encode(name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut dir = String::with_capacity(name.len());
    let reserved = is_reserved(name);
    for (i, &b) in name.as_bytes().iter().enumerate() {
        if is_plain(b, i) && !(reserved && i == 0) {
            dir.push(b as char);
        } else {
            dir.push('%');
            dir.push(HEX[(b >> 4) as usize] as char);
            dir.push(HEX[(b & 15) as usize] as char);
        }
    }
    if dir.len() <= MAX_DIR_NAME_LEN {
        dir
    } else {
        format!(
            "~{:016x}{:08x}",
            fnv1a64(name.as_bytes()),
            crc32fast::hash(name.as_bytes())
        )
    }
}

/// The stream name of a directory, when the directory name alone tells it (plain or
/// escaped). Hashed directories return `None`: their name is in the segment headers.
pub(crate) fn decode(dir: &str) -> Option<String> {
    if dir.starts_with('~') {
        return None;
    }
    let bytes = dir.as_bytes();
    let mut name = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            name.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            name.push(bytes[i]);
            i += 1;
        }
    }
    let name = String::from_utf8(name).ok()?;
    (validate(&name).is_ok() && encode(&name) == dir).then_some(name)
}

/// Whether `dir` has the form of a hashed directory (`~` and 24 hex digits); its
/// stream name is in its segment headers.
pub(crate) fn is_hashed(dir: &str) -> bool {
    dir.len() == 25 && dir.starts_with('~') && dir[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_their_own_directory() {
        assert_eq!(encode("user_123-ledger.v2"), "user_123-ledger.v2");
        assert_eq!(
            decode("user_123-ledger.v2").as_deref(),
            Some("user_123-ledger.v2")
        );
    }

    #[test]
    fn hostile_names_stay_inside_and_do_not_alias() {
        let names = [
            "a/b",
            "a_b",
            "a%2Fb",
            "..",
            ".",
            "../x",
            "/etc",
            ".hidden",
            "~x",
            "h\u{e9}llo w\u{f6}rld",
            "\0",
            "HEAD",
            "%48EAD",
            "MANIFEST",
            "checkpoints.log",
            "checkpoints.log.tmp",
        ];
        let dirs: Vec<String> = names.iter().map(|n| encode(n)).collect();
        for (name, dir) in names.iter().zip(&dirs) {
            assert!(
                !dir.contains('/') && !dir.starts_with('.') && !dir.is_empty(),
                "{dir}"
            );
            assert!(!is_reserved(dir), "{dir}");
            assert_eq!(decode(dir).as_deref(), Some(*name));
        }
        let mut unique = dirs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), dirs.len());
    }

    #[test]
    fn long_escaped_names_are_hashed() {
        let slashes = "/".repeat(255);
        let dir = encode(&slashes);
        assert!(is_hashed(&dir), "{dir}");
        assert_eq!(decode(&dir), None);
        assert_ne!(encode(&"/".repeat(254)), dir);
        assert_eq!(encode(&"x".repeat(255)), "x".repeat(255));
    }

    #[test]
    fn non_canonical_directories_are_not_streams() {
        assert_eq!(decode("%61"), None, "'a' is spelled 'a'");
        assert_eq!(decode("%2"), None);
        assert_eq!(decode(".lock"), None);
        assert_eq!(decode("HEAD"), None, "spelled %48EAD");
        assert_eq!(decode(""), None);
    }

    #[test]
    fn validation() {
        assert!(validate("").is_err());
        assert!(validate(&"a".repeat(256)).is_err());
        assert!(validate(&"a".repeat(255)).is_ok());
    }
}
