//! A gate's combined stdout and stderr, read in bounded memory: the last
//! bytes are kept for the report's tail, and lines are cut out for live
//! streaming only when they are asked for.

use std::collections::VecDeque;

use crate::redact::Redactor;

/// Bytes kept per reported line: a tail of `n` lines keeps `n` times this.
const BYTES_PER_LINE: usize = 1024;
/// Most lines a tail keeps, whatever `output_lines` asks.
const MAX_LINES: usize = 10_000;
/// Longest line streamed live; longer lines are cut into pieces this long.
const MAX_STREAMED_LINE: usize = 64 * 1024;

/// The last bytes of a stream, enough for its last `lines` lines.
#[derive(Debug)]
pub struct Tail {
    bytes: VecDeque<u8>,
    capacity: usize,
    lines: usize,
    /// Older bytes were dropped: the first line kept is a partial one.
    cut: bool,
}

impl Tail {
    /// A tail that reports the last `lines` lines.
    pub fn new(lines: usize) -> Tail {
        let capacity = lines.clamp(1, MAX_LINES) * BYTES_PER_LINE;
        Tail {
            bytes: VecDeque::with_capacity(capacity.min(64 * 1024)),
            capacity,
            lines,
            cut: false,
        }
    }

    /// Appends `chunk`, dropping the oldest bytes beyond the capacity.
    pub fn push(&mut self, chunk: &[u8]) {
        let skipped = chunk.len().saturating_sub(self.capacity);
        let chunk = &chunk[skipped..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.capacity);
        self.cut |= skipped + overflow > 0;
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
    }

    /// The last `lines` lines, secrets masked, without a trailing newline,
    /// each at most `BYTES_PER_LINE` bytes.
    pub fn into_string(self, redactor: &Redactor) -> String {
        let bytes: Vec<u8> = self.bytes.into();
        // The oldest bytes kept may start inside a character.
        let start = bytes
            .iter()
            .take(4)
            .take_while(|&&b| b & 0b1100_0000 == 0b1000_0000)
            .count();
        let text = String::from_utf8_lossy(&bytes[start..]);
        // After a cut, the first line is a piece: it could hold the end of
        // a secret, so it goes; or if it is all there is, a secret's end
        // at its start is masked.
        let text = match (self.cut, text.split_once('\n')) {
            (true, Some((_, rest))) if !rest.trim().is_empty() => redactor.redact(rest),
            (true, _) => redactor.redact_cut(&text),
            (false, _) => redactor.redact(&text),
        };
        let text = text.trim_end_matches(['\n', '\r']);
        let all: Vec<&str> = text.split('\n').collect();
        let keep = all.len().min(self.lines);
        let lines = &all[all.len() - keep..];
        lines
            .iter()
            .map(|l| shorten(l.trim_end_matches('\r')))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `line`, cut to `BYTES_PER_LINE` bytes on a character boundary, with `…`
/// where it was cut.
fn shorten(line: &str) -> String {
    if line.len() <= BYTES_PER_LINE {
        return line.to_owned();
    }
    let end = (0..=BYTES_PER_LINE)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &line[..end])
}

/// Cuts a byte stream into lines for live streaming.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Feeds `chunk`; calls `line` for every complete line.
    pub fn push(&mut self, chunk: &[u8], mut line: impl FnMut(String)) {
        for piece in chunk.split_inclusive(|&b| b == b'\n') {
            self.partial.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.partial.len() >= MAX_STREAMED_LINE {
                line(take_line(&mut self.partial));
            }
        }
    }

    /// The last, unterminated line, if any.
    pub fn finish(mut self) -> Option<String> {
        (!self.partial.is_empty()).then(|| take_line(&mut self.partial))
    }
}

fn take_line(partial: &mut Vec<u8>) -> String {
    let text = String::from_utf8_lossy(partial)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    partial.clear();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut tail = Tail::new(2);
        tail.push(b"one\ntwo\nthree\n");
        assert_eq!(tail.into_string(&Redactor::default()), "two\nthree");
    }

    #[test]
    fn tail_memory_is_bounded() {
        let mut tail = Tail::new(3);
        for i in 0..100_000 {
            tail.push(format!("line {i}\n").as_bytes());
        }
        assert!(tail.bytes.len() <= 3 * BYTES_PER_LINE);
        assert_eq!(
            tail.into_string(&Redactor::default()),
            "line 99997\nline 99998\nline 99999"
        );
    }

    #[test]
    fn tail_of_one_huge_chunk() {
        let mut tail = Tail::new(1);
        tail.push(&vec![b'x'; 10 * BYTES_PER_LINE]);
        assert_eq!(
            tail.into_string(&Redactor::default()),
            "x".repeat(BYTES_PER_LINE)
        );
    }

    #[test]
    fn tail_starts_on_a_character_boundary_and_caps_lines() {
        let mut tail = Tail::new(2);
        tail.push("é".repeat(2 * BYTES_PER_LINE).as_bytes());
        let text = tail.into_string(&Redactor::default());
        assert!(text.ends_with('…'), "{text}");
        assert!(!text.starts_with('\u{FFFD}'), "{text}");
        assert!(text.len() <= BYTES_PER_LINE + "…".len());
    }

    #[test]
    fn a_huge_output_lines_setting_is_capped() {
        assert_eq!(Tail::new(usize::MAX).capacity, MAX_LINES * BYTES_PER_LINE);
    }

    #[test]
    fn tail_of_nothing_is_empty() {
        assert_eq!(Tail::new(5).into_string(&Redactor::default()), "");
    }

    #[test]
    fn tail_of_zero_lines_is_empty() {
        let mut tail = Tail::new(0);
        tail.push(b"a\nb\n");
        assert_eq!(tail.into_string(&Redactor::default()), "");
    }

    #[test]
    fn splitter_joins_lines_across_chunks() {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        splitter.push(b"ab", |l| lines.push(l));
        splitter.push(b"c\r\nd\ne", |l| lines.push(l));
        assert_eq!(lines, ["abc", "d"]);
        assert_eq!(splitter.finish().as_deref(), Some("e"));
    }
}
