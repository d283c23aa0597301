//! Webhook signatures as Standard Webhooks defines them
//! (<https://www.standardwebhooks.com>): an HMAC-SHA256 of the message id,
//! the timestamp and the body, keyed with a secret the receiver shares, so
//! any of the specification's libraries can verify what we send.

use crate::domain::Invalid;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The prefix Standard Webhooks puts before a secret's base64.
const PREFIX: &str = "whsec_";

/// How many random bytes a generated secret holds.
const GENERATED_BYTES: usize = 32;

/// The sizes the specification recommends (24 to 64 bytes); a secret
/// another system generated may be shorter than ours.
const ACCEPTED_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// The key a receiver verifies our signatures with. Its `Debug` is redacted
/// and it has no `Display` or `Serialize`: only [`Secret::reveal`] shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A new secret of 32 random bytes.
    pub fn generate() -> Self {
        let mut bytes = vec![0; GENERATED_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC's RAND_bytes aborts the process rather than fail");
        Self(bytes)
    }

    /// `whsec_` followed by the secret's standard base64, padded.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let encoded = text.strip_prefix(PREFIX).ok_or_else(|| Invalid::new("must start with whsec_"))?;
        let bytes = BASE64.decode(encoded).map_err(|_| Invalid::new("must be whsec_ followed by base64"))?;
        if !ACCEPTED_BYTES.contains(&bytes.len()) {
            return Err(Invalid::new("must hold 24 to 64 bytes"));
        }
        Ok(Self(bytes))
    }

    /// The secret as the receiver is given it: `whsec_` and base64.
    pub fn reveal(&self) -> String {
        format!("{PREFIX}{}", BASE64.encode(&self.0))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The `webhook-signature` header's value: one `v1,<base64>` for each
/// secret, space-separated, so that during a rotation the receiver can
/// verify with either its old or its new secret.
pub fn sign(secrets: &[&Secret], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let signatures: Vec<String> =
        secrets.iter().map(|secret| format!("v1,{}", signature(secret, message_id, timestamp, body))).collect();
    signatures.join(" ")
}

/// base64(HMAC-SHA256(secret, "{message_id}.{timestamp}.{body}")), hashed
/// in parts so that the body is not copied.
fn signature(secret: &Secret, message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &secret.0);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{message_id}.{timestamp}.").as_bytes());
    context.update(body);
    BASE64.encode(context.sign().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks libraries' own test vector.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_MESSAGE_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    /// The signature Python's standard library computes for the same input.
    fn python_signature(secret: &Secret, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        let script = "import base64, hashlib, hmac, sys\n\
            key = base64.b64decode(sys.argv[1].removeprefix('whsec_'))\n\
            signed = f'{sys.argv[2]}.{sys.argv[3]}.'.encode() + sys.stdin.buffer.read()\n\
            print('v1,' + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode())";
        let mut python = std::process::Command::new("python3")
            .args(["-c", script, &secret.reveal(), message_id, &timestamp.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        std::io::Write::write_all(&mut python.stdin.take().unwrap(), body).unwrap();
        let output = python.wait_with_output().unwrap();
        assert!(output.status.success(), "python3 failed");
        String::from_utf8(output.stdout).unwrap().trim_end().to_owned()
    }

    #[test]
    fn signs_the_specifications_test_vector() {
        let secret = Secret::parse(SPEC_SECRET).unwrap();
        assert_eq!(sign(&[&secret], SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE);
    }

    #[test]
    fn python_computes_the_same_signature() {
        let secret = Secret::generate();
        let body = r#"{"event":"property.listed","name":"Café ☕","price":123456}"#.as_bytes();
        let ours = sign(&[&secret], "msg_2cHdwXvBYxGCbgk3GH4yEGbUMxR", 1_735_689_600, body);
        assert_eq!(ours, python_signature(&secret, "msg_2cHdwXvBYxGCbgk3GH4yEGbUMxR", 1_735_689_600, body));
    }

    #[test]
    fn two_secrets_give_two_signatures_each_verifiable() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let header = sign(&[&old, &new], SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY);
        let signatures: Vec<&str> = header.split(' ').collect();
        assert_eq!(signatures.len(), 2, "{header}");
        assert_eq!(signatures[0], python_signature(&old, SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assert_eq!(signatures[1], python_signature(&new, SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assert_ne!(signatures[0], signatures[1]);
    }

    #[test]
    fn a_generated_secret_reveals_and_parses_back() {
        let secret = Secret::generate();
        let revealed = secret.reveal();
        assert!(revealed.starts_with("whsec_") && revealed.ends_with('='), "{revealed}");
        assert_eq!(BASE64.decode(&revealed["whsec_".len()..]).unwrap().len(), 32);
        assert_eq!(Secret::parse(&revealed).unwrap(), secret);
        assert_eq!(Secret::parse(SPEC_SECRET).unwrap().reveal(), SPEC_SECRET);
        assert_ne!(Secret::generate(), secret);
    }

    #[test]
    fn a_secret_is_whsec_and_base64_of_24_to_64_bytes() {
        let of_size = |bytes: usize| format!("whsec_{}", BASE64.encode(vec![7; bytes]));
        let cases = [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
            ("whsec_not base64!", "must be whsec_ followed by base64"),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAA", "must be whsec_ followed by base64"),
            (&of_size(23), "must hold 24 to 64 bytes"),
            (&of_size(65), "must hold 24 to 64 bytes"),
        ];
        for (text, why) in cases {
            assert_eq!(Secret::parse(text), Err(Invalid::new(why)), "{text}");
        }
        assert!(Secret::parse(&of_size(24)).is_ok() && Secret::parse(&of_size(64)).is_ok());
    }

    #[test]
    fn a_secret_never_shows_in_debug() {
        let secret = Secret::parse(SPEC_SECRET).unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(Secret(..))");
    }
}
