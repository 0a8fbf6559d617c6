"""The chat center's reminders: created for a time, fired by the background scheduler, shown in
the session's next reply and POSTed to the account's webhook."""
