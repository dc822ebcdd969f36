-- SCIM attributes kept as the identity provider sent them (RFC 7643 §4.1), apart from the
-- values Salespane itself uses: users.name stays the name shown in Salespane, and
-- users.email / users.phone the one address and number it uses.
-- A user is "SCIM-managed" once SCIM has written it (users.scim_user_name set); for those the
-- columns below are what SCIM returns, NULL meaning unassigned.
ALTER TABLE users ADD COLUMN scim_display_name TEXT;
ALTER TABLE users ADD COLUMN scim_name_formatted TEXT;
ALTER TABLE users ADD COLUMN scim_email_type TEXT;
ALTER TABLE users ADD COLUMN scim_email_primary BIGINT;
ALTER TABLE users ADD COLUMN scim_phone_type TEXT;
ALTER TABLE users ADD COLUMN scim_phone_primary BIGINT;
-- 1 after a PATCH removed `active`: the user is deactivated and SCIM shows no `active`.
ALTER TABLE users ADD COLUMN scim_active_unassigned BIGINT NOT NULL DEFAULT 0;

-- Users SCIM wrote before: what SCIM returned for them until now.
UPDATE users SET scim_display_name = name, scim_name_formatted = name,
    scim_email_type = 'work', scim_email_primary = 1
    WHERE scim_user_name IS NOT NULL;
UPDATE users SET scim_phone_type = 'work', scim_phone_primary = 1
    WHERE scim_user_name IS NOT NULL AND phone IS NOT NULL;
