//! PNG screenshots of the dashboard's main screens, drawn by the real `view` into a `TestBackend` from the same
//! deterministic states as the snapshot tests (`examples/common`), then turned into SVG and rendered with resvg
//! and the DejaVu Sans Mono font the `dejavu` crate ships, so no installed font is needed.
//!
//! ```text
//! cargo run --example screenshots          # writes screenshots/*.png
//! cargo run --example screenshots -- --svg # also writes the SVG beside each PNG
//! ```

mod common;

use ratatui::backend::TestBackend;
use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

/// The terminal most screenshots are taken in.
const SIZE: (u16, u16) = (120, 32);
/// The terminal an admin over SSH often has: the screens as they first meet them.
const SMALL: (u16, u16) = (80, 24);

/// The states shown, by file name, and the terminal each is taken in.
const SHOTS: [(&str, common::Build, (u16, u16)); 14] = [
    ("codes", common::codes_marked, SIZE),
    ("form", common::form_invalid, SIZE),
    ("detail", common::detail_usage, SIZE),
    ("stats", common::stats, SIZE),
    ("settings", common::settings, SIZE),
    ("help", common::help, SIZE),
    ("confirm", common::confirm_delete, SIZE),
    ("history", common::history, SIZE),
    ("detail-history", common::detail_history, SIZE),
    ("codes-80x24", common::codes_marked, SMALL),
    ("form-80x24", common::form_new, SMALL),
    ("stats-80x24", common::stats, SMALL),
    ("import-80x24", common::import_summary, SMALL),
    ("history-80x24", common::history, SMALL),
];

/// Pixels of one terminal cell, the font size, where the baseline sits in a cell, and the margin around the screen.
const CELL_W: u32 = 10;
const CELL_H: u32 = 20;
const FONT_SIZE: u32 = 16;
const BASELINE: u32 = 15;
const MARGIN: u32 = 10;

const FONT: &str = "DejaVu Sans Mono";
const DEFAULT_FG: &str = "#c8ccd4";
const DEFAULT_BG: &str = "#1b1e24";

fn main() -> Result<(), Box<dyn Error>> {
    let write_svg = std::env::args().any(|a| a == "--svg");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&out)?;
    let mut options = resvg::usvg::Options { font_family: FONT.to_string(), ..Default::default() };
    let fonts = options.fontdb_mut();
    fonts.load_font_data(dejavu::sans_mono::regular().to_vec());
    fonts.load_font_data(dejavu::sans_mono::bold().to_vec());
    // For any glyph the mono face lacks; each glyph is placed on its cell, so the grid holds either way.
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.load_font_data(dejavu::sans::bold().to_vec());
    for (name, build, size) in SHOTS {
        let terminal = build(size).render();
        let svg = to_svg(terminal.backend());
        if write_svg {
            std::fs::write(out.join(format!("{name}.svg")), &svg)?;
        }
        let tree = resvg::usvg::Tree::from_str(&svg, &options)?;
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("an empty picture")?;
        resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
        let path = out.join(format!("{name}.png"));
        std::fs::write(&path, encode(&pixmap)?)?;
        println!("{}", path.display());
    }
    Ok(())
}

/// The picture as PNG: indexed when it has at most 256 colours, else RGB (it is opaque), compressed hard.
fn encode(pixmap: &resvg::tiny_skia::Pixmap) -> Result<Vec<u8>, Box<dyn Error>> {
    let rgb: Vec<[u8; 3]> = pixmap
        .pixels()
        .iter()
        .map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue()]
        })
        .collect();
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut index: std::collections::HashMap<[u8; 3], u8> = std::collections::HashMap::new();
    let mut indexed = Vec::with_capacity(rgb.len());
    for c in &rgb {
        let i = match index.get(c) {
            Some(i) => *i,
            None if palette.len() < 256 => {
                palette.push(*c);
                index.insert(*c, (palette.len() - 1) as u8);
                (palette.len() - 1) as u8
            }
            None => {
                palette.clear();
                break;
            }
        };
        indexed.push(i);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_compression(png::Compression::High);
    encoder.set_filter(png::Filter::Adaptive);
    if palette.is_empty() {
        encoder.set_color(png::ColorType::Rgb);
        let data: Vec<u8> = rgb.into_iter().flatten().collect();
        encoder.write_header()?.write_image_data(&data)?;
    } else {
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_palette(palette.into_iter().flatten().collect::<Vec<u8>>());
        encoder.write_header()?.write_image_data(&indexed)?;
    }
    Ok(out)
}

/// A colour as the screenshot shows it: a dark terminal palette for the named colours.
fn colour(color: Color) -> Option<String> {
    const ANSI: [&str; 16] = [
        "#2c313a", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#abb2bf", "#6b7280", "#ff8b94",
        "#b5e890", "#f0d197", "#8ac7ff", "#dc9df0", "#80d8e3", "#ffffff",
    ];
    let ansi = |i: usize| Some(ANSI[i].to_string());
    match color {
        Color::Reset => None,
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i @ 0..16) => ansi(usize::from(i)),
        Color::Indexed(i @ 16..232) => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let i = i - 16;
            Some(format!("#{:02x}{:02x}{:02x}", level(i / 36), level(i / 6 % 6), level(i % 6)))
        }
        Color::Indexed(i) => {
            let v = 8 + (i - 232) * 10;
            Some(format!("#{v:02x}{v:02x}{v:02x}"))
        }
    }
}

/// How a cell is painted: colours resolved, reverse video applied.
struct Look {
    fg: String,
    bg: String,
    bold: bool,
    italic: bool,
    dim: bool,
    underline: bool,
    hidden: bool,
}

/// What a glyph is drawn with; the glyphs of a row that share it make one text.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Ink {
    fg: String,
    bold: bool,
    italic: bool,
    dim: bool,
}

fn look(cell: &Cell, cursor: bool) -> Look {
    let m = cell.modifier;
    let mut fg = colour(cell.fg).unwrap_or_else(|| DEFAULT_FG.to_string());
    let mut bg = colour(cell.bg).unwrap_or_else(|| DEFAULT_BG.to_string());
    // The terminal's block cursor shows as reverse video, like REVERSED itself.
    if m.contains(Modifier::REVERSED) != cursor {
        std::mem::swap(&mut fg, &mut bg);
    }
    Look {
        fg,
        bg,
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        dim: m.contains(Modifier::DIM),
        underline: m.contains(Modifier::UNDERLINED),
        hidden: m.contains(Modifier::HIDDEN),
    }
}

/// Line-drawing characters drawn as rectangles, so borders join across cells whatever the font's metrics:
/// which of left, right, up and down each one reaches, and whether its lines are double.
fn lines_of(symbol: &str) -> Option<([bool; 4], bool)> {
    Some(match symbol {
        "─" => ([true, true, false, false], false),
        "│" => ([false, false, true, true], false),
        "┌" => ([false, true, false, true], false),
        "┐" => ([true, false, false, true], false),
        "└" => ([false, true, true, false], false),
        "┘" => ([true, false, true, false], false),
        "├" => ([false, true, true, true], false),
        "┤" => ([true, false, true, true], false),
        "┬" => ([true, true, false, true], false),
        "┴" => ([true, true, true, false], false),
        "┼" => ([true, true, true, true], false),
        "═" => ([true, true, false, false], true),
        "║" => ([false, false, true, true], true),
        _ => return None,
    })
}

fn rect(svg: &mut String, x: u32, y: u32, w: u32, h: u32, fill: &str) {
    let _ = writeln!(svg, r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>"#);
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The buffer as SVG: a rect per run of background, rectangles for line drawing, and a text per style and row
/// with every glyph placed on its cell.
fn to_svg(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let area = buffer.area;
    let cursor = backend.cursor_visible().then(|| backend.cursor_position());
    let (width, height) = (u32::from(area.width) * CELL_W + 2 * MARGIN, u32::from(area.height) * CELL_H + 2 * MARGIN);
    let mut back = String::new();
    let mut marks = String::new();
    let mut text = String::new();
    for y in 0..area.height {
        let top = MARGIN + u32::from(y) * CELL_H;
        let mut run: Option<(u32, u32, String)> = None;
        let mut glyphs: BTreeMap<Ink, Vec<(u32, String)>> = BTreeMap::new();
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let left = MARGIN + u32::from(x) * CELL_W;
            let look = look(cell, cursor.is_some_and(|c| c.x == x && c.y == y));
            // Background runs.
            match &mut run {
                Some((_, w, bg)) if *bg == look.bg => *w += CELL_W,
                _ => {
                    if let Some((rx, w, bg)) = run.take()
                        && bg != DEFAULT_BG
                    {
                        rect(&mut back, rx, top, w, CELL_H, &bg);
                    }
                    run = Some((left, CELL_W, look.bg.clone()));
                }
            }
            if look.hidden {
                continue;
            }
            if look.underline {
                rect(&mut marks, left, top + CELL_H - 3, CELL_W, 1, &look.fg);
            }
            let symbol = cell.symbol();
            let (cx, cy) = (left + CELL_W / 2 - 1, top + CELL_H / 2 - 1);
            if let Some(([l, r, u, d], double)) = lines_of(symbol) {
                let offsets: &[i32] = if double { &[-2, 2] } else { &[0] };
                for &o in offsets {
                    let (hy, vx) = (cy.saturating_add_signed(o), cx.saturating_add_signed(o));
                    if l || r {
                        let from = if l { left } else { cx };
                        let to = if r { left + CELL_W } else { cx + 1 };
                        rect(&mut marks, from, hy, to - from, 1, &look.fg);
                    }
                    if u || d {
                        let from = if u { top } else { cy };
                        let to = if d { top + CELL_H } else { cy + 1 };
                        rect(&mut marks, vx, from, 1, to - from, &look.fg);
                    }
                }
                continue;
            }
            // Block elements too, so a bar chart's columns stack without gaps.
            let eighths = symbol.chars().next().map_or(0, |c| match c {
                '▁'..='█' => c as u32 - '▁' as u32 + 1,
                _ => 0,
            });
            match symbol {
                _ if eighths > 0 => {
                    let h = CELL_H * eighths / 8;
                    rect(&mut marks, left, top + CELL_H - h, CELL_W, h, &look.fg);
                }
                "▏" => rect(&mut marks, left, top + 1, 2, CELL_H - 2, &look.fg),
                s if s.trim().is_empty() => {}
                s => {
                    let ink = Ink { fg: look.fg.clone(), bold: look.bold, italic: look.italic, dim: look.dim };
                    glyphs.entry(ink).or_default().push((left, s.to_string()));
                }
            }
        }
        if let Some((rx, w, bg)) = run
            && bg != DEFAULT_BG
        {
            rect(&mut back, rx, top, w, CELL_H, &bg);
        }
        let baseline = top + BASELINE;
        for (Ink { fg, bold, italic, dim }, cells) in glyphs {
            let mut attrs = format!(r#"y="{baseline}" fill="{fg}""#);
            if bold {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if italic {
                attrs.push_str(r#" font-style="italic""#);
            }
            if dim {
                attrs.push_str(r#" fill-opacity="0.6""#);
            }
            // One glyph per x: a symbol of several code points gets a text of its own.
            let (single, several): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(_, s)| s.chars().count() == 1);
            if !single.is_empty() {
                let xs: Vec<String> = single.iter().map(|(x, _)| x.to_string()).collect();
                let chars: String = single.iter().map(|(_, s)| s.as_str()).collect();
                let _ = writeln!(text, r#"<text x="{}" {attrs}>{}</text>"#, xs.join(" "), escape(&chars));
            }
            for (x, s) in several {
                let _ = writeln!(text, r#"<text x="{x}" {attrs}>{}</text>"#, escape(&s));
            }
        }
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>
{back}{marks}<g font-family="{FONT}" font-size="{FONT_SIZE}">
{text}</g>
</svg>
"#
    )
}
