//! Colours from the `[theme]` section; with NO_COLOR every colour goes and modifiers carry the meaning.

use crate::domain::CodeStatus;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub accent: String,
    pub active: String,
    pub inactive: String,
    pub expired: String,
    pub limit_reached: String,
    pub marked: String,
    pub error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub accent: Option<Color>,
    pub active: Option<Color>,
    pub inactive: Option<Color>,
    pub expired: Option<Color>,
    pub limit_reached: Option<Color>,
    pub marked: Option<Color>,
    pub error: Option<Color>,
}

impl Theme {
    /// Reads the colours.
    pub fn from_config(config: &ThemeConfig) -> Result<Theme, String> {
        let color = |name: &str, value: &str| -> Result<Option<Color>, String> {
            Color::from_str(value).map(Some).map_err(|_| format!("[theme] {name} = {value:?} is not a colour"))
        };
        Ok(Theme {
            accent: color("accent", &config.accent)?,
            active: color("active", &config.active)?,
            inactive: color("inactive", &config.inactive)?,
            expired: color("expired", &config.expired)?,
            limit_reached: color("limit_reached", &config.limit_reached)?,
            marked: color("marked", &config.marked)?,
            error: color("error", &config.error)?,
        })
    }

    /// No colours at all, as under NO_COLOR.
    pub fn plain() -> Theme {
        Theme {
            accent: None,
            active: None,
            inactive: None,
            expired: None,
            limit_reached: None,
            marked: None,
            error: None,
        }
    }

    fn fg(color: Option<Color>) -> Style {
        color.map_or_else(Style::default, |c| Style::default().fg(c))
    }

    pub fn accent(&self) -> Style {
        Theme::fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.accent.is_none() { Style::default() } else { Style::default().fg(Color::DarkGray) }
    }

    pub fn error(&self) -> Style {
        Theme::fg(self.error).add_modifier(Modifier::BOLD)
    }

    pub fn marked(&self) -> Style {
        Theme::fg(self.marked).add_modifier(Modifier::BOLD)
    }

    /// The cursor row: reverse video, which every terminal shows, colour or not.
    pub fn cursor(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn status(&self, status: CodeStatus) -> Style {
        let color = match status {
            CodeStatus::Active => self.active,
            CodeStatus::Inactive => self.inactive,
            CodeStatus::Expired => self.expired,
            CodeStatus::LimitReached => self.limit_reached,
        };
        Theme::fg(color).add_modifier(Modifier::BOLD)
    }
}
