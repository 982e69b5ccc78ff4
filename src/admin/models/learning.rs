//! Registrations of the learning tables (enrollments; the learning module adds its own here).

use super::super::registry::Display::{DateTime, Number, Text};
use super::super::registry::{col, field, l, Filter, FilterKind, ModelAdmin, SearchField, Widget};
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
        col("course", l("강좌", "Course"), "c.title", Text),
        col(
            "created_at",
            l("신청 날짜", "Enrolled"),
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
            label: l("강좌", "Course"),
            sql: "enrollments.course_id",
            kind: FilterKind::Fk {
                table: "courses",
                label_sql: "title",
            },
        },
        Filter {
            sql: "enrollments.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
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
            l("강좌", "Course"),
            Widget::Fk {
                table: "courses",
                label_sql: "title",
                autocomplete: true,
            },
        ),
    ],
    actions: &[DELETE_SELECTED],
    ..ModelAdmin::DEFAULT
};
