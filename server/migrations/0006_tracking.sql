-- Tracked mail: what was sent (by the server or recorded by the extension), its links, and
-- the opens and clicks of each message with their classification.

-- One row per sent message. The id is the tracking message id (`msg_…`) carried by its
-- pixel and links; the extension records its own sends idempotently by that id.
CREATE TABLE tracked_messages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    subject TEXT NOT NULL,
    -- JSON arrays of addresses.
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL,
    -- 1 when the body was tracked (pixel and links), 0 otherwise (mail to oneself never is).
    tracked BIGINT NOT NULL,
    -- 1 when every recipient is the sender.
    to_self BIGINT NOT NULL,
    -- 'server' (sent by POST /api/v1/messages/send) or 'extension'.
    source TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tracked_messages_sender ON tracked_messages (account_id, user_id, sent_at);

-- The tracked links of a message, by their index in the signed click URLs.
CREATE TABLE tracked_links (
    message_id TEXT NOT NULL REFERENCES tracked_messages (id),
    link_index BIGINT NOT NULL,
    destination TEXT NOT NULL,
    PRIMARY KEY (message_id, link_index)
);

-- Every verified hit. No foreign key to tracked_messages: a hit may arrive before the
-- message is recorded (the signing key says whose it is) and is joined when it is.
-- The id is made when the hit is answered, so replaying the write-ahead file twice
-- stores it once.
CREATE TABLE tracking_hits (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    message_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,            -- 'open' | 'click'
    link_index BIGINT,
    at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT,
    head_request BIGINT NOT NULL,
    -- The request headers the classifier reads, as JSON.
    headers_json TEXT NOT NULL,
    class TEXT NOT NULL,
    counted BIGINT NOT NULL,
    -- JSON array of short reason codes.
    reasons_json TEXT NOT NULL,
    -- 1 while the message's sent record was unknown at classification (re-classified when it comes).
    before_sent BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX tracking_hits_message ON tracking_hits (account_id, message_id, at);

-- Where each user's extension last called the API from: a hit from the same address and
-- agent is the sender looking at their own mail. Written at most once a minute per user.
CREATE TABLE sender_last_seen (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
