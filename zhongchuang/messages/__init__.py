"""Messages to people: notifications, the outbox, the inbox."""
