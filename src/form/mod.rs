//! The form's schema and rules. Knows nothing of storage or screens.

pub mod expr;
pub mod file;
pub mod idnum;
pub mod options;
pub mod phone;
pub mod registry;
pub mod round;
pub mod rules;
pub mod schema;
pub mod value;

pub use file::FormRef;
pub use round::Round;
pub use rules::{validate, Finding, Record, Severity};
pub use schema::{Branch, Field, Kind, Section, FIELDS};
pub use value::{Value, YearMonth};
