//! Comparing JSON texts token by token: whether two texts are the same JSON
//! apart from the whitespace between tokens, and a text without that whitespace.

/// Whether `a` and `b` are the same JSON text, whitespace between tokens aside.
pub(crate) fn same_json_text(a: &[u8], b: &[u8]) -> bool {
    let (mut at_a, mut at_b) = (0, 0);
    loop {
        match (next_token(a, &mut at_a), next_token(b, &mut at_b)) {
            (None, None) => return true,
            (Some(token_a), Some(token_b)) if token_a == token_b => {}
            _ => return false,
        }
    }
}

/// The token of JSON text at `at` after any whitespace (a whole string, or
/// one byte of anything else), moving `at` past it.
fn next_token<'a>(text: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    while text.get(*at).is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t')) {
        *at += 1;
    }
    let start = *at;
    *at = match text.get(start)? {
        b'"' => string_end(text, start),
        _ => start + 1,
    };
    Some(&text[start..*at])
}

/// The position after the string that starts (with its quote) at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(offset) = text
        .get(at..)
        .and_then(|rest| rest.iter().position(|b| matches!(b, b'"' | b'\\')))
    {
        at += offset;
        if text[at] == b'"' {
            return at + 1;
        }
        at += 2;
    }
    text.len()
}

/// JSON text without the whitespace between its tokens (the same JSON).
pub(crate) fn without_whitespace(text: &str) -> Box<str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let end = match byte {
            b' ' | b'\n' | b'\r' | b'\t' => {
                at += 1;
                continue;
            }
            b'"' => string_end(bytes, at),
            // Everything up to the next whitespace or string is copied as it is.
            _ => bytes[at..]
                .iter()
                .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"'))
                .map_or(bytes.len(), |n| at + n),
        };
        out.extend_from_slice(&bytes[at..end]);
        at = end;
    }
    // Only ASCII whitespace was left out, so the text is still UTF-8.
    String::from_utf8(out).map_or_else(|_| text.into(), String::into_boxed_str)
}
