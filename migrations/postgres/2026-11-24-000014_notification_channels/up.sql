-- Which channels besides the in-app inbox a user wants notifications on.
-- No row: the default (e-mail on, SMS and WhatsApp off).
CREATE TABLE notification_channels (
    user_id TEXT NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, channel)
);
