//! Registrations of the learning tables a course runs on: enrollments, the learners' questions
//! and answers (changed, hidden and deleted here, never added: they come from the site) and
//! notices (site-wide when no course) with the pin actions. What learners leave behind (reviews,
//! certificates) is registered in `outcomes`. Each has an owner rule: an instructor (see
//! `AdminCtx::owner`) reaches only the rows of the courses they teach; a site-wide notice is
//! not theirs.

use super::super::registry::ActionKind::Update;
use super::super::registry::Display::{Bool, Choices, DateTime, Number, Text};
use super::super::registry::{
    col, field, l, ActionDef, Choice, Field, Filter, FilterKind, ModelAdmin, Owner, SearchField,
    Widget,
};
use super::*;

pub static ENROLLMENT: ModelAdmin = ModelAdmin {
    key: "enrollment",
    area: "learning",
    area_label: LEARNING,
    perm_model: "enrollment",
    table: "enrollments",
    label: l("수강 신청", "enrollment"),
    plural: l("수강 신청", "Enrollments"),
    repr: "'#' || enrollments.id",
    joins: "LEFT JOIN users u ON u.id = enrollments.user_id \
            LEFT JOIN courses c ON c.id = enrollments.course_id",
    columns: &[
        col("id", l("번호", "ID"), "enrollments.id", Number),
        col("user", l("수강생", "Learner"), "u.email", Text),
        col("course", l("강의", "Course"), "c.title", Text),
        // Progress from the maintained counters (no per-row count).
        col(
            "progress",
            l("진도율", "Progress"),
            "CASE WHEN c.lesson_count > 0 \
             THEN min(100, enrollments.completed_lessons * 100 / c.lesson_count) || '%' END",
            Text,
        ),
        col(
            "completed_at",
            l("수료일", "Completed"),
            "enrollments.completed_at",
            DateTime,
        ),
        col(
            "created_at",
            l("신청일", "Enrolled"),
            "enrollments.created_at",
            DateTime,
        ),
    ],
    search: &[
        SearchField::Related {
            fk: "enrollments.user_id",
            table: "users",
            columns: &["email", "display_name"],
        },
        SearchField::Related {
            fk: "enrollments.course_id",
            table: "courses",
            columns: &["title"],
        },
    ],
    filters: &[
        Filter {
            name: "course",
            label: l("강의", "Course"),
            sql: "enrollments.course_id",
            kind: FilterKind::Fk {
                table: "courses",
                label_sql: "title || ' · ' || slug",
            },
        },
        Filter {
            name: "completed",
            label: l("수료", "Completed"),
            sql: "enrollments.completed_at IS NOT NULL",
            kind: FilterKind::Bool,
        },
        Filter {
            sql: "enrollments.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("enrollments.created_at"),
    fields: &[
        field(
            "user_id",
            l("수강생", "Learner"),
            Widget::Fk {
                table: "users",
                label_sql: "display_name || ' <' || email || '>'",
                autocomplete: true,
            },
        ),
        field(
            "course_id",
            l("강의", "Course"),
            Widget::Fk {
                table: "courses",
                label_sql: "title",
                autocomplete: true,
            },
        ),
    ],
    actions: &[DELETE_SELECTED],
    owner: Some(Owner {
        predicate: "enrollments.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};

const HIDE: ActionDef = ActionDef {
    name: "hide",
    label: l("선택한 항목 숨기기", "Hide selected"),
    perm: Action::Change,
    kind: Update("is_hidden = 1"),
};

const SHOW: ActionDef = ActionDef {
    name: "show",
    label: l("선택한 항목 보이기", "Show selected"),
    perm: Action::Change,
    kind: Update("is_hidden = 0"),
};

const HIDDEN_FIELD: Field = Field {
    required: false,
    ..field("is_hidden", l("숨김", "Hidden"), Widget::Checkbox)
};

pub(super) const COURSE_FILTER: Filter = Filter {
    name: "course",
    label: l("강의", "Course"),
    sql: "",
    kind: FilterKind::Fk {
        table: "courses",
        label_sql: "title || ' · ' || slug",
    },
};

const ANSWER_STATES: &[Choice] = &[
    super::super::registry::choice("unanswered", "미답변", "Unanswered"),
    super::super::registry::choice("answered", "답변됨", "Answered"),
    super::super::registry::choice("accepted", "채택됨", "Accepted"),
];

const HIDDEN_FILTER: Filter = Filter {
    name: "is_hidden",
    label: l("숨김", "Hidden"),
    sql: "",
    kind: FilterKind::Bool,
};

pub static QUESTION: ModelAdmin = ModelAdmin {
    key: "question",
    area: "learning",
    area_label: LEARNING,
    perm_model: "question",
    table: "questions",
    label: l("질문", "question"),
    plural: l("질문", "Questions"),
    repr: "questions.title",
    site_url: Some("CASE WHEN questions.is_hidden = 0 AND c.status = 'published' THEN '/questions/' || questions.id END"),
    joins: "LEFT JOIN courses c ON c.id = questions.course_id \
            LEFT JOIN users u ON u.id = questions.user_id",
    columns: &[
        col("id", l("번호", "ID"), "questions.id", Number),
        col("title", l("제목", "Title"), "questions.title", Text),
        col("course", l("강의", "Course"), "c.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col(
            "answer_count",
            l("답변 수", "Answers"),
            "questions.answer_count",
            Number,
        ),
        col(
            "is_hidden",
            l("숨김", "Hidden"),
            "questions.is_hidden",
            Bool,
        ),
        col(
            "created_at",
            l("등록일", "Created"),
            "questions.created_at",
            DateTime,
        ),
    ],
    search: &[
        SearchField::Like("questions.title"),
        SearchField::Like("questions.body"),
    ],
    filters: &[
        Filter {
            sql: "questions.course_id",
            ..COURSE_FILTER
        },
        Filter {
            name: "answered",
            label: l("답변 상태", "Answer"),
            sql: "CASE WHEN questions.accepted_answer_id IS NOT NULL THEN 'accepted' \
                  WHEN questions.answer_count > 0 THEN 'answered' ELSE 'unanswered' END",
            kind: FilterKind::Choices(ANSWER_STATES),
        },
        Filter {
            sql: "questions.is_hidden",
            ..HIDDEN_FILTER
        },
        Filter {
            sql: "questions.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("questions.created_at"),
    fields: &[
        field(
            "title",
            l("제목", "Title"),
            Widget::Text {
                max: crate::learning::qa::MAX_TITLE,
            },
        ),
        field(
            "body",
            l("본문 (마크다운)", "Body (markdown)"),
            Widget::Markdown {
                max: crate::learning::qa::MAX_BODY,
            },
        ),
        HIDDEN_FIELD,
    ],
    readonly: &[
        col("course", l("강의", "Course"), "c.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col(
            "answer_count",
            l("답변 수", "Answers"),
            "questions.answer_count",
            Number,
        ),
        col(
            "created_at",
            l("등록일", "Created"),
            "questions.created_at",
            DateTime,
        ),
        col(
            "updated_at",
            l("수정일", "Updated"),
            "questions.updated_at",
            DateTime,
        ),
    ],
    actions: &[DELETE_SELECTED, HIDE, SHOW],
    touch: Some("updated_at"),
    never: &[Action::Add],
    owner: Some(Owner {
        predicate: "questions.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};

pub static ANSWER: ModelAdmin = ModelAdmin {
    key: "answer",
    area: "learning",
    area_label: LEARNING,
    perm_model: "answer",
    table: "answers",
    label: l("답변", "answer"),
    plural: l("답변", "Answers"),
    repr: "'#' || answers.id",
    site_url: Some("CASE WHEN answers.is_hidden = 0 AND q.is_hidden = 0 THEN '/questions/' || answers.question_id END"),
    joins: "LEFT JOIN questions q ON q.id = answers.question_id \
            LEFT JOIN users u ON u.id = answers.user_id",
    columns: &[
        col("id", l("번호", "ID"), "answers.id", Number),
        col("question", l("질문", "Question"), "q.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col("is_hidden", l("숨김", "Hidden"), "answers.is_hidden", Bool),
        col(
            "created_at",
            l("등록일", "Created"),
            "answers.created_at",
            DateTime,
        ),
    ],
    search: &[SearchField::Like("answers.body")],
    filters: &[
        Filter {
            sql: "answers.is_hidden",
            ..HIDDEN_FILTER
        },
        Filter {
            sql: "answers.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("answers.created_at"),
    fields: &[
        field(
            "body",
            l("본문 (마크다운)", "Body (markdown)"),
            Widget::Markdown {
                max: crate::learning::qa::MAX_BODY,
            },
        ),
        HIDDEN_FIELD,
    ],
    readonly: &[
        col("question", l("질문", "Question"), "q.title", Text),
        col("author", l("작성자", "Author"), "u.display_name", Text),
        col(
            "created_at",
            l("등록일", "Created"),
            "answers.created_at",
            DateTime,
        ),
        col(
            "updated_at",
            l("수정일", "Updated"),
            "answers.updated_at",
            DateTime,
        ),
    ],
    actions: &[DELETE_SELECTED, HIDE, SHOW],
    touch: Some("updated_at"),
    never: &[Action::Add],
    owner: Some(Owner {
        predicate: "answers.question_id IN (SELECT q.id FROM questions q JOIN courses c ON c.id = q.course_id WHERE c.instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};

/// A notice without a course is site-wide; the list shows it so (a course title is never empty).
const SITE_WIDE: &[Choice] = &[choice("", "전체 공지", "Site-wide")];

pub static NOTICE: ModelAdmin = ModelAdmin {
    key: "notice",
    area: "learning",
    area_label: LEARNING,
    perm_model: "notice",
    table: "notices",
    label: l("공지", "notice"),
    plural: l("공지", "Notices"),
    repr: "notices.title",
    site_url: Some("CASE WHEN c.status = 'published' THEN '/courses/' || c.slug END"),
    joins: "LEFT JOIN courses c ON c.id = notices.course_id",
    columns: &[
        col("id", l("번호", "ID"), "notices.id", Number),
        col("title", l("제목", "Title"), "notices.title", Text),
        col(
            "course",
            l("강의", "Course"),
            "COALESCE(c.title, '')",
            Choices(SITE_WIDE),
        ),
        col("is_pinned", l("고정", "Pinned"), "notices.is_pinned", Bool),
        col(
            "created_at",
            l("등록일", "Created"),
            "notices.created_at",
            DateTime,
        ),
    ],
    search: &[
        SearchField::Like("notices.title"),
        SearchField::Like("notices.body"),
    ],
    filters: &[
        Filter {
            name: "is_pinned",
            label: l("고정", "Pinned"),
            sql: "notices.is_pinned",
            kind: FilterKind::Bool,
        },
        Filter {
            sql: "notices.course_id",
            ..COURSE_FILTER
        },
    ],
    ordering: &["-is_pinned", "-created_at"],
    fields: &[
        Field {
            required: false,
            ..field(
                "course_id",
                l("강의 (비우면 전체 공지)", "Course (empty: site-wide)"),
                Widget::Fk {
                    table: "courses",
                    label_sql: "title",
                    autocomplete: false,
                },
            )
        },
        field(
            "author_id",
            l("작성자", "Author"),
            Widget::Fk {
                table: "users",
                label_sql: "display_name || ' <' || email || '>'",
                autocomplete: true,
            },
        ),
        field(
            "title",
            l("제목", "Title"),
            Widget::Text {
                max: crate::learning::notices::MAX_TITLE,
            },
        ),
        Field {
            required: false,
            ..field(
                "body",
                l("본문 (마크다운)", "Body (markdown)"),
                Widget::Markdown {
                    max: crate::learning::notices::MAX_BODY,
                },
            )
        },
        Field {
            required: false,
            ..field("is_pinned", l("고정", "Pinned"), Widget::Checkbox)
        },
    ],
    readonly: &[col(
        "created_at",
        l("등록일", "Created"),
        "notices.created_at",
        DateTime,
    )],
    actions: &[
        DELETE_SELECTED,
        ActionDef {
            name: "pin",
            label: l("선택한 공지 고정", "Mark pinned"),
            perm: Action::Change,
            kind: Update("is_pinned = 1"),
        },
        ActionDef {
            name: "unpin",
            label: l("선택한 공지 고정 해제", "Unpin"),
            perm: Action::Change,
            kind: Update("is_pinned = 0"),
        },
    ],
    owner: Some(Owner {
        predicate: "notices.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    ..ModelAdmin::DEFAULT
};
