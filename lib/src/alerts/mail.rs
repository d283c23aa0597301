//! Alert e-mails: one MIME message (a plain-text and an HTML part, and
//! the RFC 8058 one-click unsubscribe headers), sent as it is through
//! Amazon SES on AWS, or written as an `.eml` file on a developer's
//! machine, so that both send the same bytes.

use crate::domain::{AlertEvent, Email, FeedEvent, Notification, NotificationKind, SavedSearch, UnsubscribeToken};
use crate::http::html_escaped;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::path::PathBuf;

/// One message to one person.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe link of the search it is for.
    pub unsubscribe: String,
    /// Names the file it is written to locally.
    pub name: String,
}

impl Mail {
    /// The e-mail of an alert, for `searches` (those of its owner that the
    /// listing matches), unsubscribing from `first`.
    pub fn alert(
        to: &Email,
        notification: &Notification,
        first: &SavedSearch,
        searches: &[SavedSearch],
        event: &FeedEvent,
        public_url: &str,
    ) -> Self {
        let NotificationKind::Alert { event: alert, property_id, .. } = &notification.kind else {
            unreachable!("only alerts are mailed one by one")
        };
        let what = match alert {
            AlertEvent::NewMatch => "A new listing matches",
            AlertEvent::PriceDrop => "A listing's price dropped in",
            AlertEvent::StatusChange => "A listing changed status in",
            AlertEvent::BackOnMarket => "A listing is back on the market in",
        };
        let names: Vec<&str> = searches.iter().map(|search| search.name.as_str()).collect();
        let subject = format!("{what} “{}”", names.join("”, “"));
        let listing = format!("{public_url}/properties/{property_id}");
        let price = event
            .change
            .listing
            .after
            .as_ref()
            .and_then(|after| after.price)
            .map(|price| format!("{} {}", price.amount.to_json(), price.currency.code()));
        let unsubscribe = format!("{public_url}/unsubscribe?token={}", UnsubscribeToken::of(first).encode());
        let price_line = price.map(|price| format!("Price: {price}\n")).unwrap_or_default();
        let text = format!(
            "{subject}.\n\n{listing}\n{price_line}City: {}\n\nStop these alerts: {unsubscribe}\n",
            event.change.city.name()
        );
        let html = format!(
            "<p>{}.</p><p><a href=\"{listing}\">See the listing</a></p><p>{}City: {}</p><p><a href=\"{unsubscribe}\">Stop these alerts</a></p>",
            html_escaped(&subject),
            html_escaped(&price_line).replace('\n', "<br>"),
            html_escaped(event.change.city.name())
        );
        Self { to: to.as_str().to_owned(), subject, text, html, unsubscribe, name: notification.id.to_string() }
    }

    /// The e-mail of a digest: its matches, each with its listing's link.
    pub fn digest(to: &Email, notification: &Notification, search: &SavedSearch, public_url: &str) -> Self {
        let NotificationKind::Digest { matches, .. } = &notification.kind else {
            unreachable!("only digests are mailed as digests")
        };
        let subject = format!("Your day's matches for “{}”: {}", search.name.as_str(), matches.len());
        let unsubscribe = format!("{public_url}/unsubscribe?token={}", UnsubscribeToken::of(search).encode());
        let line = |found: &crate::domain::DigestMatch| {
            (found.event.code(), format!("{public_url}/properties/{}", found.property_id))
        };
        let lines: Vec<(&str, String)> = matches.iter().map(line).collect();
        let text_lines: Vec<String> = lines.iter().map(|(event, link)| format!("- {event}: {link}")).collect();
        let text = format!("{subject}\n\n{}\n\nStop these alerts: {unsubscribe}\n", text_lines.join("\n"));
        let items: Vec<String> =
            lines.iter().map(|(event, link)| format!("<li>{event}: <a href=\"{link}\">{link}</a></li>")).collect();
        let html = format!(
            "<p>{}</p><ul>{}</ul><p><a href=\"{unsubscribe}\">Stop these alerts</a></p>",
            html_escaped(&subject),
            items.join("")
        );
        Self { to: to.as_str().to_owned(), subject, text, html, unsubscribe, name: notification.id.to_string() }
    }

    /// The whole message, as RFC 5322 and MIME write it, from `from`.
    pub fn to_mime(&self, from: &str) -> String {
        let boundary = format!("alt-{}", self.name);
        let date =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
        let part = |kind: &str, body: &str| {
            format!(
                "--{boundary}\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                wrapped(&BASE64.encode(body))
            )
        };
        format!(
            "From: {from}\r\nTo: {}\r\nSubject: =?utf-8?B?{}?=\r\nDate: {date}\r\nMIME-Version: 1.0\r\nList-Unsubscribe: <{}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n{}{}--{boundary}--\r\n",
            self.to,
            BASE64.encode(&self.subject),
            self.unsubscribe,
            part("text/plain", &self.text),
            part("text/html", &self.html),
        )
    }
}

/// Base64 in lines of 76 characters, as MIME wants.
fn wrapped(encoded: &str) -> String {
    encoded
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// Amazon SES (SESv2 `SendEmail`, the raw message), from a verified sender.
    Ses { client: aws_sdk_sesv2::Client, from: String },
    /// `<dir>/<notification id>.eml`, on a developer's machine.
    Files { dir: PathBuf, from: String },
}

impl Mailer {
    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        match self {
            Self::Ses { client, from } => {
                let raw = aws_sdk_sesv2::types::RawMessage::builder()
                    .data(aws_sdk_sesv2::primitives::Blob::new(mail.to_mime(from)))
                    .build()
                    .map_err(|error| error.to_string())?;
                let content = aws_sdk_sesv2::types::EmailContent::builder().raw(raw).build();
                let destination = aws_sdk_sesv2::types::Destination::builder().to_addresses(&mail.to).build();
                let sent = client.send_email().from_email_address(from).destination(destination).content(content);
                sent.send()
                    .await
                    .map(|_| ())
                    .map_err(|error| aws_sdk_sesv2::error::DisplayErrorContext(error).to_string())
            }
            Self::Files { dir, from } => {
                tokio::fs::create_dir_all(dir).await.map_err(|error| error.to_string())?;
                let path = dir.join(format!("{}.eml", mail.name));
                tokio::fs::write(&path, mail.to_mime(from)).await.map_err(|error| error.to_string())?;
                tracing::info!(path = %path.display(), "an alert e-mail was written");
                Ok(())
            }
        }
    }
}
