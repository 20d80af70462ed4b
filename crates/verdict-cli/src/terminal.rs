//! Text from the data made safe for a terminal or a CI log. Labels, ids, paths and provider
//! messages come from files a model or a user wrote: an escape sequence in one would retitle
//! or clear the window, a carriage return would overwrite a line with "all gates passed", and
//! a line starting with `::` is a GitHub Actions workflow command (`::error::`). Everything
//! verdict prints passes through [`safe`]; none of its own text needs a control character or
//! starts a line with `::`.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character but the line break written as a visible escape
/// (`\x1b`, `\r`, `\u{85}`) and every line that would start with `::` indented by a space.
pub fn safe(text: &str) -> Cow<'_, str> {
    let needs = text.chars().any(|c| c.is_control() && c != '\n')
        || text.starts_with("::")
        || text.contains("\n::");
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if line_start && c == ':' && chars.peek() == Some(&':') {
            out.push(' ');
        }
        line_start = c == '\n';
        match c {
            '\n' => out.push('\n'),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_unchanged() {
        let text = "verdict: warning: 2 request(s) failed (first: p.jsonl:3: rate limited)\n  FG_MAKE  0.9\n";
        assert!(matches!(safe(text), Cow::Borrowed(_)));
    }

    #[test]
    fn control_characters_and_workflow_commands_are_defused() {
        assert_eq!(safe("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(safe("bad\rall gates passed"), "bad\\rall gates passed");
        assert_eq!(safe("x\u{85}y\u{9b}2J"), "x\\u{85}y\\u{9b}2J");
        assert_eq!(safe("label\n::error::pwned"), "label\n ::error::pwned");
        assert_eq!(safe("::warning::x\n"), " ::warning::x\n");
        assert_eq!(safe("a :: b"), "a :: b");
        assert_eq!(safe("tab\there"), "tab\\there");
    }
}
