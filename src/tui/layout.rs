//! Sizes both `update` (paging) and `view` (drawing) agree on.

/// The smallest terminal the dashboard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Lines above the table (header, tabs and query line) and below it (status bar), plus the table's borders
/// and column header.
const CHROME: u16 = 3 + 1 + 3;

/// Lines of a code's details above its usage records: `view` draws them, `update` pages the records below.
pub const DETAIL_FACTS: u16 = 8;

pub fn fits((width, height): (u16, u16)) -> bool {
    width >= MIN_WIDTH && height >= MIN_HEIGHT
}

/// Rows of codes the table shows.
pub fn table_rows((_, height): (u16, u16)) -> u16 {
    height.saturating_sub(CHROME).max(1)
}
