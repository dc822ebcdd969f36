-- CRM links: which Salesforce user a person confirmed they are, whether imported users are
-- still active in Salesforce, and one live link-signing key per user.

-- Set when the user confirmed which Salesforce user they are (the connected user's email
-- differed from theirs); until then activity is not written as the connected user.
ALTER TABLE crm_connections ADD COLUMN confirmed_at BIGINT;

-- The user's IsActive in Salesforce at the last refresh (1 until known otherwise).
ALTER TABLE users ADD COLUMN crm_active BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN crm_refreshed_at BIGINT;

-- At most one live (not retired) signing key per user; retired keys stay to verify links
-- already sent. Partial indexes work the same on SQLite and PostgreSQL.
CREATE UNIQUE INDEX signing_keys_live ON signing_keys (user_id) WHERE retired_at IS NULL;

CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
