//! Keeps blank lines visible to the row count.
//!
//! The CSV parser skips empty lines without a trace, but a spreadsheet shows
//! each as a row, and the row numbers we report must match what the person
//! sees. This reader puts a single space on each empty line outside quotes,
//! so the parser yields it as a (blank) record and every record is one row.

use std::io::{self, Read};

pub(super) struct MarkBlankLines<R> {
    inner: R,
    pending: Vec<u8>,
    pending_at: usize,
    in_quotes: bool,
    at_line_start: bool,
}

impl<R: Read> MarkBlankLines<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            pending: Vec::with_capacity(64 * 1024),
            pending_at: 0,
            in_quotes: false,
            at_line_start: true,
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
                self.at_line_start = false;
            }
            self.pending.extend_from_slice(&rest[..at]);
            let byte = rest[at];
            match byte {
                b'"' => {
                    self.in_quotes = !self.in_quotes;
                    self.at_line_start = false;
                }
                b'\n' | b'\r' if !self.in_quotes => {
                    if self.at_line_start {
                        self.pending.push(b' ');
                    }
                    self.at_line_start = byte == b'\n';
                }
                _ => self.at_line_start = false,
            }
            self.pending.push(byte);
            rest = &rest[at + 1..];
        }
        if !rest.is_empty() {
            self.at_line_start = false;
            self.pending.extend_from_slice(rest);
        }
        Ok(())
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
        MarkBlankLines::new(input)
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
