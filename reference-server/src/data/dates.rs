//! Calendar arithmetic for the generator: a day number and its FHIR renderings.
//!
//! Days count from 1970-01-01 (proleptic Gregorian), converted with Howard Hinnant's
//! civil-from-days algorithm, so no date crate is needed.

use super::rng::Rng;

/// A calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Day(pub(crate) i64);

/// First day of the span that clinical events and `meta.lastUpdated` values fall in.
pub(crate) const SPAN_START: Day = Day::from_ymd(2019, 1, 1);
/// Last day a clinical event may happen on.
pub(crate) const EVENTS_END: Day = Day::from_ymd(2025, 6, 30);
/// Last day a `meta.lastUpdated` value may fall on.
pub(crate) const SPAN_END: Day = Day::from_ymd(2025, 12, 31);

impl Day {
    /// The day of a proleptic Gregorian calendar date.
    pub(crate) const fn from_ymd(y: i64, m: i64, d: i64) -> Day {
        Day(crate::fhirtime::days_from_civil(y, m, d))
    }

    /// Year, month (1-12) and day of month (1-31).
    pub(crate) const fn ymd(self) -> (i64, i64, i64) {
        crate::fhirtime::civil_from_days(self.0)
    }

    /// This day moved by `days` (negative moves back).
    pub(crate) const fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// Whole years from `birth` to this day.
    pub(crate) fn years_since(self, birth: Day) -> i64 {
        let (y, m, d) = self.ymd();
        let (by, bm, bd) = birth.ymd();
        let mut age = y - by;
        if (m, d) < (bm, bd) {
            age -= 1;
        }
        age
    }

    /// FHIR `date`: `YYYY-MM-DD`.
    pub(crate) fn date(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// FHIR `dateTime` in US Central time, `minute` minutes after midnight (minutes past the
    /// end of the day carry into the following days).
    pub(crate) fn date_time(self, minute: u32) -> String {
        let (y, m, d) = self.plus(i64::from(minute / 1440)).ymd();
        let minute = minute % 1440;
        let (h, mi) = (minute / 60, minute % 60);
        // Central daylight time roughly from mid-March to early November.
        let offset = if (4..=10).contains(&m) {
            "-05:00"
        } else {
            "-06:00"
        };
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00{offset}")
    }

    /// FHIR `instant` in UTC, `second` seconds after midnight.
    pub(crate) fn instant(self, second: u32) -> String {
        let (y, m, d) = self.ymd();
        let (h, mi, s) = (second / 3600 % 24, second / 60 % 60, second % 60);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// A uniformly chosen day in `from..=to`.
    pub(crate) fn between(rng: &mut Rng, from: Day, to: Day) -> Day {
        if to <= from {
            return from;
        }
        Day(from.0 + rng.below((to.0 - from.0 + 1) as u64) as i64)
    }
}

/// A `meta.lastUpdated` instant a few days to weeks after `day`, inside 2019..=2025.
pub(crate) fn last_updated(rng: &mut Rng, day: Day) -> String {
    let d = day
        .plus(rng.range(0, 45) as i64)
        .clamp(SPAN_START, SPAN_END);
    d.instant(rng.range(6 * 3600, 22 * 3600) as u32)
}

/// A `meta.lastUpdated` instant anywhere in 2019..=2025.
pub(crate) fn any_last_updated(rng: &mut Rng) -> String {
    let d = Day::between(rng, SPAN_START, SPAN_END);
    d.instant(rng.range(0, 86_399) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Day(0));
        assert_eq!(Day::from_ymd(2000, 3, 1).date(), "2000-03-01");
        assert_eq!(Day::from_ymd(2024, 2, 29).plus(1).date(), "2024-03-01");
        assert_eq!(Day::from_ymd(1940, 12, 31).ymd(), (1940, 12, 31));
        for n in -30_000..30_000 {
            let (y, m, d) = Day(n).ymd();
            assert_eq!(Day::from_ymd(y, m, d), Day(n));
        }
    }

    #[test]
    fn renders_fhir_formats() {
        let d = Day::from_ymd(2024, 3, 5);
        assert_eq!(d.instant(10 * 3600 + 15 * 60), "2024-03-05T10:15:00Z");
        assert_eq!(d.date_time(9 * 60 + 30), "2024-03-05T09:30:00-06:00");
        assert_eq!(
            Day::from_ymd(2024, 7, 1).date_time(0),
            "2024-07-01T00:00:00-05:00"
        );
        assert_eq!(
            Day::from_ymd(2024, 7, 1).date_time(1450),
            "2024-07-02T00:10:00-05:00"
        );
    }

    #[test]
    fn computes_age() {
        let birth = Day::from_ymd(1980, 6, 15);
        assert_eq!(Day::from_ymd(2020, 6, 14).years_since(birth), 39);
        assert_eq!(Day::from_ymd(2020, 6, 15).years_since(birth), 40);
    }
}
