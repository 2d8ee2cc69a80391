//! Colours from the `[theme]` section; with NO_COLOR every colour goes and modifiers carry the meaning.

use crate::domain::CodeStatus;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

/// The `[theme]` section: each colour by name, or empty for the preset's (`[dashboard] theme`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    pub accent: String,
    pub active: String,
    pub inactive: String,
    pub expired: String,
    pub limit_reached: String,
    pub marked: String,
    pub error: String,
}

/// The presets: colours that read well on a dark background, and on a light one (no yellow or cyan text there).
/// No text is in colour 8 (dark gray), which some dark themes draw as their background; Inactive is a colour of its
/// own, never the ordinary text's gray.
const DARK: [&str; 7] = ["cyan", "green", "blue", "red", "yellow", "magenta", "red"];
const LIGHT: [&str; 7] = ["#0550ae", "#1a7f37", "#8250df", "#cf222e", "#9a6700", "#bf3989", "#cf222e"];

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
    /// Reads the colours: those `config` names, the rest from the preset (`dark` or `light`).
    pub fn from_config(preset: &str, config: &ThemeConfig) -> Result<Theme, String> {
        let preset_colours = match preset {
            "dark" => DARK,
            "light" => LIGHT,
            other => return Err(format!("dashboard.theme must be dark or light, not {other:?}")),
        };
        let named = [
            ("accent", &config.accent),
            ("active", &config.active),
            ("inactive", &config.inactive),
            ("expired", &config.expired),
            ("limit_reached", &config.limit_reached),
            ("marked", &config.marked),
            ("error", &config.error),
        ];
        let mut colours = [None; 7];
        for (i, (name, value)) in named.into_iter().enumerate() {
            let value = if value.trim().is_empty() { preset_colours[i] } else { value.trim() };
            colours[i] =
                Some(Color::from_str(value).map_err(|_| format!("[theme] {name} = {value:?} is not a colour"))?);
        }
        let [accent, active, inactive, expired, limit_reached, marked, error] = colours;
        Ok(Theme { accent, active, inactive, expired, limit_reached, marked, error })
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

    /// Hints: the ordinary text colour, faint, so they read on dark and light backgrounds alike.
    pub fn dim(&self) -> Style {
        if self.accent.is_none() { Style::default() } else { Style::default().add_modifier(Modifier::DIM) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides() {
        let dark = Theme::from_config("dark", &ThemeConfig::default()).unwrap();
        assert_eq!(dark.inactive, Some(Color::Blue));
        let light = Theme::from_config("light", &ThemeConfig::default()).unwrap();
        assert_ne!(light.accent, dark.accent);
        let mine = ThemeConfig { accent: "magenta".into(), ..ThemeConfig::default() };
        assert_eq!(Theme::from_config("light", &mine).unwrap().accent, Some(Color::Magenta));
        assert!(Theme::from_config("solarized", &ThemeConfig::default()).unwrap_err().contains("dark or light"));
        let bad = ThemeConfig { error: "reddish".into(), ..ThemeConfig::default() };
        assert!(Theme::from_config("dark", &bad).unwrap_err().contains("error"));
        // No text in colour 8, in either preset.
        for theme in [dark, light] {
            let all = [theme.accent, theme.active, theme.inactive, theme.expired, theme.limit_reached, theme.marked];
            assert!(all.iter().all(|c| *c != Some(Color::DarkGray)));
        }
    }
}
