-- hancup schema, as an ordered list of migrations. Each starts with a `-- migration: N name`
-- line and runs in one transaction; PRAGMA user_version records the last one applied.
-- Never edit a released migration: append a new one. Timestamps are UTC RFC 3339 text
-- ('2026-11-25T23:00:00Z'), which sorts correctly as text.

-- migration: 1 initial tables
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    display_name   TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    -- PHC string (argon2id); a value starting with '!' is an unusable password (Django's convention).
    password_hash  TEXT    NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_staff       INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_superuser   INTEGER NOT NULL DEFAULT 0 CHECK (is_superuser IN (0, 1)),
    last_login_at  TEXT,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE categories (
    id        INTEGER PRIMARY KEY,
    slug      TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
    name      TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    name_en   TEXT    NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    position  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE courses (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 100),
    title          TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary        TEXT    NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    description    TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 50000),
    category_id    INTEGER NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    level          TEXT    NOT NULL CHECK (level IN ('beginner', 'intermediate', 'advanced')),
    instructor_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status         TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at   TEXT,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX courses_instructor ON courses (instructor_id);

CREATE TABLE lessons (
    id                INTEGER PRIMARY KEY,
    course_id         INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 1),
    title             TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body              TEXT    NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    video_url         TEXT    NOT NULL DEFAULT '' CHECK (length(video_url) <= 500),
    duration_seconds  INTEGER NOT NULL DEFAULT 0 CHECK (duration_seconds BETWEEN 0 AND 86400),
    is_preview        INTEGER NOT NULL DEFAULT 0 CHECK (is_preview IN (0, 1)),
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (course_id, position)
);

CREATE TABLE enrollments (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (user_id, course_id)
);
CREATE INDEX enrollments_course ON enrollments (course_id);

-- migration: 2 maintained counters and the course search index
-- Lists show counts kept right by triggers in the same transaction as the write, instead of
-- recounting per request (see ARCHITECTURE.md, "Speed by design").
ALTER TABLE courses ADD COLUMN lesson_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN total_duration_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN enrollment_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN published_course_count INTEGER NOT NULL DEFAULT 0;

UPDATE courses SET
    lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.course_id = courses.id),
    total_duration_seconds = (SELECT COALESCE(SUM(duration_seconds), 0) FROM lessons l WHERE l.course_id = courses.id),
    enrollment_count = (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = courses.id);
UPDATE categories SET published_course_count =
    (SELECT COUNT(*) FROM courses c WHERE c.category_id = categories.id AND c.status = 'published');

CREATE TRIGGER lessons_count_insert AFTER INSERT ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count + 1,
        total_duration_seconds = total_duration_seconds + NEW.duration_seconds
    WHERE id = NEW.course_id;
END;
CREATE TRIGGER lessons_count_delete AFTER DELETE ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count - 1,
        total_duration_seconds = total_duration_seconds - OLD.duration_seconds
    WHERE id = OLD.course_id;
END;
CREATE TRIGGER lessons_count_update AFTER UPDATE OF course_id, duration_seconds ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count - 1,
        total_duration_seconds = total_duration_seconds - OLD.duration_seconds
    WHERE id = OLD.course_id;
    UPDATE courses SET lesson_count = lesson_count + 1,
        total_duration_seconds = total_duration_seconds + NEW.duration_seconds
    WHERE id = NEW.course_id;
END;

CREATE TRIGGER enrollments_count_insert AFTER INSERT ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;
CREATE TRIGGER enrollments_count_delete AFTER DELETE ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
END;
CREATE TRIGGER enrollments_count_update AFTER UPDATE OF course_id ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
    UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;

CREATE TRIGGER courses_category_count_insert AFTER INSERT ON courses
WHEN NEW.status = 'published' BEGIN
    UPDATE categories SET published_course_count = published_course_count + 1 WHERE id = NEW.category_id;
END;
CREATE TRIGGER courses_category_count_delete AFTER DELETE ON courses
WHEN OLD.status = 'published' BEGIN
    UPDATE categories SET published_course_count = published_course_count - 1 WHERE id = OLD.category_id;
END;
CREATE TRIGGER courses_category_count_update AFTER UPDATE OF status, category_id ON courses BEGIN
    UPDATE categories SET published_course_count = published_course_count - 1
    WHERE id = OLD.category_id AND OLD.status = 'published';
    UPDATE categories SET published_course_count = published_course_count + 1
    WHERE id = NEW.category_id AND NEW.status = 'published';
END;

-- Full-text search over courses. Hangul runs are indexed as overlapping two-syllable tokens
-- (the CJK bigram scheme), so Korean words match inside compounds and with particles attached
-- ("창업" finds "창업을", "스타트업창업"); other words are indexed whole and queried by prefix.
-- search_tokens() is a Rust function registered on every connection the binary opens.
CREATE VIRTUAL TABLE course_search USING fts5(
    title, summary, description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO course_search (rowid, title, summary, description)
    SELECT id, search_tokens(title), search_tokens(summary), search_tokens(description) FROM courses;

CREATE TRIGGER courses_search_insert AFTER INSERT ON courses BEGIN
    INSERT INTO course_search (rowid, title, summary, description)
    VALUES (NEW.id, search_tokens(NEW.title), search_tokens(NEW.summary), search_tokens(NEW.description));
END;
CREATE TRIGGER courses_search_delete AFTER DELETE ON courses BEGIN
    DELETE FROM course_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER courses_search_update AFTER UPDATE OF title, summary, description ON courses BEGIN
    DELETE FROM course_search WHERE rowid = OLD.id;
    INSERT INTO course_search (rowid, title, summary, description)
    VALUES (NEW.id, search_tokens(NEW.title), search_tokens(NEW.summary), search_tokens(NEW.description));
END;

-- Indexes for the public lists: published courses by each ordering, and each filter.
CREATE INDEX courses_published_recent ON courses (status, published_at DESC, id DESC);
CREATE INDEX courses_published_popular ON courses (status, enrollment_count DESC, id DESC);
CREATE INDEX courses_published_title ON courses (status, title, id);
CREATE INDEX courses_category_recent ON courses (category_id, status, published_at DESC, id DESC);
CREATE INDEX courses_level_recent ON courses (level, status, published_at DESC, id DESC);
CREATE INDEX courses_instructor_recent ON courses (instructor_id, status, published_at DESC, id DESC);

-- migration: 3 accounts: sessions, API tokens, login throttling, groups and permissions
-- Times in these tables are unix seconds: they are compared, never shown as written.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

-- Login sessions (poem's session storage). Only a SHA-256 of the cookie value is stored, so a
-- copy of the database does not hand out live sessions.
CREATE TABLE sessions (
    id_hash       TEXT    PRIMARY KEY,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    data          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- API tokens (django-rest-knox semantics): one per device; only a keyed hash is stored.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    token_prefix  TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);

-- Failed logins per account ('email:…') and per client address ('addr:…').
CREATE TABLE login_failures (
    key           TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE auth_groups (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 150),
    description  TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500)
);
-- Codenames are '<area>.<action>_<model>', the way Django names them.
CREATE TABLE permissions (
    id        INTEGER PRIMARY KEY,
    codename  TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL
);
CREATE TABLE user_groups (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX user_groups_group ON user_groups (group_id);
CREATE TABLE group_permissions (
    group_id       INTEGER NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    permission_id  INTEGER NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, permission_id)
) WITHOUT ROWID;
CREATE TABLE user_permissions (
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission_id  INTEGER NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, permission_id)
) WITHOUT ROWID;

WITH models (area, model, label) AS (VALUES
        ('catalog', 'category', 'category'), ('catalog', 'course', 'course'),
        ('catalog', 'lesson', 'lesson'), ('learning', 'enrollment', 'enrollment'),
        ('accounts', 'user', 'user'), ('accounts', 'group', 'group')),
    actions (action) AS (VALUES ('view'), ('add'), ('change'), ('delete'))
INSERT INTO permissions (codename, name)
SELECT area || '.' || action || '_' || model, 'Can ' || action || ' ' || label FROM models, actions;

-- Instructors may add courses and change or delete the ones they teach (an object rule in code).
INSERT INTO auth_groups (name, description) VALUES ('instructors', 'Course authors: may change only the courses they teach.');
INSERT INTO group_permissions (group_id, permission_id)
SELECT g.id, p.id FROM auth_groups g, permissions p
WHERE g.name = 'instructors' AND p.codename IN (
    'catalog.view_course', 'catalog.add_course', 'catalog.change_course', 'catalog.delete_course',
    'catalog.view_lesson', 'catalog.add_lesson', 'catalog.change_lesson', 'catalog.delete_lesson');

-- migration: 4 learning: progress, certificates, questions and answers, notices, reviews
ALTER TABLE enrollments ADD COLUMN completed_lessons INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN completed_at TEXT;
ALTER TABLE enrollments ADD COLUMN last_lesson_id INTEGER REFERENCES lessons (id) ON DELETE SET NULL;
CREATE INDEX enrollments_user ON enrollments (user_id, created_at DESC);
ALTER TABLE courses ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0;

-- One row per lesson a learner marked complete; the enrollment's counter follows by trigger.
CREATE TABLE lesson_progress (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lesson_id     INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    course_id     INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    completed_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, lesson_id)
) WITHOUT ROWID;
CREATE INDEX lesson_progress_course ON lesson_progress (user_id, course_id);
CREATE TRIGGER lesson_progress_insert AFTER INSERT ON lesson_progress BEGIN
    UPDATE enrollments SET completed_lessons = completed_lessons + 1
    WHERE user_id = NEW.user_id AND course_id = NEW.course_id;
END;
CREATE TRIGGER lesson_progress_delete AFTER DELETE ON lesson_progress BEGIN
    UPDATE enrollments SET completed_lessons = completed_lessons - 1
    WHERE user_id = OLD.user_id AND course_id = OLD.course_id;
END;
-- Leaving a course forgets its progress, so the counter stays equal to the rows.
CREATE TRIGGER enrollments_forget_progress AFTER DELETE ON enrollments BEGIN
    DELETE FROM lesson_progress WHERE user_id = OLD.user_id AND course_id = OLD.course_id;
END;

-- Certificates keep the names as they were when earned; the code is 128 random bits.
CREATE TABLE certificates (
    code             TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id        INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    learner_name     TEXT    NOT NULL,
    course_title     TEXT    NOT NULL,
    instructor_name  TEXT    NOT NULL,
    issued_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (user_id, course_id)
) WITHOUT ROWID;

CREATE TABLE questions (
    id                  INTEGER PRIMARY KEY,
    course_id           INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title               TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body                TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    is_hidden           INTEGER NOT NULL DEFAULT 0 CHECK (is_hidden IN (0, 1)),
    accepted_answer_id  INTEGER,
    answer_count        INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX questions_course ON questions (course_id, id DESC);

CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body         TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    is_hidden    INTEGER NOT NULL DEFAULT 0 CHECK (is_hidden IN (0, 1)),
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX answers_question ON answers (question_id, id);
-- Visible answers only are counted; hiding or showing one moves the count.
CREATE TRIGGER answers_count_insert AFTER INSERT ON answers WHEN NEW.is_hidden = 0 BEGIN
    UPDATE questions SET answer_count = answer_count + 1 WHERE id = NEW.question_id;
END;
CREATE TRIGGER answers_count_delete AFTER DELETE ON answers BEGIN
    UPDATE questions SET answer_count = answer_count - (OLD.is_hidden = 0),
        accepted_answer_id = CASE WHEN accepted_answer_id = OLD.id THEN NULL ELSE accepted_answer_id END
    WHERE id = OLD.question_id;
END;
CREATE TRIGGER answers_count_hide AFTER UPDATE OF is_hidden ON answers BEGIN
    UPDATE questions SET answer_count = answer_count + (NEW.is_hidden = 0) - (OLD.is_hidden = 0)
    WHERE id = NEW.question_id;
END;

CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    course_id   INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    author_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body        TEXT    NOT NULL CHECK (length(body) <= 20000),
    is_pinned   INTEGER NOT NULL DEFAULT 0 CHECK (is_pinned IN (0, 1)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX notices_course ON notices (course_id, is_pinned DESC, id DESC);

CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    course_id   INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        TEXT    NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (course_id, user_id)
);
CREATE INDEX reviews_course ON reviews (course_id, id DESC);
CREATE TRIGGER reviews_rating_insert AFTER INSERT ON reviews BEGIN
    UPDATE courses SET rating_sum = rating_sum + NEW.rating, rating_count = rating_count + 1 WHERE id = NEW.course_id;
END;
CREATE TRIGGER reviews_rating_delete AFTER DELETE ON reviews BEGIN
    UPDATE courses SET rating_sum = rating_sum - OLD.rating, rating_count = rating_count - 1 WHERE id = OLD.course_id;
END;
CREATE TRIGGER reviews_rating_update AFTER UPDATE OF rating ON reviews BEGIN
    UPDATE courses SET rating_sum = rating_sum - OLD.rating + NEW.rating WHERE id = NEW.course_id;
END;

WITH models (model) AS (VALUES ('question'), ('answer'), ('notice'), ('review'), ('certificate')),
    actions (action) AS (VALUES ('view'), ('add'), ('change'), ('delete'))
INSERT INTO permissions (codename, name)
SELECT 'learning.' || action || '_' || model, 'Can ' || action || ' ' || model FROM models, actions;

-- migration: 5 admin: audit log, course thumbnails, admin permissions
-- Every add, change, delete and action in the admin is recorded here. The user's label is kept
-- so the history still reads after the user is deleted (user_id becomes NULL).
CREATE TABLE admin_log (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    user_label   TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    object_id    INTEGER NOT NULL,
    object_repr  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    -- JSON array of {"field", "old", "new"}.
    changes      TEXT    NOT NULL DEFAULT '[]',
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX admin_log_object ON admin_log (model, object_id, id DESC);
CREATE INDEX admin_log_user ON admin_log (user_id, id DESC);
CREATE INDEX admin_log_created ON admin_log (created_at);

-- A path under the media directory ('thumbnail/<sha256>.webp'); empty: none.
ALTER TABLE courses ADD COLUMN thumbnail TEXT NOT NULL DEFAULT '' CHECK (length(thumbnail) <= 200);

-- Indexes the admin's change lists sort and filter by.
CREATE INDEX enrollments_created ON enrollments (created_at);
CREATE INDEX users_created ON users (created_at);
CREATE INDEX courses_created ON courses (created_at);

WITH actions (action) AS (VALUES ('view'), ('add'), ('change'), ('delete'))
INSERT INTO permissions (codename, name)
SELECT 'admin.' || action || '_logentry', 'Can ' || action || ' log entry' FROM actions;

-- migration: 6 certificates get an integer id
-- The admin keys every object by an integer `id` (its URLs, `admin_log.object_id`, the delete
-- preview), and `certificates` was a `WITHOUT ROWID` table keyed by its text code. The code
-- stays the public identity (unique, as before); `id` is only the back office's handle. Rows
-- are copied in issue order, so ids follow it.
CREATE TABLE certificates_new (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id        INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    learner_name     TEXT    NOT NULL,
    course_title     TEXT    NOT NULL,
    instructor_name  TEXT    NOT NULL,
    issued_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (user_id, course_id)
);
INSERT INTO certificates_new (code, user_id, course_id, learner_name, course_title, instructor_name, issued_at)
SELECT code, user_id, course_id, learner_name, course_title, instructor_name, issued_at
FROM certificates ORDER BY issued_at, code;
DROP TABLE certificates;
ALTER TABLE certificates_new RENAME TO certificates;
-- The change list sorts and filters by issue date and by course (deleting a course finds its
-- certificates through the second one, too).
CREATE INDEX certificates_issued ON certificates (issued_at);
CREATE INDEX certificates_course ON certificates (course_id);

-- migration: 7 the instructor rule keyed on a fixed group role, not the group's name
-- Issue 12, finding 7: renaming the `instructors` group (only `change_group` needed) lifted the
-- instructors' restriction to their own courses. The rule now follows `role`, which no form
-- edits and which a trigger keeps fixed; a group holding a role cannot be deleted either (the
-- delete would drop its members' restriction along with it). The seeded group is found by its
-- seeded name, or, if it was renamed already, as the first group migration 3 inserted.
ALTER TABLE auth_groups ADD COLUMN role TEXT;
CREATE UNIQUE INDEX auth_groups_role ON auth_groups (role) WHERE role IS NOT NULL;
UPDATE auth_groups SET role = 'instructors'
WHERE id = COALESCE((SELECT id FROM auth_groups WHERE name = 'instructors'),
                    (SELECT MIN(id) FROM auth_groups));
INSERT INTO auth_groups (name, description, role)
SELECT 'instructors', 'Course authors: may change only the courses they teach.', 'instructors'
WHERE NOT EXISTS (SELECT 1 FROM auth_groups WHERE role = 'instructors');
CREATE TRIGGER auth_groups_role_fixed BEFORE UPDATE OF role ON auth_groups
WHEN OLD.role IS NOT NEW.role
BEGIN SELECT RAISE(ABORT, 'a group''s role never changes'); END;
CREATE TRIGGER auth_groups_role_kept BEFORE DELETE ON auth_groups
WHEN OLD.role IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a group with a role cannot be deleted'); END;

-- migration: 8 leaving a course archives the enrollment
-- Leaving used to delete the enrollment and, through `enrollments_forget_progress`, every
-- lesson the learner had done. Now it sets `archived_at`: the row, its progress and its
-- certificate stay, My courses hides it, and enrolling again clears it. `enrollment_count`
-- counts current learners only, so the counter triggers learn the flag (an archived row
-- inserted, deleted or moved changes nothing; archiving or restoring moves the count by one).
ALTER TABLE enrollments ADD COLUMN archived_at TEXT;
DROP TRIGGER enrollments_count_insert;
DROP TRIGGER enrollments_count_delete;
DROP TRIGGER enrollments_count_update;
CREATE TRIGGER enrollments_count_insert AFTER INSERT ON enrollments
WHEN NEW.archived_at IS NULL BEGIN
    UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;
CREATE TRIGGER enrollments_count_delete AFTER DELETE ON enrollments
WHEN OLD.archived_at IS NULL BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
END;
CREATE TRIGGER enrollments_count_update AFTER UPDATE OF course_id, archived_at ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1
    WHERE id = OLD.course_id AND OLD.archived_at IS NULL;
    UPDATE courses SET enrollment_count = enrollment_count + 1
    WHERE id = NEW.course_id AND NEW.archived_at IS NULL;
END;

-- migration: 9 sign-up consents
-- What a person agreed to when they signed up, with when and which version: the terms of
-- service, the privacy policy, and the confirmation of being 14 or older (a Korean service must
-- not collect a younger child's data without a guardian). One row per kind; the version is the
-- document's date as the code names it (`accounts::consent::VERSION`).
CREATE TABLE consents (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('terms', 'privacy', 'age_14')),
    version      TEXT    NOT NULL CHECK (length(version) BETWEEN 1 AND 32),
    accepted_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, kind)
) WITHOUT ROWID;

-- migration: 10 social sign-in identities
-- A person's accounts at Kakao, Naver or Google linked to a hancup user: one row per provider
-- account (provider, subject) and at most one per provider per user. The e-mail is what the
-- provider said when the link was made, and whether the provider vouched for it; it is kept for
-- the account page, never used to find a user. The providers' keys are not here: they live in
-- configuration and the environment only.
CREATE TABLE social_identities (
    id              INTEGER PRIMARY KEY,
    provider        TEXT    NOT NULL CHECK (provider IN ('kakao', 'naver', 'google')),
    subject         TEXT    NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email           TEXT    CHECK (email IS NULL OR length(email) <= 254),
    email_verified  INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- migration: 11 staff two-factor authentication (TOTP and recovery codes)
-- A user's TOTP secret (RFC 6238, base32), confirmed once the person has typed a code from
-- their app; `last_step` is the last 30-second step accepted, so a code is never accepted
-- twice. Recovery codes are stored as HMACs under the server key and used once.
-- `users.mfa_enabled` mirrors "has a confirmed secret" (kept by the triggers); turning it off
-- (a superuser's reset in the admin, written to the history like any change) deletes the
-- secret and the recovery codes; turning it on without a confirmed secret is undone.
CREATE TABLE mfa_totp (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret        TEXT    NOT NULL CHECK (length(secret) BETWEEN 16 AND 128),
    confirmed_at  TEXT,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE mfa_recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    TEXT,
    UNIQUE (user_id, code_hash)
);
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enabled IN (0, 1));
CREATE TRIGGER mfa_totp_confirmed AFTER UPDATE OF confirmed_at ON mfa_totp
WHEN NEW.confirmed_at IS NOT NULL BEGIN
    UPDATE users SET mfa_enabled = 1 WHERE id = NEW.user_id AND mfa_enabled = 0;
END;
CREATE TRIGGER mfa_totp_deleted AFTER DELETE ON mfa_totp BEGIN
    UPDATE users SET mfa_enabled = 0 WHERE id = OLD.user_id AND mfa_enabled = 1;
END;
CREATE TRIGGER users_mfa_reset AFTER UPDATE OF mfa_enabled ON users
WHEN NEW.mfa_enabled = 0 AND OLD.mfa_enabled = 1 BEGIN
    DELETE FROM mfa_totp WHERE user_id = NEW.id;
    DELETE FROM mfa_recovery_codes WHERE user_id = NEW.id;
END;
CREATE TRIGGER users_mfa_not_enrolled AFTER UPDATE OF mfa_enabled ON users
WHEN NEW.mfa_enabled = 1 AND NOT EXISTS (
    SELECT 1 FROM mfa_totp WHERE user_id = NEW.id AND confirmed_at IS NOT NULL
) BEGIN
    UPDATE users SET mfa_enabled = 0 WHERE id = NEW.id;
END;

-- migration: 12 lesson sections
-- A course's curriculum reads in parts ("오리엔테이션", "핵심 실습", …): each lesson names the
-- section it belongs to, and consecutive lessons with the same name form one group on the course
-- page. Empty means "no section" (those lessons are listed without a heading). A name, not a
-- table: reordering lessons can never leave a section pointing at nothing, and renaming a part is
-- one UPDATE of its lessons.
ALTER TABLE lessons ADD COLUMN section TEXT NOT NULL DEFAULT '' CHECK (length(section) <= 100);

-- migration: 13 admin dashboard indexes
-- The dashboard counts each number with one range over an index: learners active in a window
-- (lesson completions by time, covering the learner), and the queue of unanswered questions
-- oldest first (a partial index holding only the questions without an answer).
CREATE INDEX lesson_progress_completed ON lesson_progress (completed_at, user_id);
CREATE INDEX questions_unanswered ON questions (created_at) WHERE answer_count = 0 AND is_hidden = 0;
CREATE INDEX courses_status_updated ON courses (status, updated_at DESC);

-- migration: 14 enrolments by course and progress
-- The dashboard's completion funnel and drop-off chart count one course's enrolments by lessons
-- completed: a range over (course, lessons completed) each, inside the index. It replaces the
-- course-only index, whose lookups (and the foreign key's) its prefix serves.
CREATE INDEX enrollments_course_progress ON enrollments (course_id, completed_lessons);
DROP INDEX enrollments_course;

-- migration: 15 permission labels in Korean
-- The admin shows a permission by what it lets a person do ("강의 보기"), not by its codename.
-- A migration that adds permissions sets their label too (a test checks every one has one).
ALTER TABLE permissions ADD COLUMN label_ko TEXT NOT NULL DEFAULT '';
UPDATE permissions SET label_ko =
    CASE substr(codename, instr(codename, '_') + 1)
        WHEN 'category' THEN '분야' WHEN 'course' THEN '강의' WHEN 'lesson' THEN '수업'
        WHEN 'enrollment' THEN '수강 신청' WHEN 'question' THEN '질문' WHEN 'answer' THEN '답변'
        WHEN 'notice' THEN '공지' WHEN 'review' THEN '수강평' WHEN 'certificate' THEN '수료증'
        WHEN 'user' THEN '사용자' WHEN 'group' THEN '그룹' WHEN 'logentry' THEN '변경 기록'
        WHEN 'progress' THEN '진도'
        ELSE substr(codename, instr(codename, '_') + 1) END
    || ' ' ||
    CASE substr(codename, instr(codename, '.') + 1, instr(codename, '_') - instr(codename, '.') - 1)
        WHEN 'view' THEN '보기' WHEN 'add' THEN '추가' WHEN 'change' THEN '변경'
        WHEN 'delete' THEN '삭제'
        ELSE substr(codename, instr(codename, '.') + 1, instr(codename, '_') - instr(codename, '.') - 1) END;
