"""Mail: every message recorded before it is sent, sent by SMTP, retried when it failed."""
