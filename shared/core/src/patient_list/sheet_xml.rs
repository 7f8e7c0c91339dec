//! What calamine does not tell about a worksheet, read from its XML: hidden
//! rows (hidden by hand, or filtered out by an AutoFilter, which Excel and
//! LibreOffice write the same way, or given a height of 0), hidden columns
//! (or of width 0: they cannot be seen either), merged cells, and for
//! xlsx/xlsm each cell's style id so its value can be written as its number
//! format shows it. One streaming pass; nothing per cell is kept.

use std::io::{BufReader, Read, Seek};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

/// A rectangle of cells, 0-based and inclusive, as (row, column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Area {
    pub start: (u32, u32),
    pub end: (u32, u32),
}

/// A worksheet's structure, in absolute 0-based positions.
#[derive(Debug, Default)]
pub(super) struct Structure {
    /// Sorted.
    pub hidden_rows: Vec<u32>,
    /// Inclusive column ranges.
    pub hidden_columns: Vec<(u32, u32)>,
    pub merged: Vec<Area>,
}

impl Structure {
    pub(super) fn row_hidden(&self, row: u32) -> bool {
        self.hidden_rows.binary_search(&row).is_ok()
    }

    pub(super) fn column_hidden(&self, column: u32) -> bool {
        self.hidden_columns
            .iter()
            .any(|&(first, last)| (first..=last).contains(&column))
    }
}

#[derive(Debug)]
pub(super) struct Unreadable;

/// Reads the structure of the worksheet named `sheet`; `styled` is called
/// for each cell with a style id (row, column, id).
pub(super) fn read_structure<R: Read + Seek>(
    zip: R,
    sheet: &str,
    mut styled: impl FnMut(u32, u32, usize),
) -> Result<Structure, Unreadable> {
    let mut zip = ZipArchive::new(zip).map_err(|_| Unreadable)?;
    let path = sheet_path(&mut zip, sheet).ok_or(Unreadable)?;
    let file = zip.by_name(&path).map_err(|_| Unreadable)?;
    let mut xml = Reader::from_reader(BufReader::with_capacity(64 * 1024, file));
    xml.config_mut().check_end_names = false;
    let mut structure = Structure::default();
    let mut buf = Vec::new();
    let (mut row, mut column) = (0u32, 0u32);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|_| Unreadable)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "row" => {
                    // Once per row: one pass over the attributes, no allocation.
                    let (mut hidden, mut height) = (false, None);
                    for a in e.attributes().with_checks(false).flatten() {
                        let value: &str = &a.value;
                        match a.key.local_name().as_ref() {
                            "r" => {
                                if let Some(r) = number(value) {
                                    row = r.saturating_sub(1);
                                }
                            }
                            "hidden" => hidden = is_true(value),
                            "ht" => height = value.trim().parse::<f64>().ok(),
                            _ => {}
                        }
                    }
                    column = 0;
                    // A row of height 0 shows nothing, as a hidden one. (A
                    // sheet's `zeroHeight` hides only the rows it does not
                    // write, which hold no cells.)
                    if hidden || height.is_some_and(|h| h <= 0.0) {
                        structure.hidden_rows.push(row);
                    }
                }
                "c" => {
                    // The hot path: one pass over the attributes, no allocation.
                    let (mut position, mut style) = (None, None);
                    for a in e.attributes().with_checks(false).flatten() {
                        match a.key.local_name().as_ref() {
                            "r" => position = cell_position(&a.value),
                            "s" => style = number(&a.value),
                            _ => {}
                        }
                    }
                    if let Some((r, c)) = position {
                        (row, column) = (r, c);
                    }
                    if let Some(id) = style {
                        styled(row, column, id as usize);
                    }
                    column += 1;
                }
                "col"
                    if attribute(&e, "hidden").is_some_and(|v| is_true(&v))
                        || attribute(&e, "width")
                            .and_then(|v| v.trim().parse::<f64>().ok())
                            .is_some_and(|width| width <= 0.0) =>
                {
                    let min = attribute(&e, "min").and_then(|v| number(&v));
                    let max = attribute(&e, "max").and_then(|v| number(&v));
                    if let (Some(min), Some(max)) = (min, max) {
                        structure
                            .hidden_columns
                            .push((min.saturating_sub(1), max.saturating_sub(1)));
                    }
                }
                "mergeCell" => {
                    if let Some(area) = attribute(&e, "ref").and_then(|r| area(&r)) {
                        structure.merged.push(area);
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "row" => {
                row += 1;
                column = 0;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    structure.hidden_rows.sort_unstable();
    structure.hidden_rows.dedup();
    Ok(structure)
}

/// The table named `sheet` in an OpenDocument spreadsheet's content.xml: rows and
/// columns with `table:visibility` "collapse" (hidden) or "filter"
/// (filtered out), and cells spanning several columns.
pub(super) fn read_ods_structure<R: Read + Seek>(
    zip: R,
    sheet: &str,
) -> Result<Structure, Unreadable> {
    let mut zip = ZipArchive::new(zip).map_err(|_| Unreadable)?;
    let file = zip.by_name("content.xml").map_err(|_| Unreadable)?;
    let mut xml = Reader::from_reader(BufReader::with_capacity(64 * 1024, file));
    let mut structure = Structure::default();
    let mut buf = Vec::new();
    let (mut row, mut column, mut table_column) = (0u32, 0u32, 0u32);
    // How many rows the row being read stands for.
    let mut row_repeats = 1u32;
    let mut in_table = false;
    let hidden = |e: &BytesStart<'_>| {
        attribute(e, "visibility").is_some_and(|v| v == "collapse" || v == "filter")
    };
    let count = |e: &BytesStart<'_>, name: &str| {
        attribute(e, name)
            .and_then(|v| number(&v))
            .unwrap_or(1)
            .max(1)
    };
    loop {
        buf.clear();
        let (e, empty) = match xml.read_event_into(&mut buf).map_err(|_| Unreadable)? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) if in_table && e.local_name().as_ref() == "table-row" => {
                row = row.saturating_add(row_repeats);
                continue;
            }
            Event::End(e) if in_table && e.local_name().as_ref() == "table" => break,
            Event::Eof => break,
            _ => continue,
        };
        match e.local_name().as_ref() {
            "table" => in_table = attribute(&e, "name").as_deref() == Some(sheet),
            "table-column" if in_table => {
                let repeats = count(&e, "number-columns-repeated");
                if hidden(&e) {
                    let last = table_column.saturating_add(repeats - 1);
                    structure.hidden_columns.push((table_column, last));
                }
                table_column = table_column.saturating_add(repeats);
            }
            "table-row" if in_table => {
                row_repeats = count(&e, "number-rows-repeated");
                if hidden(&e) {
                    // Hidden empty rows repeated to the sheet's end hold no
                    // patient: a bounded number is plenty.
                    let rows = row..row.saturating_add(row_repeats);
                    structure.hidden_rows.extend(rows.take(1 << 16));
                }
                column = 0;
                if empty {
                    row = row.saturating_add(row_repeats);
                }
            }
            "table-cell" | "covered-table-cell" if in_table => {
                let columns = count(&e, "number-columns-spanned");
                let rows = count(&e, "number-rows-spanned");
                if columns > 1 || rows > 1 {
                    structure.merged.push(Area {
                        start: (row, column),
                        end: (row + rows - 1, column + columns - 1),
                    });
                }
                column = column.saturating_add(count(&e, "number-columns-repeated"));
            }
            _ => {}
        }
    }
    structure.hidden_rows.sort_unstable();
    structure.hidden_rows.dedup();
    Ok(structure)
}

/// The file of the `<sheet>` named `name` in workbook.xml, found through its
/// relationship (the first sheet's file is not always sheet1.xml).
fn sheet_path<R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str) -> Option<String> {
    let workbook = read_entry(zip, "xl/workbook.xml")?;
    let mut xml = Reader::from_reader(workbook.as_slice());
    let mut buf = Vec::new();
    let id = loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "sheet"
                    && attribute(&e, "name").as_deref() == Some(name) =>
            {
                break attribute(&e, "id")?;
            }
            Event::Eof => return None,
            _ => {}
        }
    };
    let rels = read_entry(zip, "xl/_rels/workbook.xml.rels")?;
    let mut xml = Reader::from_reader(rels.as_slice());
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "Relationship"
                    && attribute(&e, "Id").as_deref() == Some(id.as_str()) =>
            {
                let target = attribute(&e, "Target")?;
                return Some(match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_owned(),
                    None => format!("xl/{target}"),
                });
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn read_entry<R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str) -> Option<Vec<u8>> {
    let mut file = zip.by_name(name).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// An attribute by its local name (`r:id` is `id`), unescaped.
fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            quick_xml::escape::unescape(&a.value)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn is_true(value: &str) -> bool {
    value == "1" || value.eq_ignore_ascii_case("true")
}

fn number(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// "B5" → (4, 1).
fn cell_position(reference: &str) -> Option<(u32, u32)> {
    let reference = reference.trim_start_matches('$');
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    let letters = letters.trim_end_matches('$');
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let column = letters.bytes().try_fold(0u32, |n, b| {
        n.checked_mul(26)?
            .checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1)
    })?;
    Some((number(digits)?.checked_sub(1)?, column - 1))
}

/// "A1:C2" → rows 0..=1, columns 0..=2.
fn area(reference: &str) -> Option<Area> {
    let (start, end) = reference.split_once(':').unwrap_or((reference, reference));
    Some(Area {
        start: cell_position(start)?,
        end: cell_position(end)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_are_read_as_positions() {
        assert_eq!(cell_position("A1"), Some((0, 0)));
        assert_eq!(cell_position("B5"), Some((4, 1)));
        assert_eq!(cell_position("AA10"), Some((9, 26)));
        assert_eq!(cell_position("$C$3"), Some((2, 2)));
        assert_eq!(cell_position("5"), None);
        assert_eq!(
            area("C1:E1"),
            Some(Area {
                start: (0, 2),
                end: (0, 4)
            })
        );
    }
}
