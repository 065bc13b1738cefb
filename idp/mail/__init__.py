"""Mail: an outbox table written in the caller's unit of work, delivered over SMTP after the commit.

- `outbox.enqueue` renders `templates/mail/<name>.txt|.html` into a row of `mail_outbox` (no commit) and,
  when IDP_SMTP_URL is set, kicks a background delivery once the work commits;
- `sender.deliver_due` claims, sends and marks each due row (retries with exponential back-off; a row is
  never sent twice), run by the housekeeping scheduler and by those kicks;
- `smtp` speaks to the server: `smtps://` implicit TLS, `smtp://` STARTTLS, plain only to a loopback host.
"""
