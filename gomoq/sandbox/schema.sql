-- The sandbox's SQLite schema: shared by the server (gomoq/sandbox/server*) and the generator
-- (gomoq/sandbox/generator*). Column names are snake_case; the API speaks camelCase.
-- Times are ISO-8601 UTC strings with milliseconds and 'Z' ("2025-01-15T10:30:00.000Z"), so that
-- string order is time order. JSON columns hold compact JSON text.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,   -- org_id, org_name, org_slug, user_id, user_email, api_key, seed,
    value TEXT NOT NULL       -- contacts (generated count), generated_at, schema_version
);

CREATE TABLE IF NOT EXISTS contacts (
    seq               INTEGER PRIMARY KEY,          -- insertion order: tie-break of every sort
    id                TEXT NOT NULL UNIQUE,         -- UUID
    organization_id   TEXT NOT NULL,
    primary_phone     TEXT NOT NULL,                -- exactly as written by the client
    first_name        TEXT,
    last_name         TEXT,
    full_name         TEXT,
    primary_email     TEXT,
    address           TEXT,
    city              TEXT,
    state             TEXT,
    zip               TEXT,
    occupation        TEXT,
    preferred_channel TEXT,
    gender            TEXT,
    channels          TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    custom_attributes TEXT NOT NULL DEFAULT '{}',   -- JSON object: attribute slug -> value
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT                          -- soft delete
);
CREATE INDEX IF NOT EXISTS contacts_phone ON contacts (primary_phone);
CREATE INDEX IF NOT EXISTS contacts_created ON contacts (created_at, seq);

CREATE TABLE IF NOT EXISTS custom_attributes (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    name            TEXT NOT NULL,                  -- slug of display_name: the key in contacts
    display_name    TEXT NOT NULL,
    description     TEXT,
    type            TEXT NOT NULL,                  -- text|number|boolean|date|phone_number|email|url
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    created_by      TEXT,
    updated_by      TEXT,
    deleted_by      TEXT
);

CREATE TABLE IF NOT EXISTS audiences (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT,
    type            TEXT NOT NULL,                  -- static|live
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);

CREATE TABLE IF NOT EXISTS audience_members (
    audience_id TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',     -- active|exited
    joined_at   TEXT NOT NULL,
    exited_at   TEXT,
    PRIMARY KEY (audience_id, contact_id)
);
CREATE INDEX IF NOT EXISTS audience_members_contact ON audience_members (contact_id);

CREATE TABLE IF NOT EXISTS calls (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    phone_number    TEXT NOT NULL,                  -- the number dialled, as stored at the time
    status          TEXT NOT NULL,                  -- answered|no_answer|busy|rejected|voicemail|failed (+ rare unknown ones)
    direction       TEXT NOT NULL DEFAULT 'outbound',
    created_at      TEXT NOT NULL,
    answered_at     TEXT,
    ended_at        TEXT,
    duration_ms     INTEGER
);
CREATE INDEX IF NOT EXISTS calls_contact ON calls (contact_id, created_at);
CREATE INDEX IF NOT EXISTS calls_created ON calls (created_at, seq);

CREATE TABLE IF NOT EXISTS call_exports (
    id           TEXT PRIMARY KEY,
    status       TEXT NOT NULL,                     -- queued|processing|completed|failed
    filters      TEXT NOT NULL,                     -- JSON of the accepted filters
    created_at   TEXT NOT NULL,
    completed_at TEXT,
    row_count    INTEGER,
    csv          BLOB
);
