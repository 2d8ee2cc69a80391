//! The codes list: query line, a table built only for the visible window, and a scrollbar over the whole set.

use super::format::{bar, relative, thousands};
use crate::domain::text::{date_time, fit};
use crate::domain::{CodeFilter, CodeRow, CodeStatus, SortField, UsesWindow};
use crate::tui::keymap::{Action, Mode};
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

/// The table's columns, in their order on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Mark,
    Code,
    Description,
    Uses,
    WindowUses,
    LastUsed,
    Expires,
    Status,
    Creator,
    Beneficiary,
}

impl Column {
    const ALL: [Column; 10] = [
        Column::Mark,
        Column::Code,
        Column::Description,
        Column::Uses,
        Column::WindowUses,
        Column::LastUsed,
        Column::Expires,
        Column::Status,
        Column::Creator,
        Column::Beneficiary,
    ];

    /// Which columns give way first when the table is narrow; the others (mark, code, uses, expiry, status) stay.
    /// The emails go first, then the uses in time, and the description last, as it names the code's purpose.
    const GIVE_WAY: [Column; 5] =
        [Column::Beneficiary, Column::Creator, Column::WindowUses, Column::LastUsed, Column::Description];

    /// The header; the window-uses column is headed by its window (`7d`).
    fn title(self, wide: bool, window: UsesWindow) -> &'static str {
        match self {
            Column::Mark => "",
            Column::Code => "Code",
            Column::Description => "Description",
            Column::Uses => "Uses",
            Column::WindowUses => window.label(),
            Column::LastUsed if wide => "Last used",
            Column::LastUsed => "Used",
            Column::Expires => "Expires",
            Column::Status => "Status",
            Column::Creator => "Created by",
            Column::Beneficiary => "Beneficiary",
        }
    }

    /// The sort that orders the list by this column, for the arrow in its header.
    fn sorts_by(self) -> Option<SortField> {
        match self {
            Column::Code => Some(SortField::Code),
            Column::Uses => Some(SortField::Uses),
            Column::WindowUses => Some(SortField::WindowUses),
            Column::LastUsed => Some(SortField::LastUsed),
            Column::Expires => Some(SortField::Expires),
            _ => None,
        }
    }

    /// The wide form shows a bar of the uses, the expiry's date and whole status words.
    fn wide(self) -> Constraint {
        match self {
            Column::Mark => Constraint::Length(1),
            Column::Code => Constraint::Length(20),
            Column::Description => Constraint::Fill(1),
            Column::Uses => Constraint::Length(15),
            Column::WindowUses => Constraint::Length(6),
            Column::LastUsed => Constraint::Length(9),
            Column::Expires => Constraint::Length(25),
            Column::Status => Constraint::Length(13),
            Column::Creator | Column::Beneficiary => Constraint::Length(20),
        }
    }

    /// The short form: relative expiry only, short status words; the emails share the room left with the
    /// description.
    fn narrow(self) -> Constraint {
        match self {
            Column::Mark => Constraint::Length(1),
            Column::Code => Constraint::Length(14),
            Column::Uses | Column::Expires => Constraint::Length(7),
            Column::WindowUses => Constraint::Length(5),
            Column::LastUsed | Column::Status => Constraint::Length(8),
            Column::Description | Column::Creator | Column::Beneficiary => Constraint::Fill(1),
        }
    }
}

/// From this width on the table takes the wide form: its fixed columns, the spaces between the columns, the borders,
/// and 20 cells for the description. Any narrower and the fixed columns would be squeezed.
const WIDE: u16 = (1 + 20 + 15 + 6 + 9 + 25 + 13 + 20 + 20) + 9 + 2 + 20;

/// The fewest cells a shared column (description and emails) is given in the short form: fewer show too little of
/// an email to tell whose it is.
const SHARED_MIN: u16 = 12;

/// The columns shown in a table `width` cells wide, and their widths. In the short form, columns give way in the
/// order of [`Column::GIVE_WAY`] until the rest fit, each shared one at least [`SHARED_MIN`] cells; the column the
/// list is sorted by stays, so its arrow does.
fn columns(width: u16, sort: SortField) -> Vec<(Column, Constraint)> {
    if width >= WIDE {
        return Column::ALL.iter().map(|c| (*c, c.wide())).collect();
    }
    let inside = width.saturating_sub(2);
    let fits = |shown: &[Column]| {
        let need: u16 = shown
            .iter()
            .map(|c| match c.narrow() {
                Constraint::Length(n) => n,
                _ => SHARED_MIN,
            })
            .sum();
        need + shown.len() as u16 - 1 <= inside
    };
    let mut shown = Column::ALL.to_vec();
    let mut dropped = Vec::new();
    for column in Column::GIVE_WAY.iter().filter(|c| c.sorts_by() != Some(sort)) {
        if fits(&shown) {
            break;
        }
        shown.retain(|c| c != column);
        dropped.push(*column);
    }
    // The sorted column kept may have made a wider one give way; a narrower one dropped before may fit again.
    for column in dropped.into_iter().rev() {
        let with: Vec<Column> = Column::ALL.into_iter().filter(|c| *c == column || shown.contains(c)).collect();
        if fits(&with) {
            shown = with;
        }
    }
    shown.into_iter().map(|c| (c, c.narrow())).collect()
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let [query, table] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    query_line(model, frame, query);
    codes_table(model, frame, table);
}

fn query_line(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let list = &model.list;
    // The status in force is shown after "Status:", whether typed or picked by its key.
    let in_force = CodeFilter { status: None, ..list.applied_filter.clone() }.to_string();
    let mut spans = super::filter_spans(
        model,
        (&list.filter_input, list.filtering),
        in_force,
        list.filter_error.as_deref(),
        (Mode::List, Action::Filter),
    );
    let status = list.filter().status.map_or("all", CodeStatus::label);
    let arrow = if list.descending { "↓" } else { "↑" };
    let sort = match list.sort {
        SortField::WindowUses => format!("uses in {}", list.window.label()),
        sort => sort.label().replace('-', " "),
    };
    spans.push(Span::raw(format!("   Status: {status}   Sort: {sort} {arrow}")));
    if list.range_anchor.is_some() {
        spans.push(Span::styled("   range: V at its end", theme.marked()));
    }
    frame.render_widget(Line::from(spans), area);
    super::filter_cursor(frame, area, &list.filter_input, list.filtering);
}

fn codes_table(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let list = &model.list;
    let wide = area.width >= WIDE;
    let height = model.visible_rows();
    // An estimate reads `~12,300` until the count comes.
    let total = match (list.total, list.estimate) {
        (Some(total), _) => Some(thousands(total)),
        (None, Some(about)) => Some(format!("~{}", thousands(about))),
        (None, None) => None,
    };
    let position = match (&total, list.total) {
        (None, _) | (_, Some(0)) => String::new(),
        (Some(total), _) => format!(" row {} of {total} ", thousands(list.cursor as i64 + 1)),
    };
    let title = match &total {
        Some(total) => format!(" Codes ({total}) "),
        None => " Codes ".to_string(),
    };
    let block =
        Block::bordered().title(Line::styled(title, theme.accent())).title_bottom(Line::from(position).right_aligned());
    let shown = columns(area.width, list.sort);
    let widths: Vec<Constraint> = shown.iter().map(|(_, w)| *w).collect();
    // The widths the table will give the columns (as it lays them out), to mark text cut short with `…`.
    let inside = Rect::new(0, 0, area.width.saturating_sub(2), 1);
    let cells: Vec<usize> = Layout::horizontal(widths.clone())
        .flex(Flex::Start)
        .spacing(1)
        .split(inside)
        .iter()
        .map(|c| usize::from(c.width))
        .collect();
    let arrow = if list.descending { "↓" } else { "↑" };
    let header = Row::new(shown.iter().zip(&cells).map(|((c, _), width)| {
        let title = c.title(wide, list.window);
        if c.sorts_by() != Some(list.sort) {
            return title.to_string();
        }
        // The arrow shows even where the title must be cut for it.
        let title: String = title.chars().take(width.saturating_sub(2)).collect();
        format!("{title} {arrow}")
    }))
    .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));

    if list.total == Some(0) {
        let hint = if list.filter().is_empty() {
            match model.keymap.key_for(Mode::List, Action::New) {
                Some(key) if model.session.can_administer => format!("No codes yet: press {key} to create one."),
                _ => "No codes yet.".to_string(),
            }
        } else {
            "No codes match the filter (Esc clears it).".to_string()
        };
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(hint).style(theme.dim()).centered(),
            // One line in the middle (a margin of half the height each side would leave none).
            inner.inner(Margin::new(1, inner.height.saturating_sub(1) / 2)),
        );
        return;
    }

    // Build rows only for the visible window.
    let end = list.total.map_or(list.offset + height, |t| (list.offset + height).min(t.max(0) as u64));
    let rows: Vec<Row> = (list.offset..end)
        .map(|i| match list.row(i) {
            Some(row) => code_row(model, row, wide, &shown, &cells),
            None => Row::new(vec![Cell::from(""), Cell::from(Span::styled("…", theme.dim()))]),
        })
        .collect();
    let table =
        Table::new(rows, widths).header(header).block(block).column_spacing(1).row_highlight_style(theme.cursor());
    let mut state = TableState::default();
    if list.total.is_some_and(|t| t > 0) {
        state.select(Some((list.cursor - list.offset) as usize));
    }
    frame.render_stateful_widget(table, area, &mut state);

    if let Some(total) = list.total.filter(|t| *t as u64 > height) {
        let mut bar_state = ScrollbarState::new(total as usize).position(list.cursor as usize);
        let track = area.inner(Margin::new(0, 1));
        frame.render_stateful_widget(Scrollbar::new(ScrollbarOrientation::VerticalRight), track, &mut bar_state);
    }
    if let Some(error) = &list.error {
        let line =
            Rect { y: area.bottom().saturating_sub(1), height: 1, x: area.x + 2, width: area.width.saturating_sub(30) };
        frame.render_widget(Line::styled(format!(" {error} "), theme.error()), line);
    }
}

/// A row of the table: the `shown` columns, `cells` wide each, to show where text was cut.
fn code_row(model: &Model, row: &CodeRow, wide: bool, shown: &[(Column, Constraint)], cells: &[usize]) -> Row<'static> {
    let theme = &model.options.theme;
    let c = &row.code;
    let status = c.status_at(model.now);
    let marked = model.list.is_marked(c.id);
    let cell = |column: Column, width: usize| -> Cell<'static> {
        match column {
            Column::Mark => Cell::from(if marked { Span::styled("●", theme.marked()) } else { Span::raw(" ") }),
            Column::Code => {
                Cell::from(Span::styled(fit(&c.code, width), if marked { theme.marked() } else { Style::default() }))
            }
            Column::Description => Cell::from(fit(&c.description, width)),
            Column::WindowUses => Cell::from(fit(&row.window_uses.to_string(), width)),
            Column::LastUsed => Cell::from(fit(&relative(row.last_used, model.now), width)),
            Column::Uses => {
                let uses = if wide {
                    format!(
                        "{:>5}/{:<5} {}",
                        c.number_of_uses,
                        c.max_uses,
                        bar(i64::from(c.number_of_uses), i64::from(c.max_uses), 3)
                    )
                } else {
                    format!("{}/{}", c.number_of_uses, c.max_uses)
                };
                Cell::from(fit(&uses, width))
            }
            Column::Expires => {
                let expires = if wide {
                    match c.expiration_date {
                        Some(at) => format!("{:<8} {}", relative(Some(at), model.now), date_time(at)),
                        None => "never".to_string(),
                    }
                } else {
                    relative(c.expiration_date, model.now)
                };
                Cell::from(fit(&expires, width))
            }
            Column::Status => {
                let text = if wide || status != CodeStatus::LimitReached { status.label() } else { "Limit" };
                Cell::from(Span::styled(text, theme.status(status)))
            }
            Column::Creator => Cell::from(fit(row.created_by_email.as_deref().unwrap_or("unknown"), width)),
            Column::Beneficiary => Cell::from(fit(row.beneficiary_email.as_deref().unwrap_or("none"), width)),
        }
    };
    Row::new(shown.iter().zip(cells).map(|((column, _), width)| cell(*column, *width)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::{Column, columns};
    use crate::domain::SortField;

    fn shown(width: u16) -> Vec<Column> {
        columns(width, SortField::Created).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn columns_give_way_emails_first_then_uses_in_time_then_the_description() {
        assert_eq!(shown(200).len(), 10);
        assert_eq!(shown(160).len(), 10);
        assert!(shown(100).contains(&Column::Beneficiary) && !shown(90).contains(&Column::Beneficiary));
        let at_80 = shown(80);
        assert!(!at_80.contains(&Column::Creator) && at_80.contains(&Column::WindowUses), "{at_80:?}");
        let at_70 = shown(70);
        assert!(!at_70.contains(&Column::WindowUses) && at_70.contains(&Column::LastUsed), "{at_70:?}");
        let at_60 = shown(60);
        assert!(!at_60.contains(&Column::LastUsed) && at_60.contains(&Column::Description), "{at_60:?}");
        for width in 60..160 {
            let columns = shown(width);
            assert!([Column::Code, Column::Uses, Column::Expires, Column::Status].iter().all(|c| columns.contains(c)));
        }
    }

    #[test]
    fn the_sorted_column_stays() {
        let at_60: Vec<Column> = columns(60, SortField::WindowUses).into_iter().map(|(c, _)| c).collect();
        // The description gave way to it; last used, narrower, fits in the room left.
        assert!(at_60.contains(&Column::WindowUses) && at_60.contains(&Column::LastUsed), "{at_60:?}");
        assert!(!at_60.contains(&Column::Description));
    }
}
