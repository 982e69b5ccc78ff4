//! Registrations of the catalog tables: categories, courses (with their lessons inline, the
//! publish actions, the thumbnail upload and the instructor rule) and lessons.

use super::super::registry::ActionKind::Update;
use super::super::registry::Display::{self, Bool, DateTime, Number, Text};
use super::super::registry::{
    col, field, l, ActionDef, Field, Filter, FilterKind, Inline, ModelAdmin, Owner, SearchField,
    Section, Upload, Widget,
};
use super::*;
use crate::learning::authoring;
use crate::vocab::Term;

pub static CATEGORY: ModelAdmin = ModelAdmin {
    key: "category",
    area: "catalog",
    area_label: CATALOG,
    perm_model: "category",
    table: "categories",
    label: l("분야", "category"),
    plural: l("분야", "Categories"),
    repr: "categories.name",
    site_url: Some("'/courses?category=' || categories.slug"),
    columns: &[
        col("name", l("이름", "Name"), "categories.name", Text),
        col(
            "name_en",
            l("영문 이름", "English name"),
            "categories.name_en",
            Text,
        ),
        col("slug", l("슬러그", "Slug"), "categories.slug", Text),
        col(
            "position",
            l("순서", "Position"),
            "categories.position",
            Number,
        ),
        col(
            "courses",
            l("공개 강의 수", "Published courses"),
            "categories.published_course_count",
            Number,
        ),
    ],
    search: &[
        SearchField::Like("categories.name"),
        SearchField::Like("categories.name_en"),
        SearchField::Like("categories.slug"),
    ],
    ordering: &["position", "name"],
    fields: &[
        field("name", l("이름", "Name"), Widget::Text { max: 100 }),
        field(
            "name_en",
            l("영문 이름", "English name"),
            Widget::Text { max: 100 },
        ),
        field("slug", l("슬러그", "Slug"), Widget::Vocab(Term::Slug)),
        field(
            "position",
            l("순서", "Position"),
            Widget::Int {
                min: 0,
                max: 10_000,
            },
        ),
    ],
    actions: &[DELETE_SELECTED],
    ..ModelAdmin::DEFAULT
};

pub static COURSE: ModelAdmin = ModelAdmin {
    key: "course",
    area: "catalog",
    area_label: CATALOG,
    perm_model: "course",
    table: "courses",
    label: l("강의", "course"),
    plural: l("강의", "Courses"),
    repr: "courses.title",
    complete: Some(authoring::complete_publish_time),
    site_url: Some("CASE WHEN courses.status = 'published' THEN '/courses/' || courses.slug END"),
    joins: "LEFT JOIN categories cat ON cat.id = courses.category_id \
            LEFT JOIN users ins ON ins.id = courses.instructor_id",
    columns: &[
        col("title", l("제목", "Title"), "courses.title", Text),
        col("category", l("분야", "Category"), "cat.name", Text),
        col(
            "instructor",
            l("강사", "Instructor"),
            "ins.display_name || char(31) || ins.id",
            Display::Related("user"),
        ),
        col("status", l("상태", "Status"), "courses.status", Display::Choices(STATUSES)),
        col("level", l("난이도", "Level"), "courses.level", Display::Choices(LEVELS)),
        col("lessons", l("수업 수", "Lessons"), "courses.lesson_count", Number),
        col(
            "enrollments",
            l("수강생 수", "Enrollments"),
            "courses.enrollment_count",
            Number,
        ),
        col("created_at", l("등록일", "Created"), "courses.created_at", DateTime),
    ],
    search: &[SearchField::Fts("course_search"), SearchField::Like("courses.slug")],
    filters: &[
        Filter {
            name: "status",
            label: l("상태", "Status"),
            sql: "courses.status",
            kind: FilterKind::Choices(STATUSES),
        },
        Filter {
            name: "level",
            label: l("난이도", "Level"),
            sql: "courses.level",
            kind: FilterKind::Choices(LEVELS),
        },
        Filter {
            name: "category",
            label: l("분야", "Category"),
            sql: "courses.category_id",
            kind: FilterKind::Fk {
                table: "categories",
                label_sql: "name",
            },
        },
        Filter {
            sql: "courses.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("courses.created_at"),
    fields: &[
        field("title", l("제목", "Title"), Widget::Vocab(Term::Title)),
        field("slug", l("슬러그", "Slug"), Widget::Vocab(Term::Slug)),
        Field {
            required: false,
            ..field("summary", l("요약", "Summary"), Widget::TextArea {
                    max: authoring::MAX_SUMMARY,
                })
        },
        Field {
            required: false,
            ..field(
                "description",
                l("설명 (마크다운)", "Description (markdown)"),
                Widget::Markdown {
                    max: authoring::MAX_DESCRIPTION,
                },
            )
        },
        field(
            "category_id",
            l("분야", "Category"),
            Widget::Fk {
                table: "categories",
                label_sql: "name",
                autocomplete: false,
            },
        ),
        field("level", l("난이도", "Level"), Widget::Select(LEVELS)),
        field(
            "instructor_id",
            l("강사", "Instructor"),
            Widget::Fk {
                table: "users",
                label_sql: "display_name || ' <' || email || '>'",
                autocomplete: true,
            },
        ),
        field("status", l("상태", "Status"), Widget::Select(STATUSES)),
        Field {
            required: false,
            ..field("published_at", l("공개 시각", "Published at"), Widget::DateTime)
        },
    ],
    sections: &[
        Section {
            label: l("기본 정보", "Basics"),
            fields: &["title", "slug", "summary", "description"],
        },
        Section {
            label: l("분류와 강사", "Category and instructor"),
            fields: &["category_id", "level", "instructor_id"],
        },
        Section {
            label: l("공개", "Publishing"),
            fields: &["status", "published_at"],
        },
    ],
    readonly: &[
        col("lessons", l("수업 수", "Lessons"), "courses.lesson_count", Number),
        col(
            "enrollments",
            l("수강생 수", "Enrollments"),
            "courses.enrollment_count",
            Number,
        ),
        col("created_at", l("등록일", "Created"), "courses.created_at", DateTime),
        col("updated_at", l("수정일", "Updated"), "courses.updated_at", DateTime),
    ],
    inlines: &[Inline {
        model: "lesson",
        fk: "course_id",
        order: Some("position"),
        extra: 3,
    }],
    actions: &[
        ActionDef {
            name: "publish",
            label: l("선택한 강의 공개", "Publish selected courses"),
            perm: Action::Change,
            kind: Update(
                "status = 'published', published_at = COALESCE(published_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            ),
        },
        ActionDef {
            name: "unpublish",
            label: l("선택한 강의를 초안으로 되돌리기", "Unpublish selected courses"),
            perm: Action::Change,
            kind: Update("status = 'draft'"),
        },
        ActionDef {
            name: "archive",
            label: l("선택한 강의 보관", "Archive selected courses"),
            perm: Action::Change,
            kind: Update("status = 'archived'"),
        },
        DELETE_SELECTED,
    ],
    owner: Some(Owner {
        predicate: "courses.instructor_id = ?",
        column: Some("instructor_id"),
    }),
    uploads: &[Upload {
        field: "thumbnail",
        label: l("썸네일", "Thumbnail"),
    }],
    touch: Some("updated_at"),
    ..ModelAdmin::DEFAULT
};

pub static LESSON: ModelAdmin = ModelAdmin {
    key: "lesson",
    area: "catalog",
    area_label: CATALOG,
    perm_model: "lesson",
    table: "lessons",
    label: l("수업", "lesson"),
    plural: l("수업", "Lessons"),
    repr: "lessons.title",
    site_url: Some("CASE WHEN c.status = 'published' THEN '/courses/' || c.slug || '/lessons/' || lessons.position END"),
    joins: "LEFT JOIN courses c ON c.id = lessons.course_id",
    columns: &[
        col("title", l("제목", "Title"), "lessons.title", Text),
        col("course", l("강의", "Course"), "c.title", Text),
        col(
            "position",
            l("순서", "Position"),
            "lessons.position",
            Number,
        ),
        col(
            "duration",
            l("길이", "Length"),
            "lessons.duration_seconds",
            Display::Vocab(Term::LessonLength),
        ),
        col(
            "preview",
            l("미리보기", "Preview"),
            "lessons.is_preview",
            Bool,
        ),
    ],
    search: &[
        SearchField::Like("lessons.title"),
        SearchField::Related {
            fk: "lessons.course_id",
            table: "courses",
            columns: &["title"],
        },
    ],
    filters: &[Filter {
        name: "preview",
        label: l("미리보기", "Preview"),
        sql: "lessons.is_preview",
        kind: FilterKind::Bool,
    }],
    ordering: &["course", "position"],
    fields: &[
        field(
            "course_id",
            l("강의", "Course"),
            Widget::Fk {
                table: "courses",
                label_sql: "title",
                autocomplete: true,
            },
        ),
        field(
            "position",
            l("순서", "Position"),
            Widget::Int {
                min: 1,
                max: 10_000,
            },
        ),
        field("title", l("제목", "Title"), Widget::Vocab(Term::Title)),
        Field {
            required: false,
            ..field(
                "section",
                l("섹션", "Section"),
                Widget::Text {
                    max: authoring::MAX_SECTION,
                },
            )
        },
        Field {
            required: false,
            ..field(
                "body",
                l("본문 (마크다운)", "Body (markdown)"),
                Widget::Markdown {
                    max: authoring::MAX_LESSON_BODY,
                },
            )
        },
        Field {
            required: false,
            ..field(
                "video_url",
                l("동영상 URL", "Video URL"),
                Widget::Vocab(Term::VideoUrl),
            )
        },
        Field {
            required: false,
            ..field(
                "duration_seconds",
                l("길이 (7:12, 7분 12초)", "Length (7:12, 7m 12s)"),
                Widget::Vocab(Term::LessonLength),
            )
        },
        Field {
            required: false,
            ..field("is_preview", l("미리보기", "Preview"), Widget::Checkbox)
        },
    ],
    actions: &[DELETE_SELECTED],
    owner: Some(Owner {
        predicate: "lessons.course_id IN (SELECT id FROM courses WHERE instructor_id = ?)",
        column: None,
    }),
    touch: Some("updated_at"),
    ..ModelAdmin::DEFAULT
};
