//! D1/D2 from the village: the responsible people (监测责任人) already
//! entered for the households of a village and its township, offered at D1
//! with their phones, the previous household's first.
//!
//! The app keeps a [`Directory`] learned from every record it loads or
//! saves (a township is read once, the first time one of its forms opens)
//! and hands the editor the [`Suggestions`] for the household it opens.

use crate::form::{phone, Value};
use crate::model::{LookBack, Place};
use pinyin::ToPinyin;
use std::collections::{BTreeMap, BTreeSet};

/// One responsible person: a D1 name and the D2 phone paired with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Monitor {
    pub name: String,
    pub phone: String,
}

/// The responsible people of a record, name and phone paired by position
/// (names without a valid phone are left out: nothing to offer).
pub fn monitors_of(lb: &LookBack) -> Vec<Monitor> {
    let list = |code: &str| match lb.form.answers.get(code) {
        Some(Value::List(items)) => items.clone(),
        _ => Vec::new(),
    };
    let (names, phones) = (list("D1"), list("D2"));
    names
        .iter()
        .zip(phones.iter())
        .filter_map(|(n, p)| {
            let name = n.trim();
            let phone = phone::validate(p).ok()?;
            (!name.is_empty()).then(|| Monitor { name: name.to_string(), phone })
        })
        .collect()
}

/// Where an offered person comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Previous,
    Village,
    Township,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Previous => "上一户",
            Origin::Village => "本村",
            Origin::Township => "本镇",
        }
    }
}

/// What the editor offers at D1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suggestions {
    /// The previous household's people (the one the clerk saved last).
    pub previous: Vec<Monitor>,
    /// Others of the village, then of the township, most used first.
    pub village: Vec<Monitor>,
    pub township: Vec<Monitor>,
}

/// At most this many are offered (keys 1–9).
pub const OFFERED: usize = 9;

fn initials(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None => c.is_ascii_alphabetic().then(|| c.to_ascii_lowercase()),
        })
        .collect()
}

impl Suggestions {
    /// Every offered person once, previous household first, whose name
    /// starts with `typed` (or whose pinyin initials do), at most [`OFFERED`].
    pub fn matching(&self, typed: &str) -> Vec<(Monitor, Origin)> {
        let typed = typed.trim();
        let q = typed.to_ascii_lowercase();
        let pinyin = !q.is_empty() && q.chars().all(|c| c.is_ascii_alphabetic());
        let mut seen = BTreeSet::new();
        let tagged = self
            .previous
            .iter()
            .map(|m| (m, Origin::Previous))
            .chain(self.village.iter().map(|m| (m, Origin::Village)))
            .chain(self.township.iter().map(|m| (m, Origin::Township)));
        tagged
            .filter(|(m, _)| m.name.starts_with(typed) || (pinyin && initials(&m.name).starts_with(&q)))
            .filter(|(m, _)| seen.insert((*m).clone()))
            .take(OFFERED)
            .map(|(m, o)| (m.clone(), o))
            .collect()
    }

    /// The phones on record for `name` (to warn when a typed one differs).
    pub fn phones_of(&self, name: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .previous
            .iter()
            .chain(&self.village)
            .chain(&self.township)
            .filter(|m| m.name == name.trim())
            .map(|m| m.phone.as_str())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.previous.is_empty() && self.village.is_empty() && self.township.is_empty()
    }
}

/// What the app has learned: each household's people, by store key.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    by_key: BTreeMap<u64, (Place, Vec<Monitor>)>,
    /// Townships whose every household has been read.
    read: BTreeSet<String>,
    /// The people of the record saved last (the "previous household").
    last: Option<(u64, Vec<Monitor>)>,
}

impl Directory {
    /// Remembers a record as loaded or stored.
    pub fn learn(&mut self, key: u64, lb: &LookBack) {
        let people = monitors_of(lb);
        if people.is_empty() {
            self.by_key.remove(&key);
        } else {
            self.by_key.insert(key, (lb.household.place.clone(), people));
        }
    }

    /// A record the clerk saved: it becomes the "previous household".
    pub fn saved(&mut self, key: u64, lb: &LookBack) {
        self.learn(key, lb);
        let people = monitors_of(lb);
        if !people.is_empty() {
            self.last = Some((key, people));
        }
    }

    /// Whether the households of `township` still need reading.
    pub fn needs(&self, township: &str) -> bool {
        !self.read.contains(township)
    }

    pub fn mark_read(&mut self, township: &str) {
        self.read.insert(township.to_string());
    }

    /// The suggestions for household `key` of `place`.
    pub fn suggestions(&self, key: u64, place: &Place) -> Suggestions {
        let mut village: BTreeMap<&Monitor, usize> = BTreeMap::new();
        let mut township: BTreeMap<&Monitor, usize> = BTreeMap::new();
        for (k, (p, people)) in &self.by_key {
            if *k == key || p.township != place.township {
                continue;
            }
            let map = if p.village == place.village { &mut village } else { &mut township };
            for m in people {
                *map.entry(m).or_default() += 1;
            }
        }
        let ranked = |map: BTreeMap<&Monitor, usize>| {
            let mut v: Vec<(&Monitor, usize)> = map.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            v.into_iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()
        };
        let previous = match &self.last {
            Some((k, people)) if *k != key => people.clone(),
            _ => Vec::new(),
        };
        Suggestions { previous, village: ranked(village), township: ranked(township) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, phone: &str) -> Monitor {
        Monitor { name: name.into(), phone: phone.into() }
    }

    #[test]
    fn previous_first_then_village_then_township_each_once_and_filtered_as_typed() {
        let s = Suggestions {
            previous: vec![m("王五", "13800001111")],
            village: vec![m("王五", "13800001111"), m("李娜", "13912345678")],
            township: vec![m("王小明", "13700002222")],
        };
        let all = s.matching("");
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], (m("王五", "13800001111"), Origin::Previous));
        assert_eq!(all[1].1, Origin::Village);
        assert_eq!(all[2].1, Origin::Township);
        assert_eq!(s.matching("王").len(), 2);
        assert_eq!(s.matching("ln"), vec![(m("李娜", "13912345678"), Origin::Village)], "pinyin initials");
        assert!(s.matching("赵").is_empty());
        assert_eq!(s.phones_of("王五"), ["13800001111"]);
    }
}
