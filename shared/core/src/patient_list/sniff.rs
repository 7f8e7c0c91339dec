//! What an uploaded file is, from its first bytes.

/// The first bytes are enough to tell a format and a delimiter.
pub(super) const SNIFF_LEN: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8; any cell that is not valid UTF-8 is read as Windows-1252, which
    /// is what Excel writes for "CSV (Comma delimited)".
    Utf8OrWindows1252,
    Utf16Le,
    Utf16Be,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sniffed {
    Text(TextEncoding),
    /// xlsx, xlsm, xlsb, ods (zip) or xls (OLE): read with calamine.
    Spreadsheet,
    NotAList(&'static str),
}

const SIGNATURES: [(&[u8], &str); 10] = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
];

pub(super) fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Sniffed::Spreadsheet;
    }
    if head.starts_with(b"\xff\xfe") {
        return Sniffed::Text(TextEncoding::Utf16Le);
    }
    if head.starts_with(b"\xfe\xff") {
        return Sniffed::Text(TextEncoding::Utf16Be);
    }
    if let Some((_, what)) = SIGNATURES.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Sniffed::NotAList(what);
    }
    if let Some(encoding) = bomless_utf16(head) {
        return Sniffed::Text(encoding);
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    if head.contains(&0) || control * 100 > head.len().max(1) {
        return Sniffed::NotAList("a binary file, not text");
    }
    Sniffed::Text(TextEncoding::Utf8OrWindows1252)
}

/// The encoding of a short text file read whole (the opted-out list), and
/// its text: UTF-16 with or without a byte-order mark, else UTF-8 (its BOM
/// dropped), else Windows-1252.
pub(crate) fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
    let utf16 = if bytes.starts_with(b"\xff\xfe") {
        Some(UTF_16LE)
    } else if bytes.starts_with(b"\xfe\xff") {
        Some(UTF_16BE)
    } else {
        match bomless_utf16(&bytes[..bytes.len().min(SNIFF_LEN)]) {
            Some(TextEncoding::Utf16Le) => Some(UTF_16LE),
            Some(TextEncoding::Utf16Be) => Some(UTF_16BE),
            _ => None,
        }
    };
    if let Some(utf16) = utf16 {
        return utf16.decode_with_bom_removal(bytes).0;
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// UTF-16 without a byte-order mark: ASCII text with every other byte zero.
fn bomless_utf16(head: &[u8]) -> Option<TextEncoding> {
    let pairs = head.len() / 2;
    if pairs < 8 {
        return None;
    }
    let zero_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 9 && even == 0 {
        Some(TextEncoding::Utf16Le)
    } else if even * 10 >= pairs * 9 && odd == 0 {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// The delimiter: comma unless semicolons or tabs win on the first line that
/// has any of the three (Excel in some locales, and "Text (Tab delimited)").
/// A title line above the header usually has none, so it does not decide.
pub(super) fn delimiter(head: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    for line in head.split(|&b| b == b'\n') {
        let mut counts = [0usize; 3];
        let mut in_quotes = false;
        for &b in line {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if !in_quotes && let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
        let (most, best) =
            (0..3)
                .map(|i| (counts[i], CANDIDATES[i]))
                .fold(
                    (0, b','),
                    |best, this| {
                        if this.0 > best.0 { this } else { best }
                    },
                );
        if most > 0 {
            return best;
        }
    }
    b','
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_formats_apart() {
        assert_eq!(
            sniff(b"NHS Number,Mobile\r\n"),
            Sniffed::Text(TextEncoding::Utf8OrWindows1252)
        );
        assert_eq!(
            sniff(b"\xef\xbb\xbfNHS"),
            Sniffed::Text(TextEncoding::Utf8OrWindows1252)
        );
        assert_eq!(
            sniff(b"\xff\xfeN\0H\0"),
            Sniffed::Text(TextEncoding::Utf16Le)
        );
        assert_eq!(
            sniff(b"\xfe\xff\0N\0H"),
            Sniffed::Text(TextEncoding::Utf16Be)
        );
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Spreadsheet);
        assert_eq!(sniff(b"%PDF-1.7"), Sniffed::NotAList("a PDF document"));
        assert_eq!(
            sniff(b"abc\0\x01\x02def"),
            Sniffed::NotAList("a binary file, not text")
        );
        let utf16: Vec<u8> = "NHS Number,Mobile".bytes().flat_map(|b| [b, 0]).collect();
        assert_eq!(sniff(&utf16), Sniffed::Text(TextEncoding::Utf16Le));
    }

    #[test]
    fn finds_the_delimiter_of_the_header() {
        assert_eq!(delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(delimiter(b"\r\na;b;c\n"), b';');
        assert_eq!(delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(delimiter(b"\"a;b\",c"), b',');
        assert_eq!(delimiter(b"single"), b',');
        assert_eq!(delimiter(b"Flu recall list\nNHS;Mobile;DOB\n1;2;3\n"), b';');
    }
}
