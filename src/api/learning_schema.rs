//! The documented shapes of the learning API (enrollments, lessons, progress, certificates,
//! questions, answers, notices, reviews) and their conversion from domain types.

use poem_openapi::{Object, Union};

use super::schema::CourseSummary;
use crate::learning::{enrollment, lessons, notices, progress, qa, reviews};

#[derive(Debug, Object)]
pub struct Enrollment {
    pub course: CourseSummary,
    pub enrolled_at: String,
    pub completed_lessons: i64,
    /// 0–100.
    pub progress_percent: i64,
    pub completed_at: Option<String>,
    /// The first lesson not yet completed ("continue where you left off"); null when done.
    pub next_lesson_position: Option<i64>,
    pub certificate_code: Option<String>,
}

impl From<enrollment::MyCourse> for Enrollment {
    fn from(m: enrollment::MyCourse) -> Self {
        Enrollment {
            course: m.course.into(),
            enrolled_at: m.enrolled_at,
            completed_lessons: m.completed_lessons,
            progress_percent: m.progress_percent,
            completed_at: m.completed_at,
            next_lesson_position: m.next_lesson_position,
            certificate_code: m.certificate_code,
        }
    }
}

#[derive(Debug, Object)]
pub struct EnrollmentPage {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<Enrollment>,
}

#[derive(Debug, Object)]
pub struct EnrollmentState {
    pub enrolled: bool,
    /// True when this request created the enrollment.
    pub created: bool,
}

#[derive(Debug, Object)]
pub struct Progress {
    pub enrolled: bool,
    pub completed_lessons: i64,
    pub lesson_count: i64,
    pub progress_percent: i64,
    pub completed_at: Option<String>,
    pub completed_positions: Vec<i64>,
    pub next_lesson_position: Option<i64>,
    pub certificate_code: Option<String>,
}

impl From<progress::Progress> for Progress {
    fn from(p: progress::Progress) -> Self {
        Progress {
            enrolled: p.enrolled,
            completed_lessons: p.completed_lessons,
            lesson_count: p.lesson_count,
            progress_percent: p.progress_percent,
            completed_at: p.completed_at,
            completed_positions: p.completed_positions,
            next_lesson_position: p.next_lesson_position,
            certificate_code: p.certificate_code,
        }
    }
}

#[derive(Debug, Object)]
pub struct EmbeddedVideo {
    /// An https player URL for an iframe.
    pub url: String,
}

#[derive(Debug, Object)]
pub struct VideoLink {
    /// A URL that is not on the player allow-list: show it as a link.
    pub url: String,
}

#[derive(Debug, Union)]
#[oai(discriminator_name = "kind")]
pub enum Video {
    #[oai(mapping = "embed")]
    Embed(EmbeddedVideo),
    #[oai(mapping = "link")]
    Link(VideoLink),
}

#[derive(Debug, Object)]
pub struct CurriculumItem {
    pub position: i64,
    pub title: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
    pub completed: bool,
}

#[derive(Debug, Object)]
pub struct LessonDetail {
    pub id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub position: i64,
    pub title: String,
    /// Markdown source.
    pub body: String,
    /// Rendered and sanitised.
    pub body_html: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
    pub video: Option<Video>,
    pub completed: bool,
    pub previous_position: Option<i64>,
    pub next_position: Option<i64>,
    pub curriculum: Vec<CurriculumItem>,
}

impl From<lessons::LessonView> for LessonDetail {
    fn from(v: lessons::LessonView) -> Self {
        LessonDetail {
            id: v.id,
            course_slug: v.course.slug,
            course_title: v.course.title,
            position: v.position,
            title: v.title,
            body: v.body,
            body_html: v.body_html,
            duration_seconds: v.duration_seconds,
            is_preview: v.is_preview,
            video: v.video.map(|video| match video {
                lessons::Video::Embed { url } => Video::Embed(EmbeddedVideo { url }),
                lessons::Video::Link { url } => Video::Link(VideoLink { url }),
            }),
            completed: v.completed,
            previous_position: v.previous_position,
            next_position: v.next_position,
            curriculum: v
                .curriculum
                .into_iter()
                .map(|l| CurriculumItem {
                    position: l.position,
                    title: l.title,
                    duration_seconds: l.duration_seconds,
                    is_preview: l.is_preview,
                    completed: l.completed,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct Certificate {
    pub code: String,
    pub learner_name: String,
    pub course_title: String,
    pub course_slug: String,
    pub instructor_name: String,
    pub issued_at: String,
}

impl From<progress::Certificate> for Certificate {
    fn from(c: progress::Certificate) -> Self {
        Certificate {
            code: c.code,
            learner_name: c.learner_name,
            course_title: c.course_title,
            course_slug: c.course_slug,
            instructor_name: c.instructor_name,
            issued_at: c.issued_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct Author {
    pub id: i64,
    pub display_name: String,
}

impl From<qa::Author> for Author {
    fn from(a: qa::Author) -> Self {
        Author {
            id: a.id,
            display_name: a.display_name,
        }
    }
}

#[derive(Debug, Object)]
pub struct QuestionSummary {
    pub id: i64,
    pub title: String,
    pub author: Author,
    pub answer_count: i64,
    pub is_answered: bool,
    pub is_hidden: bool,
    pub created_at: String,
}

impl From<qa::QuestionSummary> for QuestionSummary {
    fn from(q: qa::QuestionSummary) -> Self {
        QuestionSummary {
            id: q.id,
            title: q.title,
            author: q.author.into(),
            answer_count: q.answer_count,
            is_answered: q.is_answered,
            is_hidden: q.is_hidden,
            created_at: q.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct QuestionPage {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<QuestionSummary>,
}

#[derive(Debug, Object)]
pub struct Answer {
    pub id: i64,
    pub body: String,
    pub body_html: String,
    pub author: Author,
    pub is_accepted: bool,
    pub is_hidden: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<qa::Answer> for Answer {
    fn from(a: qa::Answer) -> Self {
        Answer {
            id: a.id,
            body: a.body,
            body_html: a.body_html,
            author: a.author.into(),
            is_accepted: a.is_accepted,
            is_hidden: a.is_hidden,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct Question {
    pub id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub author: Author,
    pub accepted_answer_id: Option<i64>,
    pub answer_count: i64,
    pub is_hidden: bool,
    pub created_at: String,
    pub updated_at: String,
    pub answers: Vec<Answer>,
}

impl From<qa::Question> for Question {
    fn from(q: qa::Question) -> Self {
        Question {
            id: q.id,
            course_slug: q.course_slug,
            course_title: q.course_title,
            title: q.title,
            body: q.body,
            body_html: q.body_html,
            author: q.author.into(),
            accepted_answer_id: q.accepted_answer_id,
            answer_count: q.answer_count,
            is_hidden: q.is_hidden,
            created_at: q.created_at,
            updated_at: q.updated_at,
            answers: q.answers.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct Notice {
    pub id: i64,
    /// Null for a site-wide notice.
    pub course_slug: Option<String>,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub is_pinned: bool,
    pub author_name: String,
    pub created_at: String,
}

impl From<notices::Notice> for Notice {
    fn from(n: notices::Notice) -> Self {
        Notice {
            id: n.id,
            course_slug: n.course_slug,
            title: n.title,
            body: n.body,
            body_html: n.body_html,
            is_pinned: n.is_pinned,
            author_name: n.author_name,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct Review {
    pub id: i64,
    /// 1–5.
    pub rating: i64,
    pub body: String,
    pub author: Author,
    pub created_at: String,
    pub updated_at: String,
}

impl From<reviews::Review> for Review {
    fn from(r: reviews::Review) -> Self {
        Review {
            id: r.id,
            rating: r.rating,
            body: r.body,
            author: Author {
                id: r.author_id,
                display_name: r.author_name,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ReviewPage {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<Review>,
}
