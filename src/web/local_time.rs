//! Dates and times as people read them. Stored timestamps are UTC RFC 3339 text
//! (`2026-12-03T15:59:00Z`); shown, they are in the configured zone (`i18n.time_zone`, the zone
//! database compiled in), Korean style on Korean pages (`2026.12.04`, `2026.12.04 00:59 KST`)
//! and ISO style on English ones, with the zone named wherever a time of day is shown. Lengths
//! of time read as words (`7시간 12분`, `7 h 12 min`). Templates, the certificate and the
//! admin's lists, history and CSV all format through here; nothing here is ever stored.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use crate::config::ZoneName;
use crate::web::i18n::Lang;

#[derive(Debug, Clone)]
pub struct LocalTime {
    zone: TimeZone,
}

impl LocalTime {
    pub fn new(zone: &ZoneName) -> LocalTime {
        LocalTime { zone: zone.zone() }
    }

    /// The zone itself (day boundaries for counts by local day).
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Times shown and read in UTC itself.
    pub fn utc() -> LocalTime {
        LocalTime {
            zone: TimeZone::UTC,
        }
    }

    /// A stored UTC timestamp in the zone; `None` for text that is not one.
    pub fn zoned(&self, utc: &str) -> Option<ZonedDateTime> {
        let at: Timestamp = utc.trim().parse().ok()?;
        Some(at.to_zoned_datetime(self.zone.clone()))
    }

    /// The local date: `2026.12.04` (ko), `2026-12-04` (en). Text that is not a timestamp is
    /// shown as it is.
    pub fn date(&self, lang: Lang, utc: &str) -> String {
        let format = match lang {
            Lang::Ko => "%Y.%m.%d",
            Lang::En => "%Y-%m-%d",
        };
        match self.zoned(utc) {
            Some(z) => z.strftime(format).to_string(),
            None => utc.to_owned(),
        }
    }

    /// The local date and time with the zone's abbreviation: `2026.12.04 00:59 KST` (ko),
    /// `2026-12-04 00:59 KST` (en).
    pub fn datetime(&self, lang: Lang, utc: &str) -> String {
        let format = match lang {
            Lang::Ko => "%Y.%m.%d %H:%M %Z",
            Lang::En => "%Y-%m-%d %H:%M %Z",
        };
        match self.zoned(utc) {
            Some(z) => z.strftime(format).to_string(),
            None => utc.to_owned(),
        }
    }

    /// A stored UTC timestamp as a `datetime-local` input shows it: local time in the zone,
    /// seconds kept (`2026-12-04T00:59:30`), so an untouched form sends back the same instant.
    pub fn input_value(&self, utc: &str) -> Option<String> {
        Some(self.zoned(utc)?.strftime("%Y-%m-%dT%H:%M:%S").to_string())
    }

    /// What a `datetime-local` input sent (local time in the zone, with or without seconds, as
    /// `2026-12-04T00:59` or `2026-12-04 00:59:30`) as stored UTC text
    /// (`2026-12-03T15:59:30Z`); `None` for text that is not a date and time. A local time a
    /// clock change skips or repeats takes the earlier offset (jiff's "compatible" rule).
    pub fn from_input(&self, local: &str) -> Option<String> {
        let t = local.trim().replacen(' ', "T", 1);
        let civil: jiff::civil::DateTime = t.parse().ok()?;
        let zoned = civil.to_zoned_datetime(self.zone.clone()).ok()?;
        Some(zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    /// The zone's abbreviation now (`KST`), to label inputs that take local time.
    pub fn abbreviation(&self) -> String {
        Timestamp::now()
            .to_zoned_datetime(self.zone.clone())
            .strftime("%Z")
            .to_string()
    }

    /// `datetime` for a value only when it is exactly a stored timestamp
    /// (`YYYY-MM-DDTHH:MM:SSZ`), else `None`: how the admin tells timestamps from other text.
    pub fn stored_datetime(&self, lang: Lang, text: &str) -> Option<String> {
        let b = text.as_bytes();
        let shaped = b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z';
        if !shaped {
            return None;
        }
        self.zoned(text)?;
        Some(self.datetime(lang, text))
    }
}

/// A length of time in words: `7시간 12분` / `7 h 12 min`, `12분` / `12 min` under an hour,
/// `45초` / `45 s` under a minute.
pub fn long_duration(lang: Lang, seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    match (lang, h, m) {
        (Lang::Ko, 0, 0) => format!("{sec}초"),
        (Lang::Ko, 0, m) => format!("{m}분"),
        (Lang::Ko, h, 0) => format!("{h}시간"),
        (Lang::Ko, h, m) => format!("{h}시간 {m}분"),
        (Lang::En, 0, 0) => format!("{sec} s"),
        (Lang::En, 0, m) => format!("{m} min"),
        (Lang::En, h, 0) => format!("{h} h"),
        (Lang::En, h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigValue;

    fn seoul() -> LocalTime {
        LocalTime::new(&ZoneName::from_env("Asia/Seoul").unwrap())
    }

    #[test]
    fn a_time_after_utc_midnight_in_seoul_is_the_next_day() {
        // 00:59 KST on 12-04 is 15:59 UTC on 12-03.
        let t = seoul();
        assert_eq!(t.date(Lang::Ko, "2026-12-03T15:59:00Z"), "2026.12.04");
        assert_eq!(t.date(Lang::En, "2026-12-03T15:59:00Z"), "2026-12-04");
        assert_eq!(
            t.datetime(Lang::Ko, "2026-12-03T15:59:00Z"),
            "2026.12.04 00:59 KST"
        );
        assert_eq!(t.date(Lang::Ko, "not a time"), "not a time");
    }

    #[test]
    fn only_stored_timestamps_are_converted_in_the_admin() {
        let t = seoul();
        assert_eq!(
            t.stored_datetime(Lang::Ko, "2026-12-03T15:59:00Z")
                .as_deref(),
            Some("2026.12.04 00:59 KST")
        );
        assert_eq!(t.stored_datetime(Lang::Ko, "2026-12-03"), None);
        assert_eq!(
            t.stored_datetime(Lang::Ko, "제목 2026-12-03T15:59:00Z"),
            None
        );
    }

    #[test]
    fn admin_inputs_take_local_time_with_seconds() {
        let t = seoul();
        assert_eq!(
            t.input_value("2026-12-03T15:59:30Z").as_deref(),
            Some("2026-12-04T00:59:30")
        );
        assert_eq!(
            t.from_input("2026-12-04T00:59:30").as_deref(),
            Some("2026-12-03T15:59:30Z")
        );
        assert_eq!(
            t.from_input("2026-12-04T00:59").as_deref(),
            Some("2026-12-03T15:59:00Z")
        );
        assert_eq!(t.from_input("2026-13-04T00:59"), None);
        assert_eq!(t.from_input("tomorrow"), None);
        assert_eq!(t.abbreviation(), "KST");
    }

    #[test]
    fn unknown_zones_are_refused_with_the_expected_shape() {
        let err = ZoneName::from_env("Mars/Olympus").unwrap_err();
        assert!(err.contains("Asia/Seoul"), "{err}");
        assert!(ZoneName::from_env("UTC").is_ok());
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(
            long_duration(Lang::Ko, 7 * 3600 + 12 * 60 + 20),
            "7시간 12분"
        );
        assert_eq!(
            long_duration(Lang::En, 7 * 3600 + 12 * 60 + 20),
            "7 h 12 min"
        );
        assert_eq!(long_duration(Lang::Ko, 720), "12분");
        assert_eq!(long_duration(Lang::Ko, 7200), "2시간");
        assert_eq!(long_duration(Lang::Ko, 45), "45초");
    }
}
