//! The create/edit form: one line per field, its check or hint right under it.

use super::{key_names, popup};
use crate::tui::keymap::{Action, Mode};
use crate::tui::layout::wrapped_lines;
use crate::tui::model::{Field, FormState, Model};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

const LABEL: u16 = 14;

pub fn draw(model: &Model, form: &FormState, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let title = match &form.editing {
        Some(code) => format!(" Edit {} ", code.code),
        None => " New code ".to_string(),
    };
    let rect = popup(frame, area, 76, 20);
    // The keys stand in the bottom border, so that they show however short the terminal (60x16 leaves the fields
    // no line to spare).
    let key = key_names(model, Mode::Form);
    let hints = [
        (key(Action::Save), "save", "save"),
        (key(Action::Cancel), "cancel", "cancel"),
        (key(Action::ParkForm), "park it, visit Settings", "park"),
        (key(Action::NextField), "next field", "next"),
        (key(Action::RandomCode), "random code", "random"),
    ];
    let help = fit_hints(&hints, usize::from(rect.width.saturating_sub(4)));
    let block = Block::bordered()
        .title(Line::styled(title, theme.accent()))
        .title_bottom(Line::styled(format!(" {help} "), theme.dim()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    // A field takes its line and its note; an error note wraps over up to three lines, as the rules explain
    // themselves at length.
    let note_width = usize::from(inner.width.saturating_sub(LABEL));
    let heights = Field::ALL.map(|f| {
        let lines = form.errors.get(&f).map_or(1, |e| wrapped_lines(e, note_width).min(3));
        Constraint::Length(1 + lines as u16)
    });
    let mut rows = Layout::vertical(heights.into_iter().chain([Constraint::Fill(1)])).split(inner).to_vec();
    let failure_area = rows.pop().unwrap_or_default();
    for (field, slot) in Field::ALL.into_iter().zip(rows) {
        draw_field(model, form, field, frame, slot);
    }
    if let Some(failure) = &form.failure {
        frame.render_widget(
            Paragraph::new(failure.as_str()).style(theme.error()).wrap(Wrap { trim: true }),
            failure_area,
        );
    } else if form.saving.is_some() {
        frame.render_widget(Line::styled("Saving…", theme.dim()), failure_area);
    }
}

/// `key what` hints that fit `width`: with the long words, else the short ones, else as many of the first (most
/// needed) hints as fit.
fn fit_hints(hints: &[(String, &str, &str)], width: usize) -> String {
    let join = |long: bool, n: usize| {
        let words = hints.iter().take(n).map(|(key, l, s)| format!("{key} {}", if long { l } else { s }));
        words.collect::<Vec<_>>().join(" · ")
    };
    [join(true, hints.len()), join(false, hints.len())]
        .into_iter()
        .chain((1..hints.len()).rev().map(|n| join(false, n)))
        .find(|line| line.chars().count() <= width)
        .unwrap_or_default()
}

fn draw_field(model: &Model, form: &FormState, field: Field, frame: &mut Frame, area: Rect) {
    let theme = &model.options.theme;
    let focused = form.focus == field;
    let [line, note] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let [label_area, value_area] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(line);
    let label_style = if focused { theme.accent() } else { Style::default() };
    frame.render_widget(
        Line::styled(format!("{}{}", if focused { "▸ " } else { "  " }, field.label()), label_style),
        label_area,
    );
    let value_style = if focused { Style::default().add_modifier(Modifier::UNDERLINED) } else { Style::default() };
    match field {
        Field::Active => {
            let mark = if form.active { "[x] active" } else { "[ ] inactive" };
            frame.render_widget(Line::styled(mark, value_style), value_area);
        }
        Field::Beneficiary => {
            let text = form.beneficiary.as_ref().map_or("none", |(_, email)| email.as_str());
            frame.render_widget(Line::styled(text, value_style), value_area);
        }
        _ => {
            if let Some(input) = form.input(field) {
                let width = value_area.width.max(1) as usize;
                let scroll = input.visual_scroll(width);
                // Selected text (on entry) shows reversed: typing replaces it.
                let text_style = if focused && form.selected { theme.cursor() } else { Style::default() };
                let text = Paragraph::new(Span::styled(input.value(), text_style));
                frame.render_widget(text.style(value_style).scroll((0, scroll as u16)), value_area);
                if focused && model.confirm.is_none() && model.picker.is_none() && model.help.is_none() {
                    let x = value_area.x + (input.visual_cursor().saturating_sub(scroll)) as u16;
                    frame.set_cursor_position((x.min(value_area.right().saturating_sub(1)), value_area.y));
                }
            }
        }
    }
    let note_area = Rect { x: note.x + LABEL, width: note.width.saturating_sub(LABEL), ..note };
    let key = key_names(model, Mode::Form);
    let hint = match field {
        Field::Code if form.editing.is_none() && form.code.value().trim().is_empty() => {
            let draw = key(Action::RandomCode);
            let hint = format!("empty: a random code is drawn ({draw} draws one now)");
            // The gist where the whole would be cut (60 columns).
            let fits = hint.chars().count() <= usize::from(note_area.width);
            Some(if fits { hint } else { format!("empty: random · {draw} draws one") })
        }
        Field::Expiration => form.expiration_hint.clone(),
        Field::Beneficiary if focused => {
            Some(format!("{} picks a user · {} clears", key(Action::Pick), key(Action::ClearBeneficiary)))
        }
        Field::Active if focused => Some(format!("{} switches", key(Action::Pick))),
        _ => None,
    };
    if let Some(error) = form.errors.get(&field) {
        frame.render_widget(Paragraph::new(error.as_str()).style(theme.error()).wrap(Wrap { trim: true }), note_area);
    } else if let Some(hint) = hint {
        frame.render_widget(Line::styled(hint, theme.dim()), note_area);
    }
}
