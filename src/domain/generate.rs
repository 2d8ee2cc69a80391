//! Random codes from the OS CSPRNG over an alphabet without the look-alikes 0, O, 1 and I.

use rand::TryRng;
use rand::rngs::SysRng;

/// 32 symbols: 256 is a multiple of 32, so `byte % 32` picks each one with the same chance.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// How a fresh code is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeShape {
    pub prefix: String,
    pub random_len: usize,
}

/// Draws `count` codes of `shape`; repeats of a symbol are allowed. Fails only when the OS has no randomness.
pub fn random_codes(shape: &CodeShape, count: usize) -> Result<Vec<String>, rand::rngs::SysError> {
    let mut bytes = vec![0u8; shape.random_len * count];
    SysRng.try_fill_bytes(&mut bytes)?;
    Ok(bytes
        .chunks(shape.random_len.max(1))
        .take(count)
        .map(|chunk| {
            let mut code = shape.prefix.clone();
            code.extend(chunk.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char));
            code
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate;

    #[test]
    fn codes_use_only_the_alphabet_and_pass_validation() {
        let shape = CodeShape { prefix: String::new(), random_len: 5 };
        let codes = random_codes(&shape, 2000).unwrap();
        assert_eq!(codes.len(), 2000);
        for code in &codes {
            assert_eq!(code.len(), 5);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I']));
            assert_eq!(validate::code(code).as_deref(), Ok(code.as_str()));
        }
    }

    #[test]
    fn every_symbol_turns_up() {
        let shape = CodeShape { prefix: "P-".into(), random_len: 8 };
        let codes = random_codes(&shape, 500).unwrap();
        assert!(codes.iter().all(|c| c.starts_with("P-") && c.len() == 10));
        for symbol in ALPHABET {
            assert!(codes.iter().any(|c| c.as_bytes()[2..].contains(symbol)), "{}", *symbol as char);
        }
    }
}
