//! The stats and settings screens.

use super::format::{figures, thousands, who};
use crate::domain::settings::SettingKey;
use crate::domain::text::{date_time, fit};
use crate::tui::keymap::Action;
use crate::tui::layout;
use crate::tui::model::Model;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Row, Table, TableState, Wrap};

pub fn stats(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let Some(data) = &model.stats.data else {
        let text = model.stats.error.clone().unwrap_or_else(|| "Loading…".to_string());
        frame.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Stats ")).wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    // Below 22 lines the system's figures take one line without a box, or none where the header shows them.
    let compact = area.height < 22;
    let system_lines = match (compact, layout::header_lines(model.size)) {
        (false, _) => 3,
        (true, 1) => 1,
        (true, _) => 0,
    };
    let [system, chart, lists] =
        Layout::vertical([Constraint::Length(system_lines), Constraint::Percentage(45), Constraint::Fill(1)])
            .areas(area);
    let figures = Paragraph::new(figures(&data.system));
    if compact {
        frame.render_widget(figures.style(theme.dim()), system);
    } else {
        frame.render_widget(figures.block(Block::bordered().title(Line::styled(" System ", theme.accent()))), system);
    }

    let inner_width = chart.width.saturating_sub(2);
    // Bars of at least one cell and a gap: on a narrow screen the latest days that fit.
    let days = &data.per_day[data.per_day.len().saturating_sub(usize::from(inner_width.div_ceil(2)))..];
    let total: i64 = days.iter().map(|d| d.uses).sum();
    let bar_width = (inner_width / days.len().max(1) as u16).saturating_sub(1).clamp(1, 4);
    // A day of the month needs two cells; on narrower bars the title's date range says enough.
    let labelled = bar_width >= 2;
    let bars: Vec<Bar> = days
        .iter()
        .map(|d| {
            let bar = Bar::default().value(d.uses.max(0) as u64).text_value(String::new());
            if labelled { bar.label(Line::raw(d.day.format("%d").to_string())) } else { bar }
        })
        .collect();
    let (first, last) = (days.first().map(|d| d.day), days.last().map(|d| d.day));
    let day = |d: Option<chrono::NaiveDate>, format: &str| d.map_or(String::new(), |d| d.format(format).to_string());
    let mut title = format!(" Uses per day, {} to {} (UTC): {} ", day(first, "%F"), day(last, "%F"), thousands(total));
    if title.chars().count() > usize::from(inner_width) {
        title = format!(" Uses/day {}–{}: {} ", day(first, "%m-%d"), day(last, "%m-%d"), thousands(total));
    }
    let chart_widget = BarChart::default()
        .block(Block::bordered().title(Line::styled(title, theme.accent())))
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .bar_style(Style::default().fg(theme.accent.unwrap_or_default()));
    frame.render_widget(chart_widget, chart);

    let [top, recent] = Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(lists);
    // The code column is what the borders, the uses column and the gap between them leave.
    let code_width = usize::from(top.width.saturating_sub(2 + 11 + 1));
    let top_rows = data
        .top
        .iter()
        .map(|t| Row::new(vec![fit(&t.code, code_width), format!("{}/{}", t.number_of_uses, t.max_uses)]));
    frame.render_widget(
        Table::new(top_rows, [Constraint::Fill(1), Constraint::Length(11)])
            .header(Row::new(["Code", "Uses"]).style(Style::default().add_modifier(Modifier::UNDERLINED)))
            .block(Block::bordered().title(Line::styled(" Top codes ", theme.accent()))),
        top,
    );
    // Narrow: the time without its year, and a shorter code column, so who used it still shows.
    let narrow = recent.width < 50;
    let (when_width, code_width) = if narrow { (11, 10) } else { (16, 14) };
    let recent_rows = data.recent.iter().map(|u| {
        let when = if narrow { u.date_used.format("%m-%d %H:%M").to_string() } else { date_time(u.date_used) };
        Row::new(vec![when, fit(&u.code, usize::from(code_width)), who(u)])
    });
    let widths = [Constraint::Length(when_width), Constraint::Length(code_width), Constraint::Fill(1)];
    let table = Table::new(recent_rows, widths)
        .header(Row::new(["When (UTC)", "Code", "Who"]).style(Style::default().add_modifier(Modifier::UNDERLINED)))
        .block(Block::bordered().title(Line::styled(" Recent usage ", theme.accent())))
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(model.stats.scroll));
    frame.render_stateful_widget(table, recent, &mut state);
}

fn describe(key: SettingKey) -> (&'static str, &'static str) {
    match key {
        // Each fits the 48 columns the 80-column screen leaves it.
        SettingKey::Enabled => ("Referral codes", "on: codes work at registration; off: ignored"),
        SettingKey::Required => ("Code required", "on: registration needs a valid code"),
        SettingKey::MaxUsesPerCode => ("Max uses per code", "highest max uses a code may have (1 to 10000)"),
        SettingKey::MaxCodesPerUser => ("Max codes per admin", "codes per Admin; Owners unlimited (1 to 1000)"),
    }
}

pub fn settings(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let block = Block::bordered().title(Line::styled(" Settings ", theme.accent()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(config) = model.header.config else {
        frame.render_widget(Line::raw("Loading…"), inner);
        return;
    };
    let [table_area, note] = Layout::vertical([Constraint::Length(6), Constraint::Fill(1)]).areas(inner);
    let rows = SettingKey::ALL.iter().enumerate().map(|(i, key)| {
        let (name, help) = describe(*key);
        let value = match (&model.settings.editing, i == model.settings.cursor) {
            (Some(input), true) => format!("{}▏", input.value()),
            _ => config.value(*key).to_string(),
        };
        Row::new(vec![name.to_string(), value, help.to_string()])
    });
    let table = Table::new(rows, [Constraint::Length(20), Constraint::Length(8), Constraint::Fill(1)])
        .header(
            Row::new(["Setting", "Value", "What it does"]).style(Style::default().add_modifier(Modifier::UNDERLINED)),
        )
        .row_highlight_style(theme.cursor());
    let mut state = TableState::default().with_selected(Some(model.settings.cursor));
    frame.render_stateful_widget(table, table_area, &mut state);
    let text = if let Some(error) = &model.settings.error {
        Line::styled(error.clone(), theme.error())
    } else if model.settings.editing.is_some() {
        Line::styled("Type a number · Enter saves · Esc cancels", theme.dim())
    } else if model.session.can_administer {
        Line::styled("Enter switches a setting or edits a limit; the value written is the one shown here.", theme.dim())
    } else {
        Line::styled("Read-only: settings can't be changed here.", theme.dim())
    };
    let mut lines = vec![text];
    if model.parked.is_some() {
        let key = model.keymap.global_key(Action::ParkForm).map_or_else(|| ":form".to_string(), |k| k.to_string());
        lines.push(Line::styled(format!("A form is parked: {key} brings it back."), theme.accent()));
    }
    if model.session.phoenix_kit {
        // PhoenixKit reads settings through a cache that expires after 5 minutes.
        lines.push(Line::styled(
            "PhoenixKit caches settings: the running application may take up to 5 minutes to see a change.",
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), note);
}
