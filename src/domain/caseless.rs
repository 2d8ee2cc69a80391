//! What "without case" means for a text filter: two characters are the same letter when Unicode's simple lower-case
//! mapping takes them to the same character. That is PostgreSQL's reading (its ILIKE lowers both sides a character
//! at a time with the C library's `towlower`), so the other backends and the model follow it: `İ` finds `I` and
//! `i`, `i` finds `İ`, while `ſ` stays apart from `s` (only case *folding* joins those).

use std::collections::HashMap;
use std::sync::OnceLock;

/// The simple lower-case mapping of `c`. Rust's `to_lowercase` is the full mapping, which differs from the simple
/// one only for `İ` (full: `i` and a combining dot; simple: `i`), so its first character is the simple mapping.
pub fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Every character that is the same letter as `c` (itself included), in code point order.
pub fn same_letter(c: char) -> Vec<char> {
    static CLASSES: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    let classes = CLASSES.get_or_init(|| {
        let mut classes: HashMap<char, Vec<char>> = HashMap::new();
        for other in (0..=char::MAX as u32).filter_map(char::from_u32) {
            let lowered = lower(other);
            if lowered != other {
                classes.entry(lowered).or_insert_with(|| vec![lowered]).push(other);
            }
        }
        for class in classes.values_mut() {
            class.sort_unstable();
        }
        classes
    });
    classes.get(&lower(c)).cloned().unwrap_or_else(|| vec![c])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_capital_i_is_the_letter_i() {
        assert_eq!(lower('İ'), 'i');
        assert_eq!(same_letter('i'), ['I', 'i', 'İ']);
        assert_eq!(same_letter('İ'), same_letter('I'));
    }

    #[test]
    fn case_folding_only_pairs_stay_apart() {
        assert_ne!(lower('ſ'), lower('s'));
        assert_eq!(same_letter('ſ'), ['ſ']);
        assert_eq!(same_letter('ı'), ['ı']);
        assert_eq!(same_letter('ǅ'), ['Ǆ', 'ǅ', 'ǆ']);
        assert_eq!(same_letter('-'), ['-']);
    }
}
