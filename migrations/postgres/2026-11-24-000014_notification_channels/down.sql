DROP TABLE notification_channels;
