//! `view`: draws the model. Reads only; the time it shows is the model's.

mod codes;
mod form;
pub mod format;
mod history;
mod overlays;
mod screens;

use super::keymap::{Action, Mode};
use super::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use super::model::{Level, Model, Screen};
use format::{figures, relative, thousands};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn view(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    if !model.fits() {
        let text = format!("Terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}", area.width, area.height);
        let y = area.height / 2;
        let line = Rect { x: area.x, y: area.y + y, width: area.width, height: 1.min(area.height) };
        frame.render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }), line);
        return;
    }
    let [top, main, status] = Layout::vertical([
        Constraint::Length(layout::header_lines(model.size)),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header(model, frame, top);
    match model.screen {
        Screen::Codes => codes::draw(model, frame, main),
        Screen::Stats => screens::stats(model, frame, main),
        Screen::Settings => screens::settings(model, frame, main),
        Screen::History => history::draw(model, frame, main),
    }
    status_bar(model, frame, status);
    if let Some(detail) = &model.detail {
        overlays::detail(model, detail, frame, main);
    }
    if let Some(form) = &model.form {
        form::draw(model, form, frame, main);
    }
    if let Some(picker) = &model.picker {
        overlays::picker(model, picker, frame, main);
    }
    if let Some(scroll) = model.log {
        overlays::log(model, scroll, frame, main);
    }
    if let Some(help) = &model.help {
        overlays::help(model, help, frame, main);
    }
    if let Some(confirm) = &model.confirm {
        overlays::confirm(model, confirm, frame, main);
    }
}

/// The tabs and the system's state; below 80 columns without the name and with the state in short words. The
/// system's figures under them where the height allows (see `layout::header_lines`).
fn header(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let short = area.width < 80;
    let mut spans =
        if short { Vec::new() } else { vec![Span::styled(" refcodes ", theme.accent()), Span::raw("│ ")] };
    for screen in Screen::ALL {
        let style =
            if screen == model.screen { theme.accent().add_modifier(Modifier::REVERSED) } else { Style::default() };
        spans.push(Span::styled(format!(" {} ", screen.title()), style));
    }
    spans.push(Span::raw(" │ "));
    match model.header.config {
        Some(config) => {
            let (state, state_style) = if config.enabled {
                ("enabled", theme.status(crate::domain::CodeStatus::Active))
            } else {
                ("disabled", theme.status(crate::domain::CodeStatus::Expired))
            };
            let required = match (config.required, short) {
                (true, false) => " · codes required",
                (false, false) => " · codes optional",
                (true, true) => " · required",
                (false, true) => " · optional",
            };
            if !short {
                spans.push(Span::raw("system "));
            }
            spans.push(Span::styled(state, state_style));
            spans.push(Span::raw(required));
        }
        None => spans.push(Span::styled("loading…", theme.dim())),
    }
    let [top, second] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let tabs = Line::from(spans);
    let mut last = (top, tabs.width());
    frame.render_widget(tabs, top);
    if second.height > 0 {
        let line = model.header.stats.map_or_else(String::new, |s| format!(" {}", figures(&s)));
        let line = Line::from(clip_spans(vec![Span::raw(line)], usize::from(second.width))).style(theme.dim());
        last = (second, line.width());
        frame.render_widget(line, second);
    }
    // How fresh the figures are, at the end of the header's last line where it fits.
    if let Some(at) = model.updated {
        let age = if model.now - at < chrono::Duration::seconds(2) {
            "updated just now ".to_string()
        } else {
            format!("updated {} ", relative(Some(at), model.now))
        };
        let (line, used) = last;
        if used + age.len() + 2 <= usize::from(line.width) {
            frame.render_widget(Line::styled(age, theme.dim()).right_aligned(), line);
        }
    }
}

/// The `:` command line, over the status bar: what was typed, then the commands it may still become.
fn command_line(model: &Model, input: &tui_input::Input, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let typed = input.value();
    let choices = match typed.trim_start().split_once(char::is_whitespace) {
        // A value is being typed: what the command does with it.
        Some((name, _)) => crate::tui::keymap::command(name)
            .map_or_else(|| "no such command".to_string(), |action| action.description().to_string()),
        None => match crate::tui::keymap::completions(typed.trim()).as_slice() {
            [] => "no such command".to_string(),
            [one] if *one == typed.trim() => String::new(),
            names => names.join(" "),
        },
    };
    let spans = vec![Span::raw(format!(":{typed}")), Span::raw("   "), Span::styled(choices, theme.dim())];
    frame.render_widget(Line::from(clip_spans(spans, usize::from(area.width))), area);
    let x = area.x + 1 + input.visual_cursor() as u16;
    frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}

fn status_bar(model: &Model, frame: &mut Frame, area: Rect) {
    if let Some(input) = &model.command {
        return command_line(model, input, frame, area);
    }
    let theme = &model.options.theme;
    let mode = model.mode().name().to_uppercase();
    let mut left = vec![Span::styled(format!(" {mode} "), Style::default().add_modifier(Modifier::REVERSED))];
    if !model.list.marks.is_empty() {
        left.push(Span::styled(format!(" {} marked ", thousands(model.list.marks.count())), theme.marked()));
    }
    if model.in_flight > 0 {
        left.push(Span::raw(format!(" {} ", SPINNER[model.spinner % SPINNER.len()])));
    }
    if let Some(offline) = &model.offline {
        left.push(Span::styled(format!(" offline, retrying: {offline}"), theme.error()));
    } else if let Some(message) = model.message() {
        let style = if message.level == Level::Error { theme.error() } else { Style::default() };
        left.push(Span::styled(format!(" {}", message.text), style));
    }
    let badge = (model.session.read_only || !model.session.can_administer).then_some(" READ-ONLY ");
    let width = usize::from(area.width);
    // The right side takes the room the left leaves, so a message or the database's failure wins it, down to none
    // of it (`!` shows messages in full).
    let left_width: usize = left.iter().map(Span::width).sum();
    let total = width.saturating_sub(left_width + 1);
    let badge = badge.filter(|b| b.len() <= total);
    let room = total - badge.map_or(0, str::len);
    let who = format!("{} ({})", model.session.operator, model.session.role);
    let database = &model.session.database;
    let right_text = if room < 8 {
        String::new()
    } else if who.chars().count() + 3 + database.chars().count() < room {
        format!("{who} · {database} ")
    } else {
        // Both cut short, while the database label stays recognisable; else the operator alone.
        let short_who = clip_middle(&who, room * 3 / 5);
        let left_for_database = room.saturating_sub(short_who.chars().count() + 4);
        if left_for_database >= 12 {
            format!("{short_who} · {} ", clip_middle(database, left_for_database))
        } else {
            format!("{} ", clip_middle(&who, room - 1))
        }
    };
    let mut right = vec![Span::styled(right_text, theme.dim())];
    if let Some(badge) = badge {
        right.push(Span::styled(badge, theme.error().add_modifier(Modifier::REVERSED)));
    }
    let right_width: u16 = right.iter().map(|s| s.width() as u16).sum();
    // A space between the halves. A message too long for the bar ends in `…` and names the key that shows it whole.
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).spacing(1).areas(area);
    let room = usize::from(l.width);
    let whole = model.keymap.global_key(Action::Messages).map(|k| format!(" {k} shows all "));
    let left = match whole {
        Some(hint) if left_width > room && room > hint.len() + 20 => {
            let mut cut = clip_spans(left, room - hint.len());
            cut.push(Span::styled(hint, theme.dim()));
            cut
        }
        _ => clip_spans(left, room),
    };
    frame.render_widget(Line::from(left), l);
    frame.render_widget(Line::from(right).alignment(Alignment::Right), r);
}

/// A screen's filter line: while typing, the text and its cursor; else the filter in force, or a hint of the key
/// that starts one. Text that doesn't parse shows why, and the filter still in force: never a silent match-all.
fn filter_spans<'a>(
    model: &Model,
    (input, typing): (&'a tui_input::Input, bool),
    in_force: String,
    error: Option<&str>,
    (mode, start): (Mode, Action),
) -> Vec<Span<'a>> {
    let theme = &model.options.theme;
    let mut spans = vec![Span::raw(FILTER_LABEL)];
    let text = input.value();
    if typing {
        spans.push(Span::styled(format!("{text}▏"), theme.accent()));
    } else if error.is_some() {
        spans.push(Span::styled(text, theme.accent()));
    } else if in_force.is_empty() {
        let hint = model.keymap.key_for(mode, start).map_or(String::new(), |k| format!("({k} to filter)"));
        spans.push(Span::styled(hint, theme.dim()));
    } else {
        spans.push(Span::styled(in_force.clone(), theme.accent()));
    }
    if let Some(error) = error {
        spans.push(Span::styled(format!("  ✗ {error}"), theme.error()));
        let still = if in_force.is_empty() { "no filter".to_string() } else { in_force };
        spans.push(Span::styled(format!("  (still: {still})"), theme.dim()));
    }
    spans
}

const FILTER_LABEL: &str = " Filter: ";

/// While a filter is typed, the terminal's cursor sits in it, where typing goes.
fn filter_cursor(frame: &mut Frame, area: Rect, input: &tui_input::Input, typing: bool) {
    if typing {
        let x = area.x + FILTER_LABEL.len() as u16 + input.visual_cursor() as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// Names keys for hints such as "Esc close": the key `mode` binds to an action, `-` when none is.
fn key_names(model: &Model, mode: Mode) -> impl Fn(Action) -> String + '_ {
    move |action| model.keymap.key_for(mode, action).map_or_else(|| "-".to_string(), |k| k.to_string())
}

/// A centred box of at most `width` x `height` inside `area`, cleared for a popup.
fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16) -> Rect {
    // A popup that would leave only slivers of the screen behind it (cut words, doubled borders) covers it whole.
    let width = if area.width.saturating_sub(width) < 8 { area.width } else { width };
    let height = if area.height.saturating_sub(height) < 3 { area.height } else { height };
    let rect = area.centered(Constraint::Length(width.min(area.width)), Constraint::Length(height.min(area.height)));
    frame.render_widget(Clear, rect);
    rect
}

/// Cuts spans to `width` cells, ending with `…` when something was cut.
fn clip_spans(spans: Vec<Span<'_>>, width: usize) -> Vec<Span<'_>> {
    if spans.iter().map(Span::width).sum::<usize>() <= width {
        return spans;
    }
    let mut room = width.saturating_sub(1);
    let mut out = Vec::new();
    for span in spans {
        let w = span.width();
        if w <= room {
            room -= w;
            out.push(span);
        } else {
            let kept: String = span.content.chars().take(room).collect();
            out.push(Span::styled(format!("{kept}…"), span.style));
            break;
        }
    }
    out
}

/// Shortens text to `width` characters by cutting its middle.
fn clip_middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}…{tail}")
}
