//! The body vocabulary for typo-tolerant lookups: terms by length, with each length's terms also
//! listed by first and by last character. One edit leaves a word of three or more characters its
//! first or its last character ([`text::within_one_edit`]), so only terms sharing one of them are
//! compared, not every term of the three lengths.

use std::collections::HashMap;

use crate::text;

#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Terms by length in characters, each list in the index's (sorted) order.
    by_len: Vec<Vec<Box<str>>>,
    /// (length, first character) -> positions in `by_len[length]`, ascending.
    first: HashMap<(usize, char), Vec<u32>>,
    /// (length, last character) -> positions in `by_len[length]`, ascending.
    last: HashMap<(usize, char), Vec<u32>>,
}

impl Vocabulary {
    /// From terms in sorted order.
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut v = Vocabulary::default();
        for term in terms {
            let n = term.chars().count();
            if v.by_len.len() <= n {
                v.by_len.resize_with(n + 1, Vec::new);
            }
            let at = v.by_len[n].len() as u32;
            if let (Some(f), Some(l)) = (term.chars().next(), term.chars().next_back()) {
                v.first.entry((n, f)).or_default().push(at);
                v.last.entry((n, l)).or_default().push(at);
            }
            v.by_len[n].push(term.into());
        }
        v
    }

    /// Terms one edit away from `term` (of three or more characters), shortest first and in sorted
    /// order within a length, as a scan of every term of those lengths would give them.
    pub fn near<'a>(&'a self, term: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let n = term.chars().count();
        let (f, l) = (term.chars().next().unwrap_or(' '), term.chars().next_back().unwrap_or(' '));
        (n.saturating_sub(1)..=n + 1)
            .filter(|len| *len < self.by_len.len())
            .flat_map(move |len| {
                let a = self.first.get(&(len, f)).map_or(&[][..], Vec::as_slice);
                let b = self.last.get(&(len, l)).map_or(&[][..], Vec::as_slice);
                merge(a, b).map(move |i| &*self.by_len[len][i as usize])
            })
            .filter(move |t| text::within_one_edit(term, t))
    }
}

/// Two ascending lists merged, without repeats.
fn merge<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_finds_what_a_scan_of_every_term_finds_in_the_same_order() {
        let mut terms: Vec<String> = ["memori", "memory", "remembr", "canva", "canvas", "canvass", "browse", "brows"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for a in 'a'..='f' {
            for b in 'a'..='f' {
                terms.push(format!("{a}{b}x{a}{b}"));
                terms.push(format!("{a}{b}xx{b}"));
            }
        }
        terms.sort();
        let v = Vocabulary::new(terms.iter().map(String::as_str));
        for q in ["memmory", "memry", "canvsa", "canvas", "abxab", "baxab", "abxb", "abxxbb", "zzzzz", "browze"] {
            let n = q.chars().count();
            let mut scan: Vec<&str> =
                terms.iter().map(String::as_str).filter(|t| text::within_one_edit(q, t)).collect();
            scan.sort_by_key(|t| (t.chars().count(), *t));
            scan.retain(|t| t.chars().count() + 1 >= n && t.chars().count() <= n + 1);
            assert_eq!(v.near(q).collect::<Vec<_>>(), scan, "{q}");
        }
    }

    #[test]
    fn merge_keeps_order_without_repeats() {
        assert_eq!(merge(&[1, 3, 5], &[2, 3, 6]).collect::<Vec<_>>(), [1, 2, 3, 5, 6]);
        assert_eq!(merge(&[], &[4]).collect::<Vec<_>>(), [4]);
        assert_eq!(merge(&[4], &[]).collect::<Vec<_>>(), [4]);
    }
}
