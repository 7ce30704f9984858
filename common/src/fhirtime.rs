//! FHIR `date`, `dateTime` and `instant` values to Unix seconds, for `_since`, `start`
//! and `end`. Partial dates (`2024`, `2024-03`) are periods with a first and last second.

/// The first and last second (UTC) of the period a FHIR date/dateTime/instant denotes.
pub fn period(text: &str) -> Option<(i64, i64)> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = num(0..4)?;
    match b.len() {
        4 => Some((
            days(year, 1, 1)? * 86_400,
            days(year + 1, 1, 1)? * 86_400 - 1,
        )),
        7 if b[4] == b'-' => {
            let month = num(5..7)?;
            let (ny, nm) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            Some((
                days(year, month, 1)? * 86_400,
                days(ny, nm, 1)? * 86_400 - 1,
            ))
        }
        10 if b[4] == b'-' && b[7] == b'-' => {
            let start = days(year, num(5..7)?, num(8..10)?)? * 86_400;
            Some((start, start + 86_399))
        }
        n if n >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':' =>
        {
            let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
            if hh > 23 || mm > 59 || ss > 60 {
                return None;
            }
            let mut rest = &text[19..];
            if let Some(frac) = rest.strip_prefix('.') {
                let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                rest = &frac[digits..];
            }
            let offset = match rest {
                "Z" => 0,
                tz if is_offset(tz.as_bytes()) => {
                    let t = tz.as_bytes();
                    let two = |i: usize| i64::from(t[i] - b'0') * 10 + i64::from(t[i + 1] - b'0');
                    let (h, m) = (two(1), two(4));
                    if h > 14 || m > 59 {
                        return None;
                    }
                    let sign = if t[0] == b'-' { -1 } else { 1 };
                    sign * (h * 3600 + m * 60)
                }
                _ => return None,
            };
            let t =
                days(year, num(5..7)?, num(8..10)?)? * 86_400 + hh * 3600 + mm * 60 + ss - offset;
            Some((t, t))
        }
        _ => None,
    }
}

/// `+hh:mm` or `-hh:mm`, ASCII only (checked byte-wise: the input is untrusted text).
fn is_offset(t: &[u8]) -> bool {
    t.len() == 6
        && (t[0] == b'+' || t[0] == b'-')
        && t[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| t[i].is_ascii_digit())
}

/// Days since 1970-01-01 of a civil date, or None if it does not exist (2024-02-30).
fn days(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > month_days[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01.
pub const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// A FHIR `instant` (UTC, seconds precision) from Unix seconds.
pub fn instant(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn precisions() {
        assert_eq!(period("1970-01-01"), Some((0, 86_399)));
        assert_eq!(period("1970"), Some((0, 365 * 86_400 - 1)));
        assert_eq!(period("1970-02"), Some((31 * 86_400, 59 * 86_400 - 1)));
        assert_eq!(period("1970-01-01T01:00:00+01:00"), Some((0, 0)));
        assert_eq!(period("1970-01-01T00:00:10.123Z"), Some((10, 10)));
        assert_eq!(period("2024-13-01"), None);
        assert_eq!(period("2024-02-30"), None);
        assert_eq!(period("2023-02-29"), None);
        assert!(period("2024-02-29").is_some());
        assert_eq!(period("2024-01-01T00:00:00-0\u{e9}00"), None);
        assert_eq!(period("2024-01-01T00:00:00++1:00"), None);
        assert_eq!(period("2024-01-01T00:00:00+99:00"), None);
        assert_eq!(period("2024-01-01T00:00:00"), None);
        assert_eq!(period("yesterday"), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = period(&s);
        }

        #[test]
        fn date_shaped_input_never_panics(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\PC{0,7}") {
            let _ = period(&s);
        }
    }
}
