//! How bytes, times and problems are printed.

use std::fmt::Write;

/// How `dump` prints an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Quoted text when the bytes are valid UTF-8, else hex.
    Auto,
    Text,
    Hex,
}

pub fn bytes(bytes: &[u8], format: Format) -> String {
    match format {
        Format::Auto if std::str::from_utf8(bytes).is_ok() => quoted(bytes),
        Format::Text => quoted(bytes),
        Format::Auto | Format::Hex => hex(bytes),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// `bytes` between double quotes: `\\`, `\"`, `\n`, `\r`, `\t`, `\0`, `\u{..}` for other
/// control characters, `\xNN` for bytes that are not UTF-8.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// Nanoseconds since the Unix epoch as a UTC date and time, e.g.
/// `2024-02-29T13:45:00.000000001Z`.
pub fn utc(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let (days, day_secs) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        nanos % 1_000_000_000
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_and_escaped_and_binary_is_hex() {
        assert_eq!(
            bytes(b"a \"b\"\\\n\t\0\x07", Format::Auto),
            r#""a \"b\"\\\n\t\0\u{7}""#
        );
        assert_eq!(bytes("héllo".as_bytes(), Format::Auto), "\"héllo\"");
        assert_eq!(bytes(&[0xff, 0x00, 0x41], Format::Auto), "ff0041");
        assert_eq!(bytes(&[0x41, 0xff], Format::Text), "\"A\\xff\"");
        assert_eq!(bytes(b"AB", Format::Hex), "4142");
        assert_eq!(bytes(b"", Format::Auto), "\"\"");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            utc(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
        assert_eq!(
            utc(1_709_214_300_123_000_000),
            "2024-02-29T13:45:00.123000000Z"
        );
    }
}
