//! Who may see and change what: registered clerks, their roles and scopes.

use crate::model::Place;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// What a clerk may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// 录入: fills in forms in scope.
    Entry,
    /// 审核: reads in scope and reopens submitted forms; does not change answers.
    Review,
    /// 管理: everything, also import, restore, snapshots and clerks.
    Admin,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Entry => "录入",
            Role::Review => "审核",
            Role::Admin => "管理",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "录入" | "entry" => Some(Role::Entry),
            "审核" | "review" => Some(Role::Review),
            "管理" | "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A township, or one village of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlaceScope {
    pub township: String,
    pub village: Option<String>,
}

impl PlaceScope {
    /// `石盘乡` or `石盘乡/某村`.
    pub fn parse(s: &str) -> Option<PlaceScope> {
        let s = s.trim();
        let (t, v) = match s.split_once('/') {
            Some((t, v)) => (t.trim(), Some(v.trim())),
            None => (s, None),
        };
        if t.is_empty() || v.is_some_and(str::is_empty) || t.chars().chain(v.unwrap_or("").chars()).any(char::is_control) {
            return None;
        }
        Some(PlaceScope { township: t.to_string(), village: v.map(str::to_string) })
    }

    pub fn contains(&self, place: &Place) -> bool {
        place.township == self.township && self.village.as_ref().is_none_or(|v| &place.village == v)
    }
}

impl std::fmt::Display for PlaceScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.village {
            Some(v) => write!(f, "{}/{}", self.township, v),
            None => write!(f, "{}", self.township),
        }
    }
}

/// A registered clerk: a login on this machine, the name the audit log
/// records, a role and the places they work on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clerk {
    pub login: String,
    pub name: String,
    pub role: Role,
    /// Empty: every place.
    pub scopes: Vec<PlaceScope>,
}

/// What one connection may do, and whose name its saves carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// Recorded in the audit log with every change.
    pub who: String,
    pub role: Role,
    /// Empty: every place.
    pub scopes: Vec<PlaceScope>,
}

impl Access {
    /// Everything, as `who` (one clerk on their own store).
    pub fn full(who: impl Into<String>) -> Access {
        Access { who: who.into(), role: Role::Admin, scopes: Vec::new() }
    }

    pub fn of(clerk: &Clerk) -> Access {
        Access { who: clerk.name.clone(), role: clerk.role, scopes: clerk.scopes.clone() }
    }

    pub fn sees(&self, place: &Place) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s.contains(place))
    }

    pub fn is_everywhere(&self) -> bool {
        self.scopes.is_empty()
    }

    /// `全部乡镇` or the list of places.
    pub fn scope_label(&self) -> String {
        if self.scopes.is_empty() {
            "全部乡镇".into()
        } else {
            self.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join("、")
        }
    }

    /// Refuses a place outside the scope.
    pub fn check_place(&self, place: &Place) -> Result<(), StoreError> {
        if self.sees(place) {
            Ok(())
        } else {
            Err(StoreError::Refused(format!(
                "这一户（{} {}）不在你负责的范围（{}）内，不能查看或修改。如需要，请管理员调整你的范围",
                place.township,
                place.village,
                self.scope_label()
            )))
        }
    }

    /// Refuses an act this role may not do.
    pub fn check_role(&self, allowed: &[Role], what: &str) -> Result<(), StoreError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|r| r.label()).collect();
            Err(StoreError::Refused(format!(
                "{}的角色是“{}”，不能{what}（需要“{}”角色）。如需要，请管理员调整：huitoukan clerk add",
                self.who,
                self.role.label(),
                names.join("”或“")
            )))
        }
    }

    /// Changing answers: 录入 and 管理.
    pub fn check_edit(&self, place: &Place) -> Result<(), StoreError> {
        self.check_role(&[Role::Entry, Role::Admin], "修改采集表")?;
        self.check_place(place)
    }

    pub fn check_admin(&self, what: &str) -> Result<(), StoreError> {
        self.check_role(&[Role::Admin], what)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(t: &str, v: &str) -> Place {
        Place { township: t.into(), village: v.into() }
    }

    #[test]
    fn scopes_parse_and_contain() {
        let s = PlaceScope::parse("石盘乡/石盘村").unwrap();
        assert!(s.contains(&place("石盘乡", "石盘村")));
        assert!(!s.contains(&place("石盘乡", "龙洞村")));
        let t = PlaceScope::parse(" 石盘乡 ").unwrap();
        assert!(t.contains(&place("石盘乡", "龙洞村")));
        assert!(!t.contains(&place("汉葭街道", "龙洞村")));
        assert_eq!(PlaceScope::parse(""), None);
        assert_eq!(PlaceScope::parse("石盘乡/"), None);
        assert_eq!(PlaceScope::parse("石\u{1b}盘乡"), None);
        assert_eq!(s.to_string(), "石盘乡/石盘村");
    }

    #[test]
    fn roles_limit_acts() {
        let review = Access { who: "李四".into(), role: Role::Review, scopes: vec![PlaceScope::parse("石盘乡").unwrap()] };
        let msg = review.check_edit(&place("石盘乡", "石盘村")).unwrap_err().to_string();
        assert!(msg.contains("审核") && msg.contains("录入"), "{msg}");
        let entry = Access { role: Role::Entry, ..review.clone() };
        assert!(entry.check_edit(&place("石盘乡", "石盘村")).is_ok());
        let msg = entry.check_edit(&place("汉葭街道", "石坪村")).unwrap_err().to_string();
        assert!(msg.contains("不在你负责的范围"), "{msg}");
        assert!(entry.check_admin("导入名单").is_err());
        assert!(Access::full("张三").check_admin("导入名单").is_ok());
    }
}
