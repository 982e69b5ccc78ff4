//! A lesson as a learner sees it: who may open it (enrolled learners, anyone for previews, the
//! instructor), its markdown rendered and sanitised, its video as an embedded player when the
//! URL is on the allow-list (YouTube, Vimeo, configured hosts) and a plain link otherwise, and
//! the curriculum around it with checkmarks.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::progress::{progress, Progress};
use super::{may_change_course, visible_course, CourseRef, LearningError};
use crate::accounts::User;
use crate::markdown;

/// How a lesson's video is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Video {
    /// An iframe player at this https URL.
    Embed { url: String },
    /// Not on the allow-list: a plain link.
    Link { url: String },
}

fn id_ok(id: &str, min: usize, max: usize, extra: &[char]) -> bool {
    (min..=max).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// The player for an allowed video URL, a link for another http(s) URL, nothing otherwise.
pub fn video_for(raw: &str, extra_hosts: &[String]) -> Option<Video> {
    let url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let youtube = |id: &str| {
        id_ok(id, 6, 32, &['-', '_']).then(|| Video::Embed {
            url: format!("https://www.youtube-nocookie.com/embed/{id}"),
        })
    };
    let embedded = match host.as_str() {
        "youtube.com" | "m.youtube.com" => match segments.as_slice() {
            ["watch"] => url
                .query_pairs()
                .find(|(k, _)| k == "v")
                .and_then(|(_, v)| youtube(&v)),
            ["embed", id] | ["shorts", id] | ["live", id] => youtube(id),
            _ => None,
        },
        "youtu.be" => segments.first().and_then(|id| youtube(id)),
        "vimeo.com" | "player.vimeo.com" => segments
            .iter()
            .rev()
            .find(|s| s.chars().all(|c| c.is_ascii_digit()))
            .filter(|id| id_ok(id, 1, 20, &[]))
            .map(|id| Video::Embed {
                url: format!("https://player.vimeo.com/video/{id}"),
            }),
        // The configured host exactly as written: `frame_sources` allows that origin and no
        // other, so a `www.` variant would be refused by the browser.
        _ if url.scheme() == "https"
            && extra_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(url.host_str().unwrap_or(""))) =>
        {
            Some(Video::Embed {
                url: url.to_string(),
            })
        }
        _ => None,
    };
    embedded.or_else(|| {
        Some(Video::Link {
            url: url.to_string(),
        })
    })
}

/// Where a learner can watch an embedded video on its own site, for when the player cannot load
/// (blocked network, an extension): the site's name and the watch page.
pub fn watch_link(video: &Video) -> Option<(String, String)> {
    let Video::Embed { url } = video else {
        return None;
    };
    if let Some(id) = url.strip_prefix("https://www.youtube-nocookie.com/embed/") {
        return Some((
            "YouTube".to_owned(),
            format!("https://www.youtube.com/watch?v={id}"),
        ));
    }
    if let Some(id) = url.strip_prefix("https://player.vimeo.com/video/") {
        return Some(("Vimeo".to_owned(), format!("https://vimeo.com/{id}")));
    }
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    Some((host, url.clone()))
}

/// The origins the lesson page may frame (Content-Security-Policy `frame-src`): the players
/// `video_for` embeds and the configured hosts, nothing else.
pub fn frame_sources(extra_hosts: &[String]) -> Vec<String> {
    let mut out = vec![
        "https://www.youtube-nocookie.com".to_owned(),
        "https://player.vimeo.com".to_owned(),
    ];
    out.extend(extra_hosts.iter().map(|h| format!("https://{h}")));
    out
}

/// Parses `learning.video_hosts`.
pub fn parse_hosts(config_value: &str) -> Vec<String> {
    config_value
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct LessonItem {
    pub position: i64,
    pub title: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
    pub completed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LessonView {
    pub course: CourseRef,
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
    pub video: Option<Video>,
    pub completed: bool,
    pub previous_position: Option<i64>,
    pub next_position: Option<i64>,
    pub curriculum: Vec<LessonItem>,
    pub progress: Option<Progress>,
}

/// What a lesson shows that is the same for every reader: text, video and the curriculum
/// around it, with no checkmarks (`completed` is false throughout). Pages keep it across requests
/// for one write generation; a learner's progress is added per request.
#[derive(Debug, Clone, Serialize)]
pub struct LessonContent {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
    pub video: Option<Video>,
    pub previous_position: Option<i64>,
    pub next_position: Option<i64>,
    pub curriculum: Vec<LessonItem>,
}

/// The lesson at `position` of `course`, whoever asks; `lesson_access` decides who may see it.
pub fn lesson_content(
    conn: &Connection,
    course: &CourseRef,
    position: i64,
    video_hosts: &[String],
) -> Result<LessonContent, LearningError> {
    let row: Option<(i64, String, String, String, i64, bool)> = conn
        .prepare_cached(
            "SELECT id, title, body, video_url, duration_seconds, is_preview FROM lessons \
             WHERE course_id = ?1 AND position = ?2",
        )?
        .query_row(params![course.id, position], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    let (id, title, body, video_url, duration_seconds, is_preview) =
        row.ok_or(LearningError::NotFound)?;
    let curriculum: Vec<LessonItem> = conn
        .prepare_cached("SELECT position, title, duration_seconds, is_preview FROM lessons WHERE course_id = ?1 ORDER BY position")?
        .query_map([course.id], |r| {
            Ok(LessonItem {
                position: r.get(0)?,
                title: r.get(1)?,
                duration_seconds: r.get(2)?,
                is_preview: r.get(3)?,
                completed: false,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let previous_position = curriculum
        .iter()
        .rev()
        .map(|l| l.position)
        .find(|p| *p < position);
    let next_position = curriculum
        .iter()
        .map(|l| l.position)
        .find(|p| *p > position);
    Ok(LessonContent {
        body_html: markdown::to_safe_html(&body),
        video: if video_url.is_empty() {
            None
        } else {
            video_for(&video_url, video_hosts)
        },
        id,
        position,
        title,
        body,
        duration_seconds,
        is_preview,
        previous_position,
        next_position,
        curriculum,
    })
}

/// Who may open a lesson: enrolled learners and the course's editors see every lesson, everyone
/// sees previews, others get `not_enrolled`. The answer is the caller's progress when enrolled.
pub fn lesson_access(
    conn: &Connection,
    course: &CourseRef,
    is_preview: bool,
    user: Option<&User>,
) -> Result<Option<Progress>, LearningError> {
    let Some(user) = user else {
        return if is_preview {
            Ok(None)
        } else {
            Err(LearningError::not_enrolled())
        };
    };
    // The progress query reads the enrollment row, so it also answers "enrolled?"; whether
    // the reader edits the course matters only when nothing else opens the lesson.
    let progress = progress(conn, user.id, course)?;
    if progress.enrolled {
        return Ok(Some(progress));
    }
    if is_preview || may_change_course(conn, user, course)? {
        Ok(None)
    } else {
        Err(LearningError::not_enrolled())
    }
}

/// The lesson at `position` for `user` (or a visitor), with checkmarks: `lesson_content` and
/// `lesson_access` together.
pub fn lesson_view(
    conn: &Connection,
    slug: &str,
    position: i64,
    user: Option<&User>,
    video_hosts: &[String],
) -> Result<LessonView, LearningError> {
    let course = visible_course(conn, slug, user)?;
    let content = lesson_content(conn, &course, position, video_hosts)?;
    let progress = lesson_access(conn, &course, content.is_preview, user)?;
    let done = |p: i64| {
        progress
            .as_ref()
            .is_some_and(|pr| pr.completed_positions.contains(&p))
    };
    let curriculum = content
        .curriculum
        .into_iter()
        .map(|mut item| {
            item.completed = done(item.position);
            item
        })
        .collect();
    Ok(LessonView {
        completed: done(position),
        course,
        id: content.id,
        position,
        title: content.title,
        body: content.body,
        body_html: content.body_html,
        duration_seconds: content.duration_seconds,
        is_preview: content.is_preview,
        video: content.video,
        previous_position: content.previous_position,
        next_position: content.next_position,
        curriculum,
        progress,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embed(u: &str) -> Option<Video> {
        Some(Video::Embed { url: u.to_owned() })
    }

    #[test]
    fn every_embed_is_inside_frame_sources_and_has_a_watch_link() {
        let hosts = vec!["media.example.kr".to_owned()];
        let sources = frame_sources(&hosts);
        for (raw, site) in [
            ("https://youtu.be/dQw4w9WgXcQ", "YouTube"),
            ("https://vimeo.com/76979871", "Vimeo"),
            ("https://media.example.kr/v/1", "media.example.kr"),
        ] {
            let video = video_for(raw, &hosts).unwrap();
            let Video::Embed { url } = &video else {
                panic!("{raw} embeds")
            };
            assert!(
                sources.iter().any(|s| url.starts_with(&format!("{s}/"))),
                "{url} outside {sources:?}"
            );
            assert_eq!(watch_link(&video).unwrap().0, site);
        }
        assert_eq!(
            watch_link(&video_for("https://youtu.be/dQw4w9WgXcQ", &hosts).unwrap())
                .unwrap()
                .1,
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        );
    }

    #[test]
    fn allowed_players_embed_and_the_rest_are_links() {
        let hosts = vec!["media.example.kr".to_owned()];
        assert_eq!(
            video_for("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10", &hosts),
            embed("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        );
        assert_eq!(
            video_for("https://youtu.be/dQw4w9WgXcQ", &hosts),
            embed("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        );
        assert_eq!(
            video_for("https://vimeo.com/76979871", &hosts),
            embed("https://player.vimeo.com/video/76979871")
        );
        assert_eq!(
            video_for("https://media.example.kr/v/1", &hosts),
            embed("https://media.example.kr/v/1")
        );
        assert_eq!(
            video_for("http://media.example.kr/v/1", &hosts),
            Some(Video::Link {
                url: "http://media.example.kr/v/1".into()
            }),
            "embeds need https"
        );
        assert_eq!(
            video_for("https://evil.example/x", &hosts),
            Some(Video::Link {
                url: "https://evil.example/x".into()
            })
        );
        assert_eq!(
            video_for("https://www.media.example.kr/v/1", &hosts),
            Some(Video::Link {
                url: "https://www.media.example.kr/v/1".into()
            }),
            "only the configured host itself is framed"
        );
        assert_eq!(video_for("javascript:alert(1)", &hosts), None);
        assert_eq!(
            video_for("https://www.youtube.com/watch?v=<script>", &hosts),
            Some(Video::Link {
                url: "https://www.youtube.com/watch?v=%3Cscript%3E".into()
            })
        );
    }
}
