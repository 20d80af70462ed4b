//! Text from the data, as messages quote it: an id, a key, a label or a cell can be a megabyte
//! long (a model or a pipeline wrote it), and an error or warning quoting it whole would be as
//! long, in a terminal and in a CI log. Every message that quotes input-controlled text does it
//! through these, so each quote shows at most [`QUOTED_CHARS`] characters and each list at most
//! [`QUOTED_ITEMS`] items, and says how much more there was.

use std::fmt;

/// The most characters of one text a message shows.
pub const QUOTED_CHARS: usize = 64;

/// The most items of one list a message shows.
pub const QUOTED_ITEMS: usize = 20;

/// `text` and whether it goes on past what is shown.
fn shown(text: &str) -> (&str, bool) {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// Text shown as it is (between backticks, say), cut after [`QUOTED_CHARS`] characters: see
/// [`plain`].
#[derive(Debug, Clone, Copy)]
pub struct Plain<'a>(&'a str);

/// `text` as it is when it has at most [`QUOTED_CHARS`] characters; else its first ones, then
/// `… (N bytes)` with the whole text's length.
pub fn plain(text: &str) -> Plain<'_> {
    Plain(text)
}

impl fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, cut) = shown(self.0);
        f.write_str(head)?;
        if cut {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// Text in double quotes with its escapes shown, cut after [`QUOTED_CHARS`] characters: see
/// [`quoted`].
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(&'a str);

/// `text` as `{:?}` quotes it (`"a\"b"`) when it has at most [`QUOTED_CHARS`] characters;
/// else its first ones quoted so, then `… (N bytes)` outside the quotes.
pub fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, cut) = shown(self.0);
        write!(f, "{head:?}")?;
        if cut {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// `items` joined by `, `: the first [`QUOTED_ITEMS`], then `, … (K more)` when there are
/// more. Each item is shown as given: bound it with [`plain`] or [`quoted`].
pub fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut out = String::new();
    let mut more = 0usize;
    for (i, item) in items.into_iter().enumerate() {
        if i >= QUOTED_ITEMS {
            more += 1;
            continue;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    if more > 0 {
        out.push_str(&format!(", … ({more} more)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_quoted_whole_as_before() {
        for text in ["", "FG_MAKE", "a\"b\\c\n", &"é".repeat(QUOTED_CHARS)] {
            assert_eq!(plain(text).to_string(), text);
            assert_eq!(quoted(text).to_string(), format!("{text:?}"));
        }
    }

    #[test]
    fn a_megabyte_is_cut_to_its_first_characters_and_its_length() {
        let mega = "x".repeat(1 << 20);
        let head = "x".repeat(QUOTED_CHARS);
        assert_eq!(plain(&mega).to_string(), format!("{head}… (1048576 bytes)"));
        assert_eq!(
            quoted(&mega).to_string(),
            format!("\"{head}\"… (1048576 bytes)")
        );
        // Cut between characters, never inside one; escapes show in full.
        let wide = "日\u{1b}".repeat(QUOTED_CHARS);
        let shown = quoted(&wide).to_string();
        assert!(
            shown.ends_with(&format!("… ({} bytes)", wide.len())),
            "{shown}"
        );
        assert_eq!(shown.matches('日').count(), QUOTED_CHARS / 2);
        assert_eq!(shown.matches("\\u{1b}").count(), QUOTED_CHARS / 2);
        assert!(plain(&wide).to_string().len() < 200);
    }

    #[test]
    fn lists_show_their_first_items_and_count_the_rest() {
        assert_eq!(list(["a", "b"]), "a, b");
        assert_eq!(list(Vec::<&str>::new()), "");
        let keys: Vec<String> = (0..QUOTED_ITEMS + 3).map(|i| format!("k{i}")).collect();
        let shown = list(keys.iter().map(|k| quoted(k)));
        assert!(shown.starts_with("\"k0\", \"k1\", "), "{shown}");
        assert!(shown.ends_with("\"k19\", … (3 more)"), "{shown}");
    }
}
