"""Delivery channels that are not a chat: email (SendGrid or SMTP), SMS (Twilio), webhooks.

Each implements core's Notifier port (and, for verification, core's CodeSender or
WebhookProbe). Imports core only.
"""

from notifiers.email import EmailNotifier
from notifiers.rendering import EmailContent, Links, alert_email, alert_sms
from notifiers.sendgrid import SendgridNotifier
from notifiers.sms import RebasedTwilioHttpClient, TwilioNotifier
from notifiers.smtp import SmtpNotifier, SmtpServer
from notifiers.ssrf import ForbiddenTarget, GuardedResolver, check_url, forbidden_reason
from notifiers.throttle import Throttle
from notifiers.webhook import WebhookNotifier, alert_payload, sign

__all__ = [
    "EmailContent",
    "EmailNotifier",
    "ForbiddenTarget",
    "GuardedResolver",
    "Links",
    "RebasedTwilioHttpClient",
    "SendgridNotifier",
    "SmtpNotifier",
    "SmtpServer",
    "Throttle",
    "TwilioNotifier",
    "WebhookNotifier",
    "alert_email",
    "alert_payload",
    "alert_sms",
    "check_url",
    "forbidden_reason",
    "sign",
]
