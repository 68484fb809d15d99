//! Importing members (家庭成员) of the handbook from a roster of people: one
//! row per person, the household found by its head's ID number (户主证件号码),
//! the other columns headed with the member form's labels (姓名, 与户主关系,
//! 证件号码, …). The same file checks, reject report and all-or-nothing
//! commit as the household roster ([`super::roster`], [`super::import`]):
//! every cell is checked by the form's own rules, and the store then files
//! each accepted person under the household, or refuses the row (no such
//! household, an ID that belongs to another household).

use super::roster::{self, Cell, Rejection, RosterError, Source};
use crate::form::file::Form;
use crate::form::rules::{self, Severity};
use crate::form::{idnum, schema};
use crate::model::Answers;
use std::collections::HashMap;
use std::path::Path;

/// The column naming the household.
pub const HEAD_ID_COLUMN: &str = "户主证件号码";

/// One accepted person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Row number as the spreadsheet shows it.
    pub row: usize,
    /// The household's head's ID number, normalised.
    pub head_id: String,
    pub answers: Answers,
}

/// A members roster read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRoster {
    pub source: Source,
    pub data_rows: usize,
    pub rows: Vec<MemberRow>,
    pub rejected: Vec<Rejection>,
    pub unknown_columns: Vec<String>,
}

/// The member form as shipped.
pub fn form() -> &'static Form {
    schema::handbook_form("members").expect("the members form ships with the program")
}

fn text(c: &Cell) -> String {
    c.as_read().trim().to_string()
}

/// A column: its index, the field it holds (`None`: the household's head's
/// ID) and its header as written.
type Column = (usize, Option<&'static str>, String);

/// Which column holds which field, and the headers that are none.
fn columns(form: &Form, header: &[Cell]) -> (Vec<Column>, Vec<String>) {
    let mut cols = Vec::new();
    let mut unknown = Vec::new();
    for (i, c) in header.iter().enumerate() {
        let h = text(c);
        if h.is_empty() {
            continue;
        }
        if h == HEAD_ID_COLUMN {
            cols.push((i, None, h));
        } else if let Some(f) = form.fields.iter().find(|f| f.label == h || f.heading() == h || f.code == h) {
            cols.push((i, Some(f.code), h));
        } else {
            unknown.push(h);
        }
    }
    (cols, unknown)
}

/// The columns a members roster must have: the household's and every required field's.
fn missing(form: &Form, cols: &[Column]) -> Vec<String> {
    let mut out = Vec::new();
    if !cols.iter().any(|c| c.1.is_none()) {
        out.push(HEAD_ID_COLUMN.to_string());
    }
    for f in form.fields.iter().filter(|f| f.required) {
        if !cols.iter().any(|c| c.1 == Some(f.code)) {
            out.push(f.label.to_string());
        }
    }
    out
}

/// Reads and checks a members roster.
pub fn read(path: &Path) -> Result<MemberRoster, RosterError> {
    let form = form();
    let is_header = |cells: &[Cell]| missing(form, &columns(form, cells).0).is_empty();
    let (source, rows) = roster::read_table(path, &is_header)?;
    let Some(h) = rows.iter().take(roster::HEADER_SEARCH_ROWS).position(|(_, cells)| is_header(cells)) else {
        let best = rows.iter().take(roster::HEADER_SEARCH_ROWS).map(|(_, c)| columns(form, c)).min_by_key(|(c, _)| missing(form, c).len());
        let (found, missing) = match best {
            Some((cols, unknown)) => (cols.iter().map(|c| c.2.clone()).chain(unknown).collect(), missing(form, &cols)),
            None => (Vec::new(), missing(form, &[])),
        };
        return Err(RosterError::MissingColumns { place: String::new(), missing, found });
    };
    let (cols, unknown_columns) = columns(form, &rows[h].1);
    let mut out = MemberRoster { source, data_rows: 0, rows: Vec::new(), rejected: Vec::new(), unknown_columns };
    let mut first_row_of_id: HashMap<String, usize> = HashMap::new();
    for (row, cells) in rows.into_iter().skip(h + 1) {
        if cells.iter().all(|c| text(c).is_empty()) {
            continue;
        }
        out.data_rows += 1;
        let mut problems = Vec::new();
        let reject = |problems: &mut Vec<Rejection>, code: &'static str, column: &str, value: String, reason: String| {
            problems.push(Rejection { row, code, column: column.to_string(), value, reason })
        };
        let mut head_id = String::new();
        let mut answers = Answers::new();
        for (i, code, header) in &cols {
            let value = cells.get(*i).map(text).unwrap_or_default();
            match code {
                None => match idnum::validate(&value) {
                    Ok(id) => head_id = id,
                    Err(e) => reject(&mut problems, "", header, value, format!("户主证件号码有误：{e}")),
                },
                Some(code) => {
                    let Some(f) = form.field(code) else { continue };
                    match rules::parse_input(f, &value) {
                        Ok(Some(v)) => {
                            answers.insert(code.to_string(), v);
                        }
                        Ok(None) => {}
                        Err(msg) => reject(&mut problems, f.code, header, value, msg),
                    }
                }
            }
        }
        // The form's own checks of the person (its errors; warnings do not refuse).
        let a = crate::model::SectionA {
            address: String::new(),
            head: String::new(),
            id_number: head_id.clone(),
            size: 1,
            category: 0,
            enrol_risk: 0,
            enrolled: crate::form::YearMonth { year: 1900, month: 1 },
            eliminated: None,
        };
        let view = crate::model::View { a: &a, answers: &answers };
        for f in rules::validate_in(form, &view, &crate::form::Round::default()) {
            if f.severity == Severity::Error && !problems.iter().any(|p| p.code == f.code) {
                let column = cols.iter().find(|c| c.1 == Some(f.code)).map(|c| c.2.clone()).unwrap_or_default();
                let value = cols.iter().find(|c| c.1 == Some(f.code)).and_then(|c| cells.get(c.0)).map(text).unwrap_or_default();
                reject(&mut problems, f.code, &column, value, f.message);
            }
        }
        // A person twice in the file.
        let id = form.fields.iter().find(|f| matches!(f.kind, schema::Kind::IdNumber)).and_then(|f| answers.get(f.code)).cloned();
        if let Some(crate::form::Value::Text(id)) = id {
            if let Some(first) = first_row_of_id.get(&id) {
                reject(&mut problems, "", "证件号码", idnum::mask(&id), format!("与第{first}行是同一个证件号码，同一个人只能登记一次"));
            } else if problems.is_empty() {
                first_row_of_id.insert(id, row);
            }
        }
        if problems.is_empty() {
            out.rows.push(MemberRow { row, head_id, answers });
        } else {
            out.rejected.append(&mut problems);
        }
    }
    Ok(out)
}
