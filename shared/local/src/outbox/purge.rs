//! Removing purged batches' texts from the outbox without moving a byte:
//! each of their lines is overwritten in place with spaces (its newline
//! kept). The receipt feed and a running `batchmsg` read the outbox by byte
//! offset and append to its end, so rewriting the file shorter would break
//! them; overwriting keeps every offset, and a blank line is skipped.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::{OUTBOX_FILE, OutboxLine};

/// Blanks every whole line of the outbox in `data_dir` whose batch is one of
/// `batches`; how many. No outbox: nothing to do.
pub fn blank_batches(data_dir: &Path, batches: &HashSet<&str>) -> io::Result<u64> {
    let path = data_dir.join(OUTBOX_FILE);
    let file = match crate::owner_only::options()
        .read(true)
        .write(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    let mut reader = BufReader::with_capacity(1 << 20, &file);
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut blank = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break; // the end, or a line still being written
        }
        let content = &line[..line.len() - 1];
        if serde_json::from_slice::<OutboxLine>(content)
            .is_ok_and(|text| batches.contains(text.batch.as_ref()))
        {
            blank.push((offset, content.len()));
        }
        offset += read as u64;
    }
    for &(at, len) in &blank {
        write_at(&file, &vec![b' '; len], at)?;
    }
    file.sync_data()?;
    Ok(blank.len() as u64)
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(at))?;
    file.write_all(bytes)
}
