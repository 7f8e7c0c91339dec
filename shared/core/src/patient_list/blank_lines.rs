//! Keeps blank lines visible to the row count.
//!
//! The CSV parser skips empty lines without a trace, but a spreadsheet shows
//! each as a row, and the row numbers we report must match what the person
//! sees. This reader puts a single space on each empty line outside quotes,
//! so the parser yields it as a (blank) record and every record is one row.

use std::io::{self, Read};

pub(super) struct MarkBlankLines<R> {
    inner: R,
    delimiter: u8,
    pending: Vec<u8>,
    pending_at: usize,
    /// Inside a quoted field, as the CSV parser sees it: a quote opens one
    /// only at the start of a field; elsewhere it is an ordinary character.
    in_quotes: bool,
    /// The last byte was a quote inside a quoted field: it closes the field
    /// unless the next byte is a quote too (`""`, an escaped quote).
    quote_in_quotes: bool,
    at_line_start: bool,
    /// The byte before the one being looked at (a CR before LF is one line end).
    previous: u8,
}

impl<R: Read> MarkBlankLines<R> {
    pub(super) fn new(inner: R, delimiter: u8) -> Self {
        Self {
            inner,
            delimiter,
            pending: Vec::with_capacity(64 * 1024),
            pending_at: 0,
            in_quotes: false,
            quote_in_quotes: false,
            at_line_start: true,
            previous: b'\n',
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 32 * 1024];
        let n = self.inner.read(&mut chunk)?;
        self.pending.clear();
        self.pending_at = 0;
        let mut rest = &chunk[..n];
        while let Some(at) = memchr::memchr3(b'"', b'\n', b'\r', rest) {
            if at > 0 {
                self.after_ordinary_bytes(rest[at - 1]);
            }
            self.pending.extend_from_slice(&rest[..at]);
            let byte = rest[at];
            let after_quote_in_quotes = std::mem::take(&mut self.quote_in_quotes);
            if after_quote_in_quotes && byte != b'"' {
                self.in_quotes = false;
            }
            match byte {
                b'"' if after_quote_in_quotes => {} // the second quote of `""`
                b'"' if self.in_quotes => self.quote_in_quotes = true,
                b'"' => {
                    self.in_quotes = self.at_line_start || self.previous == self.delimiter;
                    self.at_line_start = false;
                }
                b'\n' | b'\r' if !self.in_quotes => {
                    let crlf = byte == b'\n' && self.previous == b'\r';
                    if self.at_line_start && !crlf {
                        self.pending.push(b' ');
                    }
                    self.at_line_start = true;
                }
                _ => self.at_line_start = false,
            }
            self.previous = byte;
            self.pending.push(byte);
            rest = &rest[at + 1..];
        }
        if let Some(&last) = rest.last() {
            self.after_ordinary_bytes(last);
            self.pending.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Bytes other than quotes and line ends were passed, `last` the last of them.
    fn after_ordinary_bytes(&mut self, last: u8) {
        self.at_line_start = false;
        if std::mem::take(&mut self.quote_in_quotes) {
            self.in_quotes = false;
        }
        self.previous = last;
    }
}

impl<R: Read> Read for MarkBlankLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending_at == self.pending.len() {
            self.refill()?;
        }
        let available = &self.pending[self.pending_at..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pending_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(input: &[u8]) -> String {
        let mut out = String::new();
        MarkBlankLines::new(input, b',')
            .read_to_string(&mut out)
            .expect("reads");
        out
    }

    #[test]
    fn marks_empty_lines_only_outside_quotes() {
        assert_eq!(marked(b"a\r\n\r\nb\n\nc\n"), "a\r\n \r\nb\n \nc\n");
        assert_eq!(marked(b"\"x\n\ny\"\n\n"), "\"x\n\ny\"\n \n");
        assert_eq!(marked(b"\nh\n"), " \nh\n");
        assert_eq!(marked(b"a,b\r\nc,d\r\n"), "a,b\r\nc,d\r\n");
    }

    #[test]
    fn works_across_chunk_boundaries() {
        let mut input = vec![b'x'; 32 * 1024 - 1];
        input.extend_from_slice(b"\n\n\ny\n");
        let out = marked(&input);
        assert!(out.ends_with("x\n \n \ny\n"));
    }
}
