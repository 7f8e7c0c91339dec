//! Keeps blank lines visible to the row count.
//!
//! The CSV parser skips empty lines without a trace, but a spreadsheet shows
//! each as a row, and the row numbers we report must match what the person
//! sees. This reader puts a single space on each empty line outside quotes,
//! so the parser yields it as a (blank) record and every record is one row.
//!
//! Following quotes as the parser does, it also catches a quote that is never
//! closed, which would otherwise turn the rest of the file into one cell.

use std::io::{self, Read};

/// No real cell is this long; a quoted one that is has lost its closing quote.
const MAX_QUOTED_CELL: u64 = 64 * 1024;

/// Row `row` opens a quoted cell that never closes.
#[derive(Debug, thiserror::Error)]
#[error("row {row} has a quote that is never closed")]
pub(super) struct UnclosedQuote {
    pub(super) row: u64,
}

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
    /// Bytes read so far, and where the open quoted cell began.
    offset: u64,
    quote_opened_at: u64,
    /// Line ends outside quotes so far: the row being read is one more.
    rows_ended: u64,
    row_of_open_quote: u64,
    /// A line end was met inside a quoted cell: until then no record can
    /// span lines, which spares looking for one.
    line_end_in_quotes: bool,
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
            offset: 0,
            quote_opened_at: 0,
            rows_ended: 0,
            row_of_open_quote: 0,
            line_end_in_quotes: false,
        }
    }

    fn unclosed_quote(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            UnclosedQuote {
                row: self.row_of_open_quote,
            },
        )
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 32 * 1024];
        let n = self.inner.read(&mut chunk)?;
        if n == 0 && self.in_quotes && !self.quote_in_quotes {
            return Err(self.unclosed_quote());
        }
        self.pending.clear();
        self.pending_at = 0;
        let chunk_start = self.offset;
        self.offset += n as u64;
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
                    if self.in_quotes {
                        self.quote_opened_at = chunk_start + (n - rest.len() + at) as u64;
                        self.row_of_open_quote = self.rows_ended + 1;
                    }
                    self.at_line_start = false;
                }
                b'\n' | b'\r' if !self.in_quotes => {
                    let crlf = byte == b'\n' && self.previous == b'\r';
                    if self.at_line_start && !crlf {
                        self.pending.push(b' ');
                    }
                    if !crlf {
                        self.rows_ended += 1;
                    }
                    self.at_line_start = true;
                }
                b'\n' | b'\r' => {
                    self.line_end_in_quotes = true;
                    self.at_line_start = false;
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
        if self.in_quotes && self.offset - self.quote_opened_at > MAX_QUOTED_CELL {
            return Err(self.unclosed_quote());
        }
        Ok(())
    }

    /// Whether any quoted cell read so far (the parser reads ahead) spans lines.
    pub(super) fn line_end_in_quotes(&self) -> bool {
        self.line_end_in_quotes
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

    fn unclosed_row(input: &[u8]) -> Option<u64> {
        let mut out = Vec::new();
        let error = MarkBlankLines::new(input, b',')
            .read_to_end(&mut out)
            .err()?;
        Some(error.get_ref()?.downcast_ref::<UnclosedQuote>()?.row)
    }

    #[test]
    fn a_quote_never_closed_is_caught_with_its_row() {
        assert_eq!(unclosed_row(b"h\r\n\r\na,\"b\r\nc\r\n"), Some(3));
        let mut long = b"h\n\"x\n".to_vec();
        long.extend(std::iter::repeat_n(b'y', 100_000));
        long.extend(b"\"\n");
        assert_eq!(
            unclosed_row(&long),
            Some(2),
            "a 100 kB cell is not a real cell"
        );
        assert_eq!(unclosed_row(b"h\n\"a\nb\",\"\"\"c\"\n"), None);
        assert_eq!(
            unclosed_row(b"h\nO\"Brien,x\n"),
            None,
            "a quote inside a field is a character"
        );
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
