//! "Did you mean": the closest known word to a misspelt one.

/// The candidate closest to `word`, if it is close enough to be a typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|&c| (distance(word, c), c))
        .filter(|&(d, c)| d <= 1.max(c.len() / 3) && d < word.len().max(c.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `unknown {what} `{word}`: expected one of ...` plus a suggestion.
pub(crate) fn unknown(what: &str, word: &str, candidates: &[&str]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for &c in candidates {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    let list = unique.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    match closest(word, candidates) {
        Some(best) => {
            format!("unknown {what} `{word}`: did you mean `{best}`? (expected one of {list})")
        }
        None => format!("unknown {what} `{word}`: expected one of {list}"),
    }
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let strategies = ["one_for_one", "one_for_all", "rest_for_one"];
        assert_eq!(closest("one_for_al", &strategies), Some("one_for_all"));
        assert_eq!(closest("rest_for_1", &strategies), Some("rest_for_one"));
        assert_eq!(closest("banana", &strategies), None);
        assert_eq!(closest("zz", &["a", "b"]), None);
        assert_eq!(closest("restrat", &["restart", "shutdown"]), Some("restart"));
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
