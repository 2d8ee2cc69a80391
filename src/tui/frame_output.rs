//! What a frame sends to the terminal: its bytes held until the frame is done, then sent whole inside one
//! synchronized update, or not at all when they repeat the frame before. ratatui writes a cursor command and colour
//! resets on every draw even when no cell changed, so an idle dashboard, drawn on each tick for its clock, sent a
//! frame of ~30 bytes four times a second over SSH for nothing.

use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use std::io::{self, Write};

/// The writer under the dashboard's ratatui backend.
pub struct FrameOutput<W: Write> {
    out: W,
    pending: Vec<u8>,
    last: Vec<u8>,
}

impl<W: Write> FrameOutput<W> {
    pub fn new(out: W) -> FrameOutput<W> {
        FrameOutput { out, pending: Vec::new(), last: Vec::new() }
    }

    /// Sends what was written since the last frame, unless it is the last frame's bytes again: those were the last
    /// written, so the screen already shows what they would draw. Returns whether anything was sent.
    pub fn end_frame(&mut self) -> io::Result<bool> {
        if self.pending == self.last {
            self.pending.clear();
            return Ok(false);
        }
        // The terminal shows the frame whole, without flicker over SSH.
        crossterm::queue!(self.out, BeginSynchronizedUpdate)?;
        self.out.write_all(&self.pending)?;
        crossterm::execute!(self.out, EndSynchronizedUpdate)?;
        std::mem::swap(&mut self.last, &mut self.pending);
        self.pending.clear();
        Ok(true)
    }

    /// After the terminal was given away (Ctrl-Z), what it shows is unknown: the next frame is sent even if it
    /// repeats the last.
    pub fn forget(&mut self) {
        self.last.clear();
    }
}

impl<W: Write> Write for FrameOutput<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// Held until [`FrameOutput::end_frame`]: ratatui flushes its backend at the end of each draw.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::FrameOutput;
    use std::io::Write;

    const BEGIN: &[u8] = b"\x1b[?2026h";
    const END: &[u8] = b"\x1b[?2026l";

    fn framed(bytes: &[u8]) -> Vec<u8> {
        [BEGIN, bytes, END].concat()
    }

    #[test]
    fn a_frame_is_sent_whole_and_a_repeated_one_not_at_all() {
        let mut output = FrameOutput::new(Vec::new());
        output.write_all(b"cells").unwrap();
        output.flush().unwrap();
        assert!(output.out.is_empty(), "nothing goes out before the frame ends");
        assert!(output.end_frame().unwrap());
        assert_eq!(output.out, framed(b"cells"));
        // An idle frame: the same cursor command and resets, twice.
        for sent in [true, false, false] {
            output.write_all(b"reset+cursor").unwrap();
            assert_eq!(output.end_frame().unwrap(), sent);
        }
        assert_eq!(output.out, [framed(b"cells"), framed(b"reset+cursor")].concat());
        // A frame that repeats an older one, not the last, is sent: the screen changed since.
        output.write_all(b"cells").unwrap();
        assert!(output.end_frame().unwrap());
        assert!(output.out.ends_with(&framed(b"cells")));
        let sent = output.out.len();
        output.forget();
        output.write_all(b"cells").unwrap();
        assert!(output.end_frame().unwrap(), "after a suspend the screen is drawn again");
        assert_eq!(output.out.len(), sent + framed(b"cells").len());
    }
}
