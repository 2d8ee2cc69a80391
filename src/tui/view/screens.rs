//! The stats and settings screens.

use super::format::{figures, thousands};
use crate::domain::settings::SettingKey;
use crate::domain::text::fit;
use crate::domain::window::Bucket;
use crate::tui::keymap::{Action, Mode};
use crate::tui::layout;
use crate::tui::model::{Model, StatsData, StatsList, StatsWindow};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Row, Table, TableState, Wrap};

pub fn stats(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    // Without the header's figures line (short screens), the system's figures take a line here.
    let system_lines = if layout::header_lines(model.size) == 1 { 1 } else { 0 };
    let [selector, system, chart, lists] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(system_lines),
        Constraint::Percentage(45),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(window_selector(model), selector);
    let Some(data) = model.stats.data.as_ref().filter(|d| d.window == model.stats.window) else {
        let text = model.stats.error.clone().unwrap_or_else(|| "Loading…".to_string());
        let block = Block::bordered().title(" Stats ");
        frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), chart.union(lists));
        return;
    };
    let stats = &data.stats;
    frame.render_widget(Paragraph::new(figures(&stats.all_time)).style(theme.dim()), system);
    usage_chart(model, data, frame, chart);

    let [codes, beneficiaries] = Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(lists);
    let label = data.window.label();
    let code_rows = stats.top_codes.iter().map(|c| vec![c.code.clone(), thousands(c.uses)]);
    top_list(model, frame, codes, StatsList::Codes, format!(" Top codes, {label} "), "Code", code_rows.collect());
    let bens = stats.top_beneficiaries.iter().map(|b| {
        let who = b.email.clone().unwrap_or_else(|| format!("user {} (gone)", b.user_id));
        vec![who, thousands(b.uses)]
    });
    let title = format!(" Top beneficiaries, {label} ");
    top_list(model, frame, beneficiaries, StatsList::Beneficiaries, title, "Beneficiary", bens.collect());
}

/// `24h 7d [30d] 90d all`, the window shown marked, and the keys that switch it.
fn window_selector(model: &Model) -> Line<'static> {
    let theme = &model.options.theme;
    let key = super::key_names(model, Mode::Stats);
    let mut spans = vec![Span::raw(" ")];
    for window in StatsWindow::ALL {
        let style = match window == model.stats.window {
            true => theme.accent().add_modifier(Modifier::REVERSED),
            false => Style::default(),
        };
        spans.push(Span::styled(format!(" {} ", window.label()), style));
    }
    let hint = format!(
        "  {}/{} span · {} list · {} open",
        key(Action::NextWindow),
        key(Action::PrevWindow),
        key(Action::SwitchList),
        key(Action::Open)
    );
    spans.push(Span::styled(hint, theme.dim()));
    Line::from(spans)
}

/// Redemptions over the window as bars, neighbouring buckets summed when they don't all fit, with a y-scale and
/// the first bucket of each bar under it.
fn usage_chart(model: &Model, data: &StatsData, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let stats = &data.stats;
    let series = &stats.redemptions;
    let total: i64 = series.iter().map(|p| p.count).sum();
    let hourly = stats.window.bucket == Bucket::Hour;
    let block = Block::bordered();
    let inner = block.inner(area);
    // The scale's width: its largest figure and a space.
    let per_cell = |n: usize, width: u16| n.div_ceil((usize::from(width) / 3).max(1)).max(1);
    let per = per_cell(series.len(), inner.width.saturating_sub(8));
    let groups: Vec<(chrono::DateTime<chrono::Utc>, i64)> =
        series.chunks(per).map(|c| (c[0].start, c.iter().map(|p| p.count).sum())).collect();
    let top = groups.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let unit = match (hourly, per) {
        (true, 1) => "hour".to_string(),
        (true, n) => format!("{n} hours"),
        (false, 1) => "day".to_string(),
        (false, n) => format!("{n} days"),
    };
    let first = series.first().map_or(String::new(), |p| stats.window.label(p.start));
    let all_time = thousands(stats.all_time.total_usage);
    // The header's figure is the same all-time count, read at the header's last refresh.
    let title = format!(" Uses per {unit} since {first} UTC: {} · all time {all_time} ", thousands(total));
    let title = if title.chars().count() + 2 > usize::from(area.width) {
        format!(" Uses/{unit}, {}: {} · all {all_time} ", data.window.label(), thousands(total))
    } else {
        title
    };
    frame.render_widget(block.title(Line::styled(title, theme.accent())), area);
    if total == 0 {
        let text = match stats.all_time.total_usage {
            0 => "No usage yet.".to_string(),
            _ => format!("No usage in the last {}.", data.window.label()),
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()).alignment(Alignment::Center), inner);
        return;
    }
    let scale_width = thousands(top).chars().count() as u16 + 1;
    let [scale, plot] =
        Layout::horizontal([Constraint::Length(scale_width), Constraint::Fill(1)]).spacing(1).areas(inner);
    // The bars stand on the row above their labels: the scale's 0 is there, its top at the first row.
    if scale.height >= 2 {
        let mut lines = vec![Line::raw(thousands(top)).right_aligned()];
        lines.extend((2..scale.height.saturating_sub(1)).map(|_| Line::raw("")));
        lines.push(Line::raw("0").right_aligned());
        frame.render_widget(Paragraph::new(lines).style(theme.dim()), scale);
    }
    let bar_width = ((plot.width as usize / groups.len().max(1)).saturating_sub(1)).clamp(2, 4) as u16;
    let bars: Vec<Bar> = groups
        .iter()
        .map(|(start, n)| {
            let label = if hourly { start.format("%H") } else { start.format("%d") };
            Bar::default().value((*n).max(0) as u64).text_value(String::new()).label(Line::raw(label.to_string()))
        })
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .max(top.max(1) as u64)
        .bar_style(Style::default().fg(theme.accent.unwrap_or_default()));
    frame.render_widget(chart, plot);
}

/// One of the top lists, the cursor's row marked when the cursor is in it.
fn top_list(
    model: &Model,
    frame: &mut Frame,
    area: Rect,
    list: StatsList,
    title: String,
    first: &'static str,
    rows: Vec<Vec<String>>,
) {
    let theme = &model.options.theme;
    let width = usize::from(area.width.saturating_sub(2 + 10 + 1));
    let empty = rows.is_empty();
    let rows = rows.into_iter().map(|mut r| {
        r[0] = fit(&r[0], width);
        Row::new(r)
    });
    let focused = model.stats.list == list;
    let title_style = if focused { theme.accent().add_modifier(Modifier::BOLD) } else { theme.accent() };
    let mut table = Table::new(rows, [Constraint::Fill(1), Constraint::Length(10)])
        .header(Row::new([first, "Uses"]).style(Style::default().add_modifier(Modifier::UNDERLINED)))
        .block(Block::bordered().title(Line::styled(title, title_style)));
    if focused {
        table = table.row_highlight_style(theme.cursor());
    }
    let selected = (focused && !empty).then_some(model.stats.scroll);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
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
