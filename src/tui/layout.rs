//! Sizes both `update` (paging) and `view` (drawing) agree on.

/// The smallest terminal the dashboard draws in. From 80x24 down to this it gives up columns and lines (see `view`);
/// 80x24 under tmux or screen with a status line is 80x23.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this height on the header has its second line, the system's figures.
const FIGURES_FROM: u16 = 20;

/// Lines above the table besides the header (the query line) and below it (status bar), plus the table's borders
/// and column header.
const CHROME: u16 = 1 + 1 + 3;

/// Lines of a code's details above its usage records: `view` draws them, `update` pages the records below.
pub const DETAIL_FACTS: u16 = 8;

pub fn fits((width, height): (u16, u16)) -> bool {
    width >= MIN_WIDTH && height >= MIN_HEIGHT
}

/// Lines of the header: the tabs and the system's state, then its figures where the height allows.
pub fn header_lines((_, height): (u16, u16)) -> u16 {
    if height >= FIGURES_FROM { 2 } else { 1 }
}

/// Rows of codes the table shows.
pub fn table_rows(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(CHROME + header_lines(size)).max(1)
}

/// The widest a text overlay (help, messages) is; it covers the main area's height.
pub const OVERLAY_WIDTH: u16 = 78;

/// The body of a text overlay at `size`: inside its borders, below its one heading line. `view::popup` places the
/// overlay: the main area's width when fewer than 8 columns would be left beside it.
pub fn overlay_body(size: (u16, u16)) -> (u16, u16) {
    let (width, height) = size;
    let main_height = height.saturating_sub(header_lines(size) + 1);
    let overlay_width = if width.saturating_sub(OVERLAY_WIDTH) < 8 { width } else { OVERLAY_WIDTH };
    (overlay_width.saturating_sub(2), main_height.saturating_sub(3))
}

/// How far a text overlay of `rows` rows scrolls: until its last row is at the bottom.
pub fn last_scroll(rows: usize, size: (u16, u16)) -> usize {
    rows.saturating_sub(usize::from(overlay_body(size).1))
}

/// `body` word-wrapped to rows of `width` after `head`, its further rows indented as far as `head` is long, so the
/// text stands in a column (the help's descriptions, the messages after their time). A word longer than a row is cut
/// across rows; where the indent leaves fewer than 10 cells, rows are as wide as that needs (and cut on screen).
pub fn hanging(head: &str, body: &str, width: usize) -> Vec<String> {
    let indent = head.chars().count();
    let width = width.max(indent + 10);
    let mut rows = vec![head.to_string()];
    let mut used = indent;
    for word in body.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while !word.is_empty() {
            let fresh = used == indent;
            let need = word.len() + usize::from(!fresh);
            let row = rows.last_mut().expect("a row");
            if used + need <= width {
                if !fresh {
                    row.push(' ');
                }
                row.extend(word.drain(..));
                used += need;
            } else if fresh {
                row.extend(word.drain(..width - used));
                rows.push(" ".repeat(indent));
            } else {
                rows.push(" ".repeat(indent));
                used = indent;
            }
        }
    }
    rows
}

/// The lines `text` takes word-wrapped at `width`, near enough to what `Wrap { trim: true }` draws.
pub fn wrapped_lines(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut lines, mut used) = (1, 0);
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if used == 0 {
            used = w;
        } else if used + 1 + w <= width {
            used += 1 + w;
        } else {
            lines += 1;
            used = w;
        }
        // A word longer than the line is broken over lines.
        while used > width {
            lines += 1;
            used -= width;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(wrapped_lines("short", 10), 1);
        assert_eq!(wrapped_lines("one two three", 7), 2);
        assert_eq!(wrapped_lines("one two three four", 7), 3);
        assert_eq!(wrapped_lines("abcdefghijkl", 5), 3);
    }

    #[test]
    fn overlays_scroll_until_their_end_shows() {
        // 80x24: the whole width (78 columns would leave 2) minus borders; 24 lines minus header (2), status (1),
        // borders and heading (3).
        assert_eq!(overlay_body((80, 24)), (78, 18));
        assert_eq!(overlay_body((160, 48)), (76, 42));
        assert_eq!(last_scroll(30, (80, 24)), 12);
        assert_eq!(last_scroll(1, (80, 24)), 0);
    }

    #[test]
    fn hanging_rows_keep_their_column() {
        assert_eq!(hanging("  q   ", "quit refcodes", 40), ["  q   quit refcodes"]);
        assert_eq!(hanging("ab ", "one two three four five", 14), ["ab one two", "   three four", "   five"]);
        assert_eq!(hanging("x ", "abcdefghijklmnop", 12), ["x abcdefghij", "  klmnop"]);
        assert_eq!(hanging("head ", "", 20), ["head "]);
        // Too narrow for the indent: rows get the 10 cells they need.
        assert_eq!(hanging("12345 ", "one two", 4), ["12345 one two"]);
    }
}
