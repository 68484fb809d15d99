//! D2 phone numbers: mobile `1[3-9]` + 9 digits, or landline with area code.

use super::value::normalize_ascii;

/// Normalises (full-width, spaces, `+86`) and validates a phone number.
/// Returns the normalised form or a Chinese message saying what to enter.
pub fn validate(raw: &str) -> Result<String, String> {
    let mut n: String = normalize_ascii(raw).chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(rest) = n.strip_prefix("+86").or_else(|| n.strip_prefix("0086")) {
        n = rest.trim_start_matches('-').to_string();
    }
    // Checked after stripping `+86`: a bare country code is empty too (and
    // would otherwise index an empty number below).
    if n.is_empty() {
        return Err("电话为空，请填写手机号（11位）或带区号的固定电话（如023-78865441）".into());
    }
    if n.bytes().all(|b| b.is_ascii_digit()) {
        let b = n.as_bytes();
        if n.len() == 11 && b[0] == b'1' {
            if (b'3'..=b'9').contains(&b[1]) {
                return Ok(n);
            }
            return Err(format!("手机号“{n}”第二位应为3–9，请核对"));
        }
        // Landline without a dash: 0 + area code (2–3 digits) + 7–8 digits;
        // under 023 the local number has 8 digits.
        if let Some(local) = n.strip_prefix("023") {
            if local.len() == 8 {
                return Ok(n);
            }
            return Err(chongqing_local(local));
        }
        if b[0] == b'0' && (10..=12).contains(&n.len()) {
            return Ok(n);
        }
        if n.len() == 8 {
            return Err(format!("固定电话“{n}”缺少区号，请写成如023-{n}"));
        }
        if n.len() == 7 {
            return Err(format!("固定电话“{n}”缺少区号，请加上区号（重庆的固定电话为023加8位号码，如023-78865441）"));
        }
        return Err(format!("电话“{n}”有{}位，手机号应为11位，固定电话应带区号（如023-78865441）", n.len()));
    }
    // A mobile written in groups with hyphens: 139-1234-5678.
    let bare: String = n.chars().filter(|c| *c != '-').collect();
    if bare.len() == 11 && bare.starts_with('1') && bare.bytes().all(|b| b.is_ascii_digit()) {
        return validate(&bare);
    }
    // Landline with a dash, optionally with an extension: 023-78865441[-123].
    let parts: Vec<&str> = n.split('-').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if (2..=3).contains(&parts.len()) && parts.iter().all(|p| digits(p)) {
        let area = parts[0];
        let local = parts[1];
        if area == "023" && local.len() != 8 {
            return Err(chongqing_local(local));
        }
        if area.starts_with('0') && (3..=4).contains(&area.len()) && (7..=8).contains(&local.len()) {
            return Ok(n);
        }
    }
    Err(format!("电话“{raw}”格式不对，请填写11位手机号或带区号的固定电话（如023-78865441）", raw = raw.trim()))
}

/// The message for a 023 landline whose local number is not 8 digits.
fn chongqing_local(local: &str) -> String {
    format!("023的固定电话号码应为8位（重庆自1998年起统一为8位），“{local}”有{}位，请核对（如023-78865441）", local.chars().count())
}

/// Masks a phone for display: `138****5678`, landlines keep area code and last 2.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() == 11 && !phone.contains('-') {
        let mut s: String = chars[..3].iter().collect();
        s.push_str("****");
        s.extend(&chars[7..]);
        return s;
    }
    match phone.split_once('-') {
        Some((area, local)) if local.chars().count() > 2 => {
            let local: Vec<char> = local.chars().collect();
            let tail: String = local[local.len() - 2..].iter().collect();
            format!("{area}-{}{tail}", "*".repeat(local.len() - 2))
        }
        _ if chars.len() > 4 => {
            let mut s = "*".repeat(chars.len() - 4);
            s.extend(&chars[chars.len() - 4..]);
            s
        }
        _ => "*".repeat(chars.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        assert_eq!(validate("13812345678").as_deref(), Ok("13812345678"));
        assert_eq!(validate(" 138 1234 5678 ").as_deref(), Ok("13812345678"));
        assert_eq!(validate("+86 13812345678").as_deref(), Ok("13812345678"));
        assert_eq!(validate("139-1234-5678").as_deref(), Ok("13912345678"));
        assert_eq!(validate("１３８１２３４５６７８").as_deref(), Ok("13812345678"));
        assert!(validate("12812345678").is_err());
        assert!(validate("1381234567").is_err());
    }

    #[test]
    fn landlines() {
        assert_eq!(validate("023-78865441").as_deref(), Ok("023-78865441"));
        assert_eq!(validate("02378865441").as_deref(), Ok("02378865441"));
        assert_eq!(validate("0851-1234567").as_deref(), Ok("0851-1234567"));
        let e = validate("78865441").unwrap_err();
        assert!(e.contains("区号"), "{e}");
        assert!(validate("23-78865441").is_err());
        assert!(validate("abc").is_err());
        assert!(validate("").is_err());
    }

    #[test]
    fn country_code_alone_is_an_error_not_a_panic() {
        for raw in ["+86", "0086", "+86-", " +86 ", "＋８６"] {
            let e = validate(raw).unwrap_err();
            assert!(e.contains("11位") && e.contains("023-78865441"), "{raw}: {e}");
        }
        assert_eq!(validate("+86-13812345678").as_deref(), Ok("13812345678"));
        assert_eq!(validate("0086 023-78865441").as_deref(), Ok("023-78865441"));
    }

    #[test]
    fn every_mobile_prefix_13_to_19() {
        for second in '0'..='9' {
            let n = format!("1{second}812345678");
            assert_eq!(validate(&n).is_ok(), ('3'..='9').contains(&second), "{n}");
        }
        let e = validate("12812345678").unwrap_err();
        assert!(e.contains("第二位应为3–9"), "{e}");
        let e = validate("138123456789").unwrap_err();
        assert!(e.contains("12位") && e.contains("11位"), "{e}");
    }

    #[test]
    fn landline_forms() {
        assert_eq!(validate("023－78865441").as_deref(), Ok("023-78865441"), "full-width dash");
        assert_eq!(validate("023-78865441-12").as_deref(), Ok("023-78865441-12"), "extension");
        assert!(validate("023-886544").is_err(), "6-digit local number");
        let e = validate("023-7886544").unwrap_err();
        assert!(e.contains("8位") && e.contains("023-78865441"), "7-digit local number under 023: {e}");
        assert!(validate("0237886544").is_err(), "7 digits under 023 without a dash");
        assert!(validate("7886544").unwrap_err().contains("023-78865441"), "the hint for a bare 7-digit number is an 8-digit example");
        assert!(validate("02345-78865441").is_err(), "5-digit area code");
        let e = validate("(023)78865441").unwrap_err();
        assert!(e.contains("023-78865441"), "{e}");
    }

    #[test]
    fn masks_never_split_characters() {
        // Found by the id_validator fuzz target: mask() sliced bytes.
        let m = mask("\u{0}3-3243E\t年3");
        assert!(m.ends_with("年3"), "{m}");
        assert_eq!(mask("023-七八八六五四四一"), "023-******四一");
    }

    #[test]
    fn masks() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("023-78865441"), "023-******41");
    }
}
