//! Dates in the change list, in the configured zone (`i18n.time_zone`): where the date-range
//! filters (`today`, `7d`, `month`, `year`) begin, and the date hierarchy — a year, a month or a
//! day picked from links above the list (`date=2026`, `2026-12`, `2026-12-07`), each a
//! half-open range of stored UTC text, so the filter is one range over the column's index.

use jiff::civil::Date;
use jiff::{ToSpan, ZonedDateTime as Zoned};

use crate::web::i18n::Lang;
use crate::web::local_time::LocalTime;

/// A picked year, month or day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatePick {
    pub year: i16,
    pub month: Option<i8>,
    pub day: Option<i8>,
}

fn utc_text(z: &Zoned) -> String {
    z.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl DatePick {
    /// `2026`, `2026-12` or `2026-12-07`; anything else (or a day that does not exist) is no pick.
    pub fn parse(text: &str) -> Option<DatePick> {
        let mut parts = text.split('-');
        let year: i16 = parts
            .next()?
            .parse()
            .ok()
            .filter(|y| (1970..=9998).contains(y))?;
        let month: Option<i8> = match parts.next() {
            Some(m) => Some(m.parse().ok().filter(|m| (1..=12).contains(m))?),
            None => None,
        };
        let day: Option<i8> = match parts.next() {
            Some(d) => Some(d.parse().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        let pick = DatePick { year, month, day };
        pick.first_day().ok()?;
        Some(pick)
    }

    fn first_day(&self) -> Result<Date, jiff::Error> {
        Date::new(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    pub fn to_param(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{}-{m:02}", self.year),
            _ => self.year.to_string(),
        }
    }

    /// The pick one level up (a day's month, a month's year), or none above a year.
    pub fn parent(&self) -> Option<DatePick> {
        match (self.month, self.day) {
            (Some(_), Some(_)) => Some(DatePick { day: None, ..*self }),
            (Some(_), None) => Some(DatePick {
                month: None,
                ..*self
            }),
            _ => None,
        }
    }

    /// The link text of the pick at its own level: `2026년`, `12월`, `7일` (`2026`, `Dec`, `7`).
    pub fn label(&self, lang: Lang) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        match (self.month, self.day, lang) {
            (_, Some(d), Lang::Ko) => format!("{d}일"),
            (_, Some(d), Lang::En) => d.to_string(),
            (Some(m), None, Lang::Ko) => format!("{m}월"),
            (Some(m), None, Lang::En) => MONTHS[(m - 1) as usize].to_owned(),
            (None, _, Lang::Ko) => format!("{}년", self.year),
            (None, _, Lang::En) => self.year.to_string(),
        }
    }

    /// The picks from the year down to this one (the breadcrumbs).
    pub fn path(&self) -> Vec<DatePick> {
        let mut out = vec![*self];
        while let Some(up) = out.last().and_then(DatePick::parent) {
            out.push(up);
        }
        out.reverse();
        out
    }

    /// [start, end) of the pick as stored UTC text.
    pub fn bounds(&self, time: &LocalTime) -> Option<(String, String)> {
        let first = self.first_day().ok()?;
        let next = match (self.month, self.day) {
            (_, Some(_)) => first.checked_add(1.day()),
            (Some(_), None) => first.checked_add(1.month()),
            _ => first.checked_add(1.year()),
        }
        .ok()?;
        let start = first.to_zoned_datetime(time.zone().clone()).ok()?;
        let end = next.to_zoned_datetime(time.zone().clone()).ok()?;
        Some((utc_text(&start), utc_text(&end)))
    }
}

/// Where a date-range filter begins, as stored UTC text: local midnight today, seven days ago,
/// the first of this month or of this year.
pub fn range_start(range: &str, now: &Zoned) -> String {
    let today = now.date();
    let start = match range {
        "today" => today.to_zoned_datetime(now.time_zone().clone()),
        "7d" => return utc_text(&now.checked_sub(7.days()).unwrap_or(now.clone())),
        "month" => today
            .first_of_month()
            .to_zoned_datetime(now.time_zone().clone()),
        _ => Date::new(today.year(), 1, 1)
            .unwrap_or(today)
            .to_zoned_datetime(now.time_zone().clone()),
    };
    start.map_or_else(|_| utc_text(now), |z| utc_text(&z))
}

/// The links one level below `pick` (years when nothing is picked), limited to the local dates
/// between the first and last stored values (`min`, `max`, UTC text) so no link leads to an
/// empty list for certain.
pub fn choices(pick: Option<DatePick>, min: &str, max: &str, time: &LocalTime) -> Vec<DatePick> {
    let (Some(lo), Some(hi)) = (time.zoned(min), time.zoned(max)) else {
        return Vec::new();
    };
    let (lo, hi) = (lo.date(), hi.date());
    match pick {
        None => (lo.year()..=hi.year())
            .map(|year| DatePick {
                year,
                month: None,
                day: None,
            })
            .collect(),
        Some(DatePick {
            year, month: None, ..
        }) => (1..=12)
            .filter(|&m| {
                let key = (year, m);
                key >= (lo.year(), lo.month()) && key <= (hi.year(), hi.month())
            })
            .map(|m| DatePick {
                year,
                month: Some(m),
                day: None,
            })
            .collect(),
        Some(DatePick {
            year,
            month: Some(month),
            day: None,
        }) => {
            let days = Date::new(year, month, 1).map_or(0, |d| d.days_in_month());
            (1..=days)
                .filter_map(|d| Date::new(year, month, d).ok())
                .filter(|d| *d >= lo && *d <= hi)
                .map(|d| DatePick {
                    year,
                    month: Some(month),
                    day: Some(d.day()),
                })
                .collect()
        }
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seoul() -> LocalTime {
        use crate::config::ConfigValue;
        LocalTime::new(&crate::config::ZoneName::from_env("Asia/Seoul").unwrap())
    }

    #[test]
    fn a_pick_is_a_korean_range_in_utc() {
        let t = seoul();
        let day = DatePick::parse("2026-12-04").unwrap();
        assert_eq!(
            day.bounds(&t).unwrap(),
            ("2026-12-03T15:00:00Z".into(), "2026-12-04T15:00:00Z".into())
        );
        let month = DatePick::parse("2026-12").unwrap();
        assert_eq!(month.bounds(&t).unwrap().1, "2026-12-31T15:00:00Z");
        assert_eq!(day.parent(), Some(month));
        assert_eq!(month.to_param(), "2026-12");
        for bad in ["2026-13", "2026-02-30", "20x6", "2026-1-1-1", "", "1900"] {
            assert_eq!(DatePick::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges_begin_at_local_midnight() {
        let t = seoul();
        // 00:30 KST on 03-16 is 15:30 UTC on 03-15: "today" began at 15:00 UTC.
        let now = "2026-03-15T15:30:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned_datetime(t.zone().clone());
        assert_eq!(range_start("today", &now), "2026-03-15T15:00:00Z");
        assert_eq!(range_start("7d", &now), "2026-03-08T15:30:00Z");
        assert_eq!(range_start("month", &now), "2026-02-28T15:00:00Z");
        assert_eq!(range_start("year", &now), "2025-12-31T15:00:00Z");
    }

    #[test]
    fn choices_stay_between_the_first_and_last_values() {
        let t = seoul();
        let (min, max) = ("2025-11-20T00:00:00Z", "2026-02-03T16:00:00Z");
        let years: Vec<i16> = choices(None, min, max, &t).iter().map(|p| p.year).collect();
        assert_eq!(years, [2025, 2026]);
        let months = choices(DatePick::parse("2026"), min, max, &t);
        assert_eq!(
            months.iter().map(|p| p.month.unwrap()).collect::<Vec<_>>(),
            [1, 2]
        );
        let days = choices(DatePick::parse("2026-02"), min, max, &t);
        // 16:00 UTC on 02-03 is 02-04 in Korea.
        assert_eq!(
            days.iter().map(|p| p.day.unwrap()).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(choices(DatePick::parse("2026-02-04"), min, max, &t).is_empty());
    }
}
