-- SCIM DELETE never removes a user (their activity stays attributed): the user is
-- deactivated and hidden from SCIM from then on (RFC 7644 §3.6: later SCIM requests for it
-- answer 404). Set when deleted over SCIM; cleared if the IdP provisions the same person again.
ALTER TABLE users ADD COLUMN scim_deleted_at BIGINT;

CREATE INDEX workflows_account ON workflows (account_id, active);
CREATE INDEX team_members_account_user ON team_members (account_id, user_id);
CREATE INDEX scim_tokens_account ON scim_tokens (account_id);

-- Given and family names as the identity provider sends them (SCIM `name`); `users.name`
-- stays the display name everyone sees.
ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN family_name TEXT;
