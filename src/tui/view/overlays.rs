//! Popups: a code's details, the beneficiary picker, the help and the confirm dialog.

use super::format::{relative, thousands, who};
use super::{key_names, popup};
use crate::domain::text::{date_time, fit};
use crate::tui::keymap::{Action, HelpLine, Mode};
use crate::tui::layout::{DETAIL_FACTS, OVERLAY_WIDTH};
use crate::tui::model::{ConfirmState, DetailState, HelpState, Level, MESSAGE_LOG, Model, PickerState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

pub fn detail(model: &Model, detail: &DetailState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let rect = popup(frame, area, area.width.saturating_sub(4), area.height);
    let title = detail.row.as_ref().map_or(" Code ".to_string(), |r| format!(" {} ", r.code.code));
    let key = key_names(model, Mode::Detail);
    let block = Block::bordered().title(Line::styled(title, theme.accent())).title_bottom(Line::styled(
        format!(" {} close · {} edit ", key(Action::Cancel), key(Action::Edit)),
        theme.dim(),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let (Some(row), Some(stats)) = (&detail.row, &detail.stats) else {
        let text = detail.error.clone().unwrap_or_else(|| "Loading…".to_string());
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    };
    let c = &row.code;
    // One fact a line, so each fits the 80-column screen.
    let [facts, records] = Layout::vertical([Constraint::Length(DETAIL_FACTS), Constraint::Fill(1)]).areas(inner);
    let last_used =
        stats.last_used.map_or("never".to_string(), |t| format!("{} ({})", date_time(t), relative(Some(t), model.now)));
    let expires = c
        .expiration_date
        .map_or("never".to_string(), |t| format!("{} ({})", date_time(t), relative(Some(t), model.now)));
    let lines = vec![
        Line::from(vec![
            Span::styled(stats.status.label(), theme.status(stats.status)),
            Span::raw(format!("  {}", c.description)),
        ]),
        Line::raw(format!(
            "Uses {} of {} · {} left · {} unique users",
            thousands(i64::from(c.number_of_uses)),
            thousands(i64::from(c.max_uses)),
            thousands(i64::from(stats.remaining_uses)),
            thousands(stats.unique_users)
        )),
        Line::raw(format!("Last used {last_used}")),
        Line::raw(format!("Expires {expires} · created {}", date_time(c.date_created))),
        Line::raw(format!("Created by {}", row.created_by_email.as_deref().unwrap_or("unknown"))),
        Line::raw(format!("Beneficiary {}", row.beneficiary_email.as_deref().unwrap_or("none"))),
        Line::styled(list_title(model, detail, stats.total_uses), Style::default().add_modifier(Modifier::BOLD)),
    ];
    frame.render_widget(Paragraph::new(lines), facts);
    if detail.showing_history {
        return history_table(model, detail, frame, records);
    }
    if detail.usage.is_empty() {
        frame.render_widget(Line::styled("No one has used this code yet.", theme.dim()), records);
        return;
    }
    let rows = detail.usage.iter().map(|u| Row::new(vec![date_time(u.date_used), who(u)]));
    let table = Table::new(rows, [Constraint::Length(17), Constraint::Fill(1)])
        .header(Row::new(["When (UTC)", "Who"]).style(Style::default().add_modifier(Modifier::UNDERLINED)))
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(detail.scroll));
    frame.render_stateful_widget(table, records, &mut state);
}

/// The heading of the list below a code's facts: its usage records or its history, and the key to the other.
fn list_title(model: &Model, detail: &DetailState, total_uses: i64) -> String {
    let key = key_names(model, Mode::Detail)(Action::ShowHistory);
    if detail.showing_history {
        let shown = detail.history.len();
        let count = if detail.more_history { format!("newest {shown}") } else { shown.to_string() };
        format!("History: {count} events ({key}: usage records)")
    } else if total_uses > detail.usage.len() as i64 {
        format!("Usage records: newest {} of {} ({key}: history)", detail.usage.len(), thousands(total_uses))
    } else {
        format!("Usage records: {} ({key}: history)", thousands(total_uses))
    }
}

/// The code's events, newest first: when, what and who, and what changed.
fn history_table(model: &Model, detail: &DetailState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    if let Some(why) = &model.session.audit_log_only {
        let text = format!("No audit trail in this database: {why}. Events go to the log file only.");
        frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), area);
        return;
    }
    if detail.history.is_empty() {
        frame.render_widget(Line::styled("No operator has changed this code since it was made.", theme.dim()), area);
        return;
    }
    let rest = usize::from(area.width.saturating_sub(18));
    let rows = detail.history.iter().map(|e| {
        let what = format!("{} by {}", e.kind(), e.operator);
        let lines = vec![Line::raw(fit(&what, rest)), Line::styled(fit(&e.summary(), rest), theme.dim())];
        Row::new(vec![Text::from(date_time(e.at)), Text::from(lines)]).height(2)
    });
    let table = Table::new(rows, [Constraint::Length(17), Constraint::Fill(1)])
        .header(Row::new(["When (UTC)", "What, who"]).style(Style::default().add_modifier(Modifier::UNDERLINED)))
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(detail.scroll));
    frame.render_stateful_widget(table, area, &mut state);
}

pub fn picker(model: &Model, picker: &PickerState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let rect = popup(frame, area, 70, 16);
    let key = key_names(model, Mode::Picker);
    let block = Block::bordered().title(Line::styled(" Beneficiary ", theme.accent())).title_bottom(Line::styled(
        format!(
            " {} pick · {} clear · {} close ",
            key(Action::Accept),
            key(Action::ClearBeneficiary),
            key(Action::Cancel)
        ),
        theme.dim(),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [search, list] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(inner);
    let loading = if picker.loading { " …" } else { "" };
    frame.render_widget(
        Line::from(vec![
            Span::raw("Search: "),
            Span::styled(picker.search.value(), theme.accent()),
            Span::raw(loading),
        ]),
        search,
    );
    let x = search.x + 8 + picker.search.visual_cursor() as u16;
    frame.set_cursor_position((x.min(search.right().saturating_sub(1)), search.y));
    if let Some(error) = &picker.error {
        frame.render_widget(Paragraph::new(error.as_str()).style(theme.error()).wrap(Wrap { trim: true }), list);
        return;
    }
    if picker.results.is_empty() && !picker.loading {
        frame.render_widget(Line::styled("No user matches.", theme.dim()), list);
        return;
    }
    let rows = picker.results.iter().map(|u| {
        let row = Row::new(vec![
            u.user.email.clone(),
            u.user.username.as_ref().map_or(String::new(), |n| format!("@{n}")),
            if u.user.is_active { u.user.full_name() } else { format!("(inactive) {}", u.user.full_name()) },
        ]);
        // Inactive users can't be picked: shown, but dimmed.
        if u.user.is_active { row } else { row.style(theme.dim()) }
    });
    let table = Table::new(rows, [Constraint::Fill(2), Constraint::Fill(1), Constraint::Fill(1)])
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(picker.cursor));
    frame.render_stateful_widget(table, list, &mut state);
}

pub fn help(model: &Model, help: &HelpState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let rect = popup(frame, area, OVERLAY_WIDTH, area.height);
    let key = key_names(model, Mode::Help);
    let hint = if help.filtering {
        format!(" {} keeps the filter · {} clears it ", key(Action::Accept), key(Action::Cancel))
    } else {
        format!(
            " {} filter · {}/{} scroll · {} close ",
            key(Action::FilterKeys),
            key(Action::Down),
            key(Action::Up),
            key(Action::Cancel)
        )
    };
    let block =
        Block::bordered().title(Line::styled(" Keys ", theme.accent())).title_bottom(Line::styled(hint, theme.dim()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [search, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let filter = help.filter.value();
    let search_line = if help.filtering {
        Line::from(vec![Span::raw("Filter: "), Span::styled(format!("{filter}▏"), theme.accent())])
    } else if filter.is_empty() {
        Line::styled(format!("({} to filter)", key(Action::FilterKeys)), theme.dim())
    } else {
        Line::from(vec![Span::raw("Filter: "), Span::styled(filter, theme.accent())])
    };
    frame.render_widget(search_line, search);
    if help.filtering {
        // The terminal cursor sits in the filter, where typing goes.
        let x = search.x + 8 + help.filter.visual_cursor() as u16;
        frame.set_cursor_position((x.min(search.right().saturating_sub(1)), search.y));
    }
    let lines = help_lines(model, filter, usize::from(body.width));
    frame.render_widget(Paragraph::new(lines).scroll((help.scroll as u16, 0)), body);
}

/// The help text: every section's bindings in force, read-only ones left out where they do nothing; descriptions
/// wrapped in their column as `update` counts them.
fn help_lines(model: &Model, filter: &str, width: usize) -> Vec<Line<'static>> {
    let theme = &model.options.theme;
    let lines: Vec<Line<'static>> = model
        .keymap
        .help(filter, model.session.can_administer)
        .into_iter()
        .flat_map(|line| {
            let style = if matches!(line, HelpLine::Section(_)) { theme.accent() } else { Style::default() };
            line.rows(width).into_iter().map(move |row| Line::styled(row, style))
        })
        .collect();
    if lines.is_empty() { vec![Line::styled("No key matches the filter.", theme.dim())] } else { lines }
}

/// The session's messages in full, newest first.
pub fn log(model: &Model, scroll: usize, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let rect = popup(frame, area, OVERLAY_WIDTH, area.height);
    let key = key_names(model, Mode::Messages);
    let block = Block::bordered().title(Line::styled(" Messages ", theme.accent())).title_bottom(Line::styled(
        format!(" {}/{} scroll · {} close ", key(Action::Down), key(Action::Up), key(Action::Cancel)),
        theme.dim(),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [heading, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let count = model.messages.len();
    let heading_text = match count {
        0 => "No messages yet.".to_string(),
        1 => "This session's one message so far (time in UTC).".to_string(),
        n => format!("This session's last {n} messages, newest first (times in UTC; {MESSAGE_LOG} are kept)."),
    };
    frame.render_widget(Line::styled(heading_text, theme.dim()), heading);
    let lines: Vec<Line> = model
        .messages
        .iter()
        .rev()
        .flat_map(|m| {
            let style = if m.level == Level::Error { theme.error() } else { Style::default() };
            m.rows(usize::from(body.width)).into_iter().map(move |row| Line::styled(row, style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), body);
}

pub fn confirm(model: &Model, confirm: &ConfirmState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    // Room for the message as wrapped (a conflict lists its fields), at least the usual 8 rows.
    let rows: usize = confirm.message.lines().map(|l| l.chars().count().div_ceil(56).max(1)).sum();
    let typing = u16::from(confirm.must_type.is_some());
    let rect = popup(frame, area, 60, (rows as u16).saturating_add(4 + typing).max(8));
    let block = Block::bordered().title(Line::styled(format!(" {} ", confirm.title), theme.error()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [text, typed, buttons] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(typing), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(confirm.message.as_str()).wrap(Wrap { trim: true }), text);
    if let Some(n) = confirm.must_type {
        let prompt = format!("Type {} to confirm: ", thousands(n));
        let x = typed.x.saturating_add((prompt.chars().count() + confirm.typed.chars().count()) as u16);
        let line = Line::from(vec![Span::raw(prompt), Span::styled(confirm.typed.as_str(), theme.accent())]);
        frame.render_widget(line, typed);
        if x < typed.right() {
            frame.set_cursor_position((x, typed.y));
        }
    }
    let chosen = Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let (yes, no) = if confirm.on_confirm { (chosen, Style::default()) } else { (Style::default(), chosen) };
    let key = key_names(model, Mode::Confirm);
    let mut spans = vec![Span::styled(format!(" Cancel ({}) ", key(Action::No)), no)];
    if let Some((label, _)) = &confirm.alternative {
        spans.extend([Span::raw("  "), Span::raw(format!(" {label} ({}) ", key(Action::Alternative)))]);
    }
    spans.extend([Span::raw("   "), Span::styled(format!(" {} ({}) ", confirm.confirm_label, key(Action::Yes)), yes)]);
    let line = Line::from(spans).centered();
    frame.render_widget(line, buttons);
}
