//! Registrations of the accounts tables (users with password, flags, groups and permissions;
//! groups) and of the admin's own audit log, read-only.

use super::super::registry::ActionKind::Update;
use super::super::registry::Display::{self, Bool, DateTime, Text};
use super::super::registry::{
    col, field, l, ActionDef, Column, Field, Filter, FilterKind, ManyToMany, ModelAdmin,
    SearchField, Widget,
};
use super::*;

/// A permission as people read it: what it allows in Korean, then the English name
/// ("강의 보기 · Can view course"); the codename stays out of sight.
const PERMISSION_LABEL: &str = "label_ko || ' · ' || name";

const USER_COLUMNS: &[Column] = &[
    col("email", l("이메일", "E-mail"), "users.email", Text),
    col(
        "display_name",
        l("이름", "Name"),
        "users.display_name",
        Text,
    ),
    col("is_active", l("활성", "Active"), "users.is_active", Bool),
    col("is_staff", l("스태프", "Staff"), "users.is_staff", Bool),
    col(
        "is_superuser",
        l("최고 관리자", "Superuser"),
        "users.is_superuser",
        Bool,
    ),
    col(
        "created_at",
        l("가입일", "Joined"),
        "users.created_at",
        DateTime,
    ),
];

pub static USER: ModelAdmin = ModelAdmin {
    key: "user",
    area: "accounts",
    area_label: ACCOUNTS,
    perm_model: "user",
    table: "users",
    label: l("사용자", "user"),
    plural: l("사용자", "Users"),
    repr: "users.email",
    columns: USER_COLUMNS,
    search: &[
        SearchField::Like("users.email"),
        SearchField::Like("users.display_name"),
    ],
    filters: &[
        Filter {
            name: "active",
            label: l("활성", "Active"),
            sql: "users.is_active",
            kind: FilterKind::Bool,
        },
        Filter {
            name: "staff",
            label: l("스태프", "Staff"),
            sql: "users.is_staff",
            kind: FilterKind::Bool,
        },
        Filter {
            name: "superuser",
            label: l("최고 관리자", "Superuser"),
            sql: "users.is_superuser",
            kind: FilterKind::Bool,
        },
        Filter {
            sql: "users.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("users.created_at"),
    fields: &[
        Field {
            parse: Some(parse_email),
            ..field("email", l("이메일", "E-mail"), Widget::Text { max: 254 })
        },
        Field {
            parse: Some(parse_display_name),
            ..field("display_name", l("이름", "Name"), Widget::Text { max: 100 })
        },
        Field {
            required: false,
            ..field("is_active", l("활성", "Active"), Widget::Checkbox)
        },
        Field {
            required: false,
            superuser_only: true,
            ..field("is_staff", l("스태프", "Staff"), Widget::Checkbox)
        },
        Field {
            required: false,
            superuser_only: true,
            ..field(
                "is_superuser",
                l("최고 관리자", "Superuser"),
                Widget::Checkbox,
            )
        },
        // Unticking resets the user's two-factor authentication (a trigger deletes the secret
        // and recovery codes); only a superuser may, and the save writes it to the history.
        // Ticking it without a set-up authenticator is undone by a trigger.
        Field {
            required: false,
            superuser_only: true,
            ..field(
                "mfa_enabled",
                l(
                    "2단계 인증 (해제하면 초기화)",
                    "Two-factor (untick to reset)",
                ),
                Widget::Checkbox,
            )
        },
    ],
    readonly: &[
        col(
            "last_login_at",
            l("마지막 로그인", "Last login"),
            "users.last_login_at",
            DateTime,
        ),
        col(
            "created_at",
            l("가입일", "Joined"),
            "users.created_at",
            DateTime,
        ),
    ],
    m2m: &[
        ManyToMany {
            name: "groups",
            label: l("그룹", "Groups"),
            through: "user_groups",
            own: "user_id",
            other: "group_id",
            table: "auth_groups",
            label_sql: "name",
            superuser_only: true,
        },
        ManyToMany {
            name: "permissions",
            label: l("개별 권한", "User permissions"),
            through: "user_permissions",
            own: "user_id",
            other: "permission_id",
            table: "permissions",
            label_sql: PERMISSION_LABEL,
            superuser_only: true,
        },
    ],
    actions: &[
        ActionDef {
            name: "activate",
            label: l("선택한 사용자 활성화", "Activate selected users"),
            perm: Action::Change,
            kind: Update("is_active = 1"),
        },
        ActionDef {
            name: "deactivate",
            label: l("선택한 사용자 비활성화", "Deactivate selected users"),
            perm: Action::Change,
            kind: Update("is_active = 0"),
        },
        DELETE_SELECTED,
    ],
    row_rule: Some(crate::accounts::perms::may_manage_user),
    touch: Some("updated_at"),
    password: true,
    ..ModelAdmin::DEFAULT
};

pub static GROUP: ModelAdmin = ModelAdmin {
    key: "group",
    area: "accounts",
    area_label: ACCOUNTS,
    perm_model: "group",
    table: "auth_groups",
    label: l("그룹", "group"),
    plural: l("그룹", "Groups"),
    repr: "auth_groups.name",
    columns: &[
        col("name", l("이름", "Name"), "auth_groups.name", Text),
        col(
            "description",
            l("설명", "Description"),
            "auth_groups.description",
            Text,
        ),
    ],
    search: &[SearchField::Like("auth_groups.name")],
    ordering: &["name"],
    fields: &[
        field("name", l("이름", "Name"), Widget::Text { max: 150 }),
        Field {
            required: false,
            ..field(
                "description",
                l("설명", "Description"),
                Widget::TextArea { max: 500 },
            )
        },
    ],
    m2m: &[ManyToMany {
        name: "permissions",
        label: l("권한", "Permissions"),
        through: "group_permissions",
        own: "group_id",
        other: "permission_id",
        table: "permissions",
        label_sql: PERMISSION_LABEL,
        superuser_only: true,
    }],
    actions: &[DELETE_SELECTED],
    ..ModelAdmin::DEFAULT
};

const LOG_COLUMNS: &[Column] = &[
    col(
        "created_at",
        l("시각", "When"),
        "admin_log.created_at",
        DateTime,
    ),
    col("user", l("사용자", "User"), "admin_log.user_label", Text),
    col(
        "action",
        l("작업", "Action"),
        "CASE WHEN admin_log.action LIKE 'action:%' THEN 'action' ELSE admin_log.action END",
        Display::Choices(LOG_ACTIONS),
    ),
    col(
        "model",
        l("종류", "Model"),
        "admin_log.model",
        Display::ModelKey,
    ),
    col("object", l("대상", "Object"), "admin_log.object_repr", Text),
    col(
        "changes",
        l("바뀐 내용", "Changes"),
        "admin_log.model || char(31) || admin_log.changes",
        Display::LogChanges,
    ),
];

pub static LOG: ModelAdmin = ModelAdmin {
    key: "logentry",
    area: "admin",
    area_label: ADMIN,
    perm_model: "logentry",
    table: "admin_log",
    label: l("변경 기록", "log entry"),
    plural: l("변경 기록", "Log entries"),
    repr: "admin_log.action || ' ' || admin_log.model || ' ' || admin_log.object_repr",
    columns: LOG_COLUMNS,
    readonly: LOG_COLUMNS,
    search: &[
        SearchField::Like("admin_log.user_label"),
        SearchField::Like("admin_log.object_repr"),
    ],
    filters: &[
        Filter {
            name: "model",
            label: l("종류", "Model"),
            sql: "admin_log.model",
            kind: FilterKind::Model,
        },
        Filter {
            sql: "admin_log.created_at",
            ..CREATED
        },
    ],
    ordering: &["-created_at"],
    date_hierarchy: Some("admin_log.created_at"),
    never: &[Action::Add, Action::Change, Action::Delete],
    ..ModelAdmin::DEFAULT
};
