use super::*;

#[test]
fn control_characters_and_direction_overrides_are_shown_escaped() {
    let cases = [
        ("Dear Ann", "Dear Ann"),
        ("Zoë O’Brien", "Zoë O’Brien"),
        ("\u{1b}[2J\u{1b}[31mAnn", "\\u{1b}[2J\\u{1b}[31mAnn"),
        ("bell\u{7}", "bell\\u{7}"),
        ("del\u{7f}", "del\\u{7f}"),
        ("csi\u{9b}2J", "csi\\u{9b}2J"),
        ("a\rb", "a\\u{d}b"),
        ("tab\t", "tab\\u{9}"),
        ("at \u{202e}10:30", "at \\u{202e}10:30"),
        ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
        ("mark\u{200f}", "mark\\u{200f}"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
    ];
    for (text, shown) in cases {
        assert_eq!(printable(text), shown, "{text:?}");
    }
}

#[test]
fn lines_are_split_before_escaping() {
    let lines: Vec<_> = printable_lines("one\r\ntwo\u{1b}\nthree").collect();
    assert_eq!(lines, ["one", "two\\u{1b}", "three"]);
}

#[test]
fn nothing_printed_holds_a_raw_control() {
    let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
    let shown = printable(&all);
    assert!(!shown.chars().any(|c| c.is_control() || needs_escape(c)));
}
