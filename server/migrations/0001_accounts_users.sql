-- One schema for SQLite and PostgreSQL: TEXT ids, BIGINT integers (flags are 0/1, times are
-- milliseconds since the epoch), no backend-specific types, so one set of queries serves both.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The identity provider whose tokens sign this account's users in, and the tenant
    -- (Salesforce organization id, or the OpenID provider's tenant) within it.
    idp_issuer TEXT NOT NULL,
    idp_org_id TEXT NOT NULL,
    seat_limit BIGINT NOT NULL,
    -- Kept in step with users.holds_seat inside the same transaction; the conditional
    -- UPDATE on it is what makes seats impossible to oversubscribe under concurrency.
    seats_used BIGINT NOT NULL DEFAULT 0,
    -- The CRM connection used for team sync (crm_connections.id), when chosen.
    team_sync_connection_id TEXT,
    auto_sync_users BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_idp ON accounts (idp_issuer, idp_org_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- Lower-cased.
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    title TEXT,
    phone TEXT,
    photo_url TEXT,
    role TEXT NOT NULL,            -- 'admin' | 'sales_user'
    status TEXT NOT NULL,          -- 'active' | 'deactivated'
    holds_seat BIGINT NOT NULL DEFAULT 0,
    -- The identity provider's user id, linked at first sign-in.
    idp_subject TEXT,
    -- The Salesforce user (18-character id) this sales user is.
    crm_user_id TEXT,
    source TEXT NOT NULL,          -- 'crm_import' | 'auto_sync' | 'scim' | 'admin_cli' | 'sandbox_seed'
    scim_external_id TEXT,
    scim_user_name TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_account_email ON users (account_id, email);
CREATE UNIQUE INDEX users_account_crm_user ON users (account_id, crm_user_id);
CREATE UNIQUE INDEX users_account_subject ON users (account_id, idp_subject);
CREATE INDEX users_account_status ON users (account_id, status);

-- One row per user: their own settings, JSON documents of salespane_api::profile types.
CREATE TABLE profiles (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    profile_json TEXT NOT NULL,
    onboarding_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per-user keys that sign tracked links; the secret is sealed (crypto::SecretBox).
CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX signing_keys_user ON signing_keys (user_id, retired_at);

-- Salesforce credentials a user connected (personal); one of them may be the account's
-- team-sync connection. Tokens are sealed.
CREATE TABLE crm_connections (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    crm_user_id TEXT NOT NULL,
    crm_username TEXT NOT NULL,
    crm_email TEXT NOT NULL,
    instance_url TEXT NOT NULL,
    refresh_token_sealed TEXT NOT NULL,
    access_token_sealed TEXT,
    api_enabled BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,          -- 'active' | 'failed' | 'revoked'
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Two sales users cannot connect the same Salesforce user; a user has one connection.
CREATE UNIQUE INDEX crm_connections_crm_user ON crm_connections (account_id, crm_user_id);
CREATE UNIQUE INDEX crm_connections_user ON crm_connections (user_id);

-- OAuth round trips in flight (state → who started it, PKCE verifier sealed).
CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_account_name ON teams (account_id, name);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (team_id, user_id)
);

-- Automatic user sync: which CRM changes count.
CREATE TABLE workflows (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    crm_object TEXT NOT NULL,      -- 'Opportunity', 'Task', ...
    trigger_on TEXT NOT NULL,      -- 'created' | 'updated' | 'created_or_updated'
    active BIGINT NOT NULL DEFAULT 1,
    -- Changes after this time (ms) are still to be looked at.
    cursor_ms BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Panel components hidden from the account's sales users.
CREATE TABLE hidden_components (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    component TEXT NOT NULL,
    PRIMARY KEY (account_id, component)
);

CREATE TABLE scim_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (token_hash);
