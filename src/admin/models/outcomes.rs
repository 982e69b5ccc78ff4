//! Registrations of what learners leave behind: reviews (read and deleted, never added or
//! edited: they are the learner's words) and certificates (read and deleted, never added or
//! edited: completion issues them). An instructor reaches only the rows of the courses they
//! teach.

use super::super::registry::Display::{DateTime, Number, Text};
use super::super::registry::{
    col, l, Choice, Column, Filter, FilterKind, ModelAdmin, Owner, SearchField,
};
use super::learning::COURSE_FILTER;
use super::*;

const RATINGS: &[Choice] = &[
    choice("1", "★1", "1 star"),
    choice("2", "★2", "2 stars"),
    choice("3", "★3", "3 stars"),
    choice("4", "★4", "4 stars"),
    choice("5", "★5", "5 stars"),
];

pub static REVIEW: ModelAdmin = ModelAdmin {
    key: "review",
    area: "learning",
    area_label: LEARNING,
    perm_model: "review",
    table: "reviews",
    label: l("수강평", "review"),
    plural: l("수강평", "Reviews"),
    repr: "'#' || reviews.id",
    site_url: Some("CASE WHEN c.status = 'published' THEN '/courses/' || c.slug END"),
    joins: "LEFT JOIN courses c ON c.id = reviews.course_id \
            LEFT JOIN users u ON u.id = reviews.user_id",
    columns: &[
        col("id", l("번호", "ID"), "reviews.id", Number),
        col("course", l("강의", "Course"), "c.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col("rating", l("별점", "Rating"), "reviews.rating", Number),
        col(
            "created_at",
            l("등록일", "Created"),
            "reviews.created_at",
            DateTime,
        ),
    ],
    search: &[SearchField::Like("reviews.body")],
    filters: &[
        Filter {
            name: "rating",
            label: l("별점", "Rating"),
            sql: "reviews.rating",
            kind: FilterKind::Choices(RATINGS),
        },
        Filter {
            sql: "reviews.course_id",
            ..COURSE_FILTER
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("reviews.created_at"),
    readonly: &[
        col("course", l("강의", "Course"), "c.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col("rating", l("별점", "Rating"), "reviews.rating", Number),
        col("body", l("내용", "Review"), "reviews.body", Text),
        col(
            "created_at",
            l("등록일", "Created"),
            "reviews.created_at",
            DateTime,
        ),
        col(
            "updated_at",
            l("수정일", "Updated"),
            "reviews.updated_at",
            DateTime,
        ),
    ],
    actions: &[DELETE_SELECTED],
    never: &[Action::Add, Action::Change],
    owner: Some(Owner {
        predicate: "reviews.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};

const CERTIFICATE_COLUMNS: &[Column] = &[
    col("code", l("인증 코드", "Code"), "certificates.code", Text),
    col("email", l("이메일", "E-mail"), "u.email", Text),
    col(
        "learner_name",
        l("수료자", "Learner"),
        "certificates.learner_name",
        Text,
    ),
    col(
        "course_title",
        l("강의", "Course"),
        "certificates.course_title",
        Text,
    ),
    col(
        "issued_at",
        l("발급일", "Issued"),
        "certificates.issued_at",
        DateTime,
    ),
];

/// Certificates keep the names as they were when earned; the list and the page show those
/// (what the public page shows), with the learner's current e-mail beside them.
pub static CERTIFICATE: ModelAdmin = ModelAdmin {
    key: "certificate",
    area: "learning",
    area_label: LEARNING,
    perm_model: "certificate",
    table: "certificates",
    label: l("수료증", "certificate"),
    plural: l("수료증", "Certificates"),
    repr: "certificates.learner_name || ' · ' || certificates.course_title \
           || ' (' || certificates.code || ')'",
    site_url: Some("'/certificates/' || certificates.code"),
    joins: "LEFT JOIN users u ON u.id = certificates.user_id",
    columns: CERTIFICATE_COLUMNS,
    search: &[
        SearchField::Like("certificates.code"),
        SearchField::Related {
            fk: "certificates.user_id",
            table: "users",
            columns: &["email", "display_name"],
        },
        SearchField::Like("certificates.learner_name"),
        SearchField::Like("certificates.course_title"),
    ],
    filters: &[
        Filter {
            sql: "certificates.course_id",
            ..COURSE_FILTER
        },
        Filter {
            name: "issued",
            label: l("발급일", "Issued"),
            sql: "certificates.issued_at",
            kind: FilterKind::Date,
        },
    ],
    ordering: &["-issued_at"],
    date_hierarchy: Some("certificates.issued_at"),
    readonly: &[
        col("code", l("인증 코드", "Code"), "certificates.code", Text),
        col(
            "learner_name",
            l("수료자 (발급 당시)", "Learner (as issued)"),
            "certificates.learner_name",
            Text,
        ),
        col("email", l("이메일", "E-mail"), "u.email", Text),
        col(
            "course_title",
            l("강의 (발급 당시)", "Course (as issued)"),
            "certificates.course_title",
            Text,
        ),
        col(
            "instructor_name",
            l("강사 (발급 당시)", "Instructor (as issued)"),
            "certificates.instructor_name",
            Text,
        ),
        col(
            "issued_at",
            l("발급일", "Issued"),
            "certificates.issued_at",
            DateTime,
        ),
    ],
    actions: &[DELETE_SELECTED],
    never: &[Action::Add, Action::Change],
    note: Some("admin.note.certificate"),
    owner: Some(Owner {
        predicate: "certificates.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};
