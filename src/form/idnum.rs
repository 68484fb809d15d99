//! Head-of-household ID numbers (A3): GB 11643-1999 resident IDs and the
//! 20-digit disability certificate (resident ID + category 1–7 + level 1–4).

use super::value::normalize_ascii;
use thiserror::Error;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why an ID number is not valid. `Display` is the Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("证件号码为空，请填写18位身份证号或20位残疾证号")]
    Empty,
    #[error("证件号码被Excel显示成了科学计数法（如5.00243E+17），后几位数字已丢失；请在原表中把该列设为“文本”后重新录入完整号码")]
    Scientific,
    #[error("证件号码含有数字和X以外的字符，请只填数字（最后一位可以是X）")]
    BadChars,
    #[error("证件号码有{0}位，应为18位身份证号或20位残疾证号，请核对是否漏位或多位")]
    BadLength(usize),
    #[error("身份证号第7–14位的出生日期{0}不是有效日期，请核对")]
    BadBirthDate(String),
    #[error("身份证号校验位应为{expected}，实为{found}，号码中有数字录错，请逐位核对")]
    BadCheckDigit { expected: char, found: char },
    #[error("残疾证号第19位残疾类别应为1–7，实为{0}")]
    BadDisabilityCategory(char),
    #[error("残疾证号第20位残疾等级应为1–4，实为{0}")]
    BadDisabilityLevel(char),
}

/// Trims, converts full-width characters, drops inner spaces and upper-cases x.
pub fn normalize(raw: &str) -> String {
    normalize_ascii(raw).chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| if c == 'x' { 'X' } else { c }).collect()
}

/// The GB 11643 check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Normalises and validates; returns the normalised number.
pub fn validate(raw: &str) -> Result<String, IdError> {
    let n = normalize(raw);
    if n.is_empty() {
        return Err(IdError::Empty);
    }
    let upper = n.to_ascii_uppercase();
    if upper.contains("E+") || (upper.contains('.') && upper.contains('E')) {
        return Err(IdError::Scientific);
    }
    if !n.chars().all(|c| c.is_ascii_digit() || c == 'X') {
        return Err(IdError::BadChars);
    }
    match n.len() {
        18 => validate18(&n).map(|_| n),
        20 => {
            validate18(&n[..18])?;
            let cat = n.as_bytes()[18] as char;
            let lvl = n.as_bytes()[19] as char;
            if !('1'..='7').contains(&cat) {
                return Err(IdError::BadDisabilityCategory(cat));
            }
            if !('1'..='4').contains(&lvl) {
                return Err(IdError::BadDisabilityLevel(lvl));
            }
            Ok(n)
        }
        len => Err(IdError::BadLength(len)),
    }
}

fn validate18(n: &str) -> Result<(), IdError> {
    let (body, check) = n.split_at(17);
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::BadChars);
    }
    let birth = &body[6..14];
    let y: i32 = birth[..4].parse().unwrap_or(0);
    let m: u32 = birth[4..6].parse().unwrap_or(0);
    let d: u32 = birth[6..].parse().unwrap_or(0);
    let date_ok =
        chrono::NaiveDate::from_ymd_opt(y, m, d).map(|date| y >= 1880 && date <= chrono::Local::now().date_naive()).unwrap_or(false);
    if !date_ok {
        return Err(IdError::BadBirthDate(birth.to_string()));
    }
    let expected = check_char(body).expect("17 digits checked above");
    let found = check.chars().next().unwrap_or(' ');
    if expected != found {
        return Err(IdError::BadCheckDigit { expected, found });
    }
    Ok(())
}

/// Masks as Chinese public systems do: first 6 and last 4 shown.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..6].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - 10));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// Makes a valid 18-digit ID from the first 17 digits (demo data, tests).
pub fn complete(first17: &str) -> Option<String> {
    check_char(first17).map(|c| format!("{first17}{c}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_example_is_valid() {
        assert_eq!(validate("11010519491231002X").as_deref(), Ok("11010519491231002X"));
        assert_eq!(check_char("11010519491231002"), Some('X'));
    }

    #[test]
    fn normalises_lowercase_fullwidth_spaces() {
        assert_eq!(validate(" 11010519491231002x ").as_deref(), Ok("11010519491231002X"));
        assert_eq!(validate("１１０１０５１９４９１２３１００２Ｘ").as_deref(), Ok("11010519491231002X"));
        assert_eq!(validate("110105 19491231 002X").as_deref(), Ok("11010519491231002X"));
    }

    #[test]
    fn wrong_check_digit() {
        assert_eq!(validate("110105194912310021"), Err(IdError::BadCheckDigit { expected: 'X', found: '1' }));
    }

    #[test]
    fn bad_birth_dates() {
        // 1990-02-30 does not exist; fix the check digit so only the date is wrong.
        let id = complete("50024319900230123").unwrap();
        assert_eq!(validate(&id), Err(IdError::BadBirthDate("19900230".into())));
        let future = complete("50024330000101123").unwrap();
        assert!(matches!(validate(&future), Err(IdError::BadBirthDate(_))));
        let month13 = complete("50024319901301123").unwrap();
        assert!(matches!(validate(&month13), Err(IdError::BadBirthDate(_))));
    }

    #[test]
    fn lengths_and_excel() {
        assert_eq!(validate("11010519491231002"), Err(IdError::BadLength(17)));
        assert_eq!(validate("5.00243E+17"), Err(IdError::Scientific));
        assert_eq!(validate("5.00243e+17"), Err(IdError::Scientific));
        assert_eq!(validate(""), Err(IdError::Empty));
        assert_eq!(validate("11010519491231002Y"), Err(IdError::BadChars));
        assert_eq!(validate("1101051949123100X2"), Err(IdError::BadChars));
    }

    #[test]
    fn disability_certificate() {
        assert_eq!(validate("11010519491231002X34").as_deref(), Ok("11010519491231002X34"));
        assert_eq!(validate("11010519491231002X84"), Err(IdError::BadDisabilityCategory('8')));
        assert_eq!(validate("11010519491231002X35"), Err(IdError::BadDisabilityLevel('5')));
        assert_eq!(validate("11010519491231002X0"), Err(IdError::BadLength(19)));
        assert!(matches!(validate("11010519491231002134"), Err(IdError::BadCheckDigit { .. })));
    }

    #[test]
    fn known_valid_numbers_and_every_check_character() {
        // GB 11643-1999's own examples.
        for id in ["11010519491231002X", "440524188001010014"] {
            assert_eq!(validate(id).as_deref(), Ok(id));
        }
        // One body per remainder 0..=10: the table maps to 1 0 X 9 8 7 6 5 4 3 2.
        let bodies = [
            ("50024319900101100", '1'),
            ("50024319900101106", '0'),
            ("50024319900101101", 'X'),
            ("50024319900101107", '9'),
            ("50024319900101102", '8'),
            ("50024319900101108", '7'),
            ("50024319900101103", '6'),
            ("50024319900101109", '5'),
            ("50024319900101104", '4'),
            ("50024319900101118", '3'),
            ("50024319900101105", '2'),
        ];
        for (body, check) in bodies {
            assert_eq!(check_char(body), Some(check), "{body}");
            assert!(validate(&format!("{body}{check}")).is_ok(), "{body}{check}");
        }
        assert_eq!(check_char("5002431990010110"), None, "16 digits");
        assert_eq!(check_char("5002431990010110X"), None, "not all digits");
    }

    #[test]
    fn leap_days_and_old_years() {
        assert!(validate(&complete("50024320000229123").unwrap()).is_ok(), "2000-02-29 exists");
        let e = validate(&complete("50024319000229123").unwrap()).unwrap_err();
        assert_eq!(e, IdError::BadBirthDate("19000229".into()), "1900 was not a leap year");
        assert!(e.to_string().contains("第7–14位"), "{e}");
        let e = validate(&complete("50024318790101123").unwrap()).unwrap_err();
        assert_eq!(e, IdError::BadBirthDate("18790101".into()));
    }

    #[test]
    fn messages_say_what_to_enter() {
        let msg = |raw: &str| validate(raw).unwrap_err().to_string();
        assert!(msg("").contains("18位身份证号或20位残疾证号"));
        assert!(msg("5.00243E+17").contains("文本"));
        assert!(msg("11010519491231002").contains("17位"));
        assert!(msg("110105194912310021").contains("校验位应为X"));
        assert!(msg("11010519491231002X84").contains("1–7"));
        assert!(msg("11010519491231002X35").contains("1–4"));
        assert!(msg("张三").contains("只填数字"));
    }

    #[test]
    fn masking() {
        assert_eq!(mask("50024319900101123X"), "500243********123X");
        assert_eq!(mask("11010519491231002X34"), "110105**********2X34");
        assert_eq!(mask("123"), "***");
    }
}
