//! Appending text to a reusable row buffer without allocating.

/// Appends `value` in decimal, zero-padded to at least `width` digits.
pub(crate) fn push_number(buf: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut rest = value;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = start.min(digits.len() - width.min(digits.len()));
    buf.extend_from_slice(&digits[start..]);
}

/// Appends `field` as one CSV cell, quoted only when it has to be (a comma,
/// a quote or a line break), with quotes doubled.
pub(crate) fn push_csv_field(buf: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        buf.extend_from_slice(field);
        return;
    }
    buf.push(b'"');
    for &b in field {
        if b == b'"' {
            buf.push(b'"');
        }
        buf.push(b);
    }
    buf.push(b'"');
}

/// Appends `text` in upper case (Unicode-aware: `Núñez` becomes `NÚÑEZ`).
pub(crate) fn push_uppercase(buf: &mut Vec<u8>, text: &str) {
    if text.is_ascii() {
        buf.extend(text.bytes().map(|b| b.to_ascii_uppercase()));
        return;
    }
    let mut utf8 = [0u8; 4];
    for upper in text.chars().flat_map(char::to_uppercase) {
        buf.extend_from_slice(upper.encode_utf8(&mut utf8).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: u64, width: usize) -> String {
        let mut buf = Vec::new();
        push_number(&mut buf, value, width);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn numbers_are_zero_padded_to_the_width() {
        assert_eq!(number(7, 2), "07");
        assert_eq!(number(0, 3), "000");
        assert_eq!(number(1984, 2), "1984");
        assert_eq!(number(9_991_234_567, 10), "9991234567");
        assert_eq!(number(u64::MAX, 1), u64::MAX.to_string());
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut buf = Vec::new();
        push_csv_field(&mut buf, b"Joe Bloggs");
        buf.push(b'|');
        push_csv_field(&mut buf, b"BLOGGS, Joe");
        buf.push(b'|');
        push_csv_field(&mut buf, br#"Robert "Bob" Smith"#);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"Joe Bloggs|"BLOGGS, Joe"|"Robert ""Bob"" Smith""#
        );
    }

    #[test]
    fn upper_case_handles_non_ascii() {
        let mut buf = Vec::new();
        push_uppercase(&mut buf, "Núñez");
        push_uppercase(&mut buf, " O'Brien");
        assert_eq!(String::from_utf8(buf).unwrap(), "NÚÑEZ O'BRIEN");
    }
}
