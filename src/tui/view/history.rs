//! The History screen: the filter line, then the events, newest first, two lines each (what, which code and who;
//! then what changed), built only for the visible window.

use crate::domain::audit::AuditEvent;
use crate::domain::text::{date_time, fit};
use crate::tui::keymap::{Action, Mode};
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

/// Widths of the event line's parts: the time, the action and the code; the operator takes the rest. Below 80
/// columns the time drops its year and the others shrink.
struct Widths {
    when: u16,
    action: usize,
    code: usize,
}

impl Widths {
    fn at(width: u16) -> Widths {
        if width >= 80 { Widths { when: 16, action: 19, code: 16 } } else { Widths { when: 11, action: 14, code: 12 } }
    }
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let [query, table] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let history = &model.history;
    let spans = super::filter_spans(
        model,
        (&history.filter_input, history.filtering),
        history.applied_text.clone(),
        history.filter_error.as_deref(),
        (Mode::History, Action::FilterHistory),
    );
    frame.render_widget(Line::from(spans), query);
    super::filter_cursor(frame, query, &history.filter_input, history.filtering);
    events(model, frame, table);
}

fn events(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let history = &model.history;
    let more = if history.next.is_some() { "+" } else { "" };
    let title =
        if history.loaded { format!(" History ({}{more}) ", history.events.len()) } else { " History ".to_string() };
    let position = if history.events.is_empty() {
        String::new()
    } else {
        format!(" event {} of {}{more} ", history.cursor + 1, history.events.len())
    };
    let block =
        Block::bordered().title(Line::styled(title, theme.accent())).title_bottom(Line::from(position).right_aligned());
    let empty = if let Some(why) = &model.session.audit_log_only {
        Some(format!("No audit trail in this database: {why}. Events go to the log file only."))
    } else if !history.loaded {
        Some(history.error.clone().unwrap_or_else(|| "Loading…".to_string()))
    } else if history.events.is_empty() && history.applied.is_empty() {
        Some("No events yet: every change an operator makes shows here.".to_string())
    } else if history.events.is_empty() {
        Some("No events match the filter (Esc clears it).".to_string())
    } else {
        None
    };
    if let Some(text) = empty {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(text).style(theme.dim()).centered().wrap(Wrap { trim: true }),
            inner.inner(Margin::new(1, inner.height.saturating_sub(2) / 2)),
        );
        return;
    }
    let widths = Widths::at(area.width);
    let rest = usize::from(area.width.saturating_sub(widths.when + 3));
    let header = Row::new(vec![
        "When (UTC)".to_string(),
        format!("{:<a$} {:<c$} Operator", "Action", "Code", a = widths.action, c = widths.code),
    ])
    .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let height = model.visible_events();
    let end = (history.offset + height).min(history.events.len());
    let rows: Vec<Row> =
        history.events[history.offset..end].iter().map(|e| event_row(model, e, &widths, rest)).collect();
    let table = Table::new(rows, [Constraint::Length(widths.when), Constraint::Fill(1)])
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(history.cursor - history.offset));
    frame.render_stateful_widget(table, area, &mut state);
    if let Some(error) = &history.error {
        let line =
            Rect { y: area.bottom().saturating_sub(1), height: 1, x: area.x + 2, width: area.width.saturating_sub(30) };
        frame.render_widget(Line::styled(format!(" {error} "), theme.error()), line);
    }
}

/// An event in two lines: its action, code and operator; then what changed, dimmed.
fn event_row(model: &Model, event: &AuditEvent, widths: &Widths, rest: usize) -> Row<'static> {
    let when = date_time(event.at);
    let when = if widths.when < 16 { when.chars().skip(5).collect() } else { when };
    let operator = rest.saturating_sub(widths.action + widths.code + 2);
    let what = format!(
        "{:<a$} {:<c$} {}",
        fit(event.kind(), widths.action),
        fit(event.code.as_deref().unwrap_or("-"), widths.code),
        fit(&event.operator, operator),
        a = widths.action,
        c = widths.code,
    );
    let changed = Line::styled(fit(&event.summary(), rest), model.options.theme.dim());
    Row::new(vec![Text::from(when), Text::from(vec![Line::from(Span::raw(what)), changed])]).height(2)
}
