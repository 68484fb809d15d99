//! Finding households fast: by name (汉字), pinyin initials (`zs` → 张三),
//! full pinyin (`zhangsan`), the last 4+ digits of the ID number, or address
//! text. Shared by the app's find box and `huitoukan show`.

use crate::form::value::normalize_ascii;
use crate::model::Summary;
use pinyin::ToPinyin;

/// What a search found: the total and the first `limit`, by place and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Found {
    pub total: usize,
    pub shown: Vec<Summary>,
}

/// Summaries searched at a time by [`find`].
const CHUNK: usize = 50_000;

/// Searches summaries as they stream by, `CHUNK` at a time (a large store is
/// never held at once), keeping those `keep` allows; the first `limit` hits
/// are returned sorted by place, name and key.
pub fn find<E>(
    summaries: impl Iterator<Item = Result<Summary, E>>,
    query: &Query,
    limit: usize,
    keep: &dyn Fn(&Summary) -> bool,
) -> Result<Found, E> {
    let mut found = Found::default();
    let mut chunk = Vec::new();
    let search = |chunk: &mut Vec<Summary>, found: &mut Found| {
        // Only pinyin needs the index (each name's initials); building it is most of the scan's cost.
        let index = if matches!(query, Query::Pinyin(_)) { Index::build(chunk) } else { Index::build(&[]) };
        let hits = index.search(chunk, query, None);
        found.total += hits.len();
        let room = limit.saturating_sub(found.shown.len());
        found.shown.extend(hits.into_iter().take(room).map(|i| chunk[i].clone()));
        chunk.clear();
    };
    for s in summaries {
        let s = s?;
        if keep(&s) {
            chunk.push(s);
        }
        if chunk.len() == CHUNK {
            search(&mut chunk, &mut found);
        }
    }
    search(&mut chunk, &mut found);
    found.shown.sort_by(|a, b| a.place.cmp(&b.place).then(a.head.cmp(&b.head)).then(a.key.cmp(&b.key)));
    Ok(found)
}

/// What a query string asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Query {
    /// ASCII letters: pinyin initials or full pinyin of the head's name.
    Pinyin(String),
    /// Digits (and a final X): a full ID number, or its last 4+ digits.
    IdDigits(String),
    /// Anything else: part of the name or the address.
    Text(String),
}

impl Query {
    /// Classifies a query; `None` when there is nothing to search for yet.
    pub fn parse(raw: &str) -> Option<Query> {
        let t: String = normalize_ascii(raw).chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() {
            return None;
        }
        // The X is the 18th character: the last of an ID number, or before
        // the category and level digits of a 20-digit disability certificate.
        let n = t.chars().count();
        let digits_x =
            t.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || ((i + 1 == n || (n == 20 && i == 17)) && matches!(c, 'x' | 'X')));
        if digits_x && t.chars().any(|c| c.is_ascii_digit()) {
            return Some(Query::IdDigits(t.to_ascii_uppercase()));
        }
        if t.chars().all(|c| c.is_ascii_alphabetic()) {
            return Some(Query::Pinyin(t.to_ascii_lowercase()));
        }
        Some(Query::Text(t))
    }

    /// Whether the query is specific enough to run (ID digits need at least 4).
    pub fn is_ready(&self) -> bool {
        match self {
            Query::IdDigits(d) => d.len() >= 4,
            _ => true,
        }
    }
}

/// Pinyin keys of one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Keys {
    initials: String,
    full: String,
}

/// Pinyin initials and full pinyin of a name (`张三` → `zs`, `zhangsan`),
/// as the find box matches them; the store's pinyin indexes hold these.
pub fn pinyin_keys(name: &str) -> (String, String) {
    let k = keys_of(name);
    (k.initials, k.full)
}

fn keys_of(name: &str) -> Keys {
    let mut k = Keys::default();
    for c in name.chars() {
        match c.to_pinyin() {
            Some(p) => {
                k.initials.push_str(p.first_letter());
                k.full.push_str(p.plain());
            }
            None if c.is_ascii_alphanumeric() => {
                let l = c.to_ascii_lowercase();
                k.initials.push(l);
                k.full.push(l);
            }
            None => {}
        }
    }
    k
}

/// Pinyin keys for every summary, built once; searching is a linear scan.
#[derive(Debug, Clone, Default)]
pub struct Index {
    keys: Vec<Keys>,
}

impl Index {
    pub fn build(summaries: &[Summary]) -> Index {
        Index { keys: summaries.iter().map(|s| keys_of(&s.head)).collect() }
    }

    /// Keeps the index in step after a summary at `i` changed or was appended.
    pub fn update(&mut self, i: usize, s: &Summary) {
        let k = keys_of(&s.head);
        if i < self.keys.len() {
            self.keys[i] = k;
        } else {
            self.keys.resize(i, Keys::default());
            self.keys.push(k);
        }
    }

    /// Whether summary `i` matches.
    pub fn matches(&self, summaries: &[Summary], i: usize, q: &Query) -> bool {
        let s = &summaries[i];
        match q {
            Query::IdDigits(d) => s.id_number.ends_with(d.as_str()) || (d.len() == 18 && s.id_number.starts_with(d.as_str())),
            Query::Pinyin(p) => self.keys.get(i).is_some_and(|k| k.initials.starts_with(p.as_str()) || k.full.starts_with(p.as_str())),
            Query::Text(t) => s.head.contains(t.as_str()) || s.address.contains(t.as_str()),
        }
    }

    /// Indexes of the matching summaries, in order; restricted to `within` when given.
    pub fn search(&self, summaries: &[Summary], q: &Query, within: Option<&[usize]>) -> Vec<usize> {
        if !q.is_ready() {
            return Vec::new();
        }
        match within {
            Some(subset) => subset.iter().copied().filter(|&i| self.matches(summaries, i, q)).collect(),
            None => (0..summaries.len()).filter(|&i| self.matches(summaries, i, q)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FormState, Place};

    fn s(head: &str, id: &str, addr: &str) -> Summary {
        Summary {
            key: 0,
            place: Place::default(),
            head: head.into(),
            id_number: id.into(),
            address: addr.into(),
            category: 0,
            eliminated: None,
            verified: false,
            state: FormState::Empty,
            errors: 0,
            warnings: 0,
            saved_by: None,
            saved_at: None,
        }
    }

    #[test]
    fn finds_by_each_kind() {
        let list = vec![
            s("张三", "11010519491231002X", "石盘乡石盘村3组"),
            s("李四", "500243198001011234", "龙门村"),
            s("张小三", "500243198001015678", "石盘村1组"),
        ];
        let idx = Index::build(&list);
        let find = |q: &str| idx.search(&list, &Query::parse(q).unwrap(), None);
        assert_eq!(find("zs"), vec![0]);
        assert_eq!(find("z"), vec![0, 2]);
        assert_eq!(find("zhangx"), vec![2]);
        assert_eq!(find("ZXS"), vec![2]);
        assert_eq!(find("002x"), vec![0]);
        assert_eq!(find("１２３４"), vec![1]);
        assert_eq!(find("123"), Vec::<usize>::new(), "fewer than 4 digits waits");
        assert_eq!(find("张"), vec![0, 2]);
        assert_eq!(find("石盘村"), vec![0, 2]);
        assert_eq!(find("11010519491231002X"), vec![0]);
        assert_eq!(idx.search(&list, &Query::parse("张").unwrap(), Some(&[2])), vec![2]);
    }

    #[test]
    fn a_disability_certificate_with_its_x_inside_is_an_id_query() {
        let cert = "11010519491231002X12";
        assert_eq!(Query::parse(cert), Some(Query::IdDigits(cert.into())));
        assert_eq!(Query::parse("11010519491231002x12"), Some(Query::IdDigits(cert.into())));
        assert_eq!(Query::parse("500243199001011234 31"), Some(Query::IdDigits("50024319900101123431".into())));
        assert!(matches!(Query::parse("1101X2"), Some(Query::Text(_))), "an X elsewhere is not an ID");
    }
}
