//! Errors of the system and of the libraries gate uses, in words: what a
//! reason says instead of a library's debug output (`the server's
//! certificate is a CA certificate, not a server certificate`, not
//! `Other(OtherError(CaUsedAsEndEntity))`).

use std::io;
use std::time::{Duration, UNIX_EPOCH};

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError, InvalidMessage};

/// A system error without its number: `connection reset by the server`,
/// `no route to host`; for the rest, the system's words without
/// `(os error N)`.
pub fn io(error: &io::Error) -> String {
    use io::ErrorKind as Kind;
    let words = match error.kind() {
        Kind::ConnectionRefused => "connection refused",
        Kind::ConnectionReset => "the connection was reset by the other end",
        Kind::ConnectionAborted => "the connection was aborted",
        Kind::UnexpectedEof | Kind::BrokenPipe => "the other end closed the connection",
        Kind::TimedOut => "timed out",
        Kind::HostUnreachable => "no route to host",
        Kind::NetworkUnreachable => "the network is unreachable",
        Kind::AddrNotAvailable => "the address is not available on this machine",
        Kind::PermissionDenied => "permission denied",
        Kind::NotFound => "no such file or directory",
        Kind::IsADirectory => "it is a directory",
        Kind::StorageFull => "no space left on the device",
        Kind::FileTooLarge => "the file is too large",
        _ => return system_words(error),
    };
    words.to_owned()
}

/// The system's message of `error` as part of a sentence, without
/// `(os error N)`.
fn system_words(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => fragment(&text[..at]),
        _ => fragment(&text),
    }
}

/// A library's message as part of a sentence: its first letter in lower
/// case, unless it starts an acronym (`Connection closed normally` ->
/// `connection closed normally`, `DNS error` stays).
pub fn fragment(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// Why a TLS handshake failed: `the server's certificate has expired`,
/// `the server ended the handshake: it does not know the host name`.
pub fn tls(error: &rustls::Error) -> String {
    use rustls::Error as E;
    let words = match error {
        E::InvalidCertificate(error) => return certificate(error),
        E::AlertReceived(alert) => {
            return format!("the server ended the handshake: {}", self::alert(*alert));
        }
        E::Other(other) => return other_error(&*other.0),
        E::General(text) => return text.clone(),
        E::InvalidMessage(
            InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion,
        ) => "the server does not speak TLS (is the port a plain-text one?)",
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::PeerMisbehaved(_)
        | E::PeerSentOversizedRecord => "the server broke the TLS protocol",
        E::NoCertificatesPresented => "the server presented no certificate",
        E::PeerIncompatible(_) => {
            "the server has no TLS version, cipher suite or key exchange in common with gate"
        }
        E::DecryptError => "a message from the server could not be decrypted",
        E::NoApplicationProtocol => "the server supports none of the protocols offered",
        E::UnsupportedNameType => "the host is not a name a certificate can be checked against",
        E::InvalidCertRevocationList(_) => "a certificate revocation list is invalid",
        E::FailedToGetCurrentTime => "the system clock could not be read",
        E::FailedToGetRandomBytes => "the system gave no random bytes",
        other => return variant(&format!("{other:?}")),
    };
    words.to_owned()
}

/// What is wrong with the server's certificate.
fn certificate(error: &CertificateError) -> String {
    use CertificateError as C;
    let what = match error {
        C::Other(other) => return other_error(&*other.0),
        C::ExpiredContext { not_after, .. } => format!("expired on {}", date(*not_after)),
        C::NotValidYetContext { not_before, .. } => {
            format!("is not valid before {}", date(*not_before))
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => not_valid_for(&expected.to_str(), presented),
        C::BadEncoding => "is not correctly encoded".to_owned(),
        C::Expired => "has expired".to_owned(),
        C::NotValidYet => "is not valid yet".to_owned(),
        C::Revoked => "has been revoked".to_owned(),
        C::UnhandledCriticalExtension => "has a critical extension gate cannot check".to_owned(),
        C::UnknownIssuer => "was not issued by a trusted certificate authority".to_owned(),
        C::UnknownRevocationStatus => "has a revocation status that cannot be found".to_owned(),
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "cannot be checked: the certificate revocation list has expired".to_owned()
        }
        C::BadSignature => "is not correctly signed by its issuer".to_owned(),
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm | C::UnsupportedSignatureAlgorithmContext { .. } => {
            "is signed with an algorithm gate does not support".to_owned()
        }
        C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "is signed with an algorithm that does not fit its issuer's key".to_owned()
        }
        C::NotValidForName => "is not valid for this host name".to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "is not meant for a TLS server".to_owned()
        }
        C::InvalidOcspResponse => "came with an invalid OCSP response".to_owned(),
        C::ApplicationVerificationFailure => "was refused".to_owned(),
        other => format!("is invalid ({})", variant(&format!("{other:?}"))),
    };
    format!("the server's certificate {what}")
}

/// `is not valid for localhost: it names example.com, www.example.com`.
fn not_valid_for(expected: &str, presented: &[String]) -> String {
    // webpki writes the names as `DnsName("example.com")`, `IpAddress(10.0.0.5)`.
    let names: Vec<&str> = presented
        .iter()
        .filter_map(|name| {
            let (_, inner) = name.split_once('(')?;
            Some(inner.strip_suffix(')')?.trim_matches('"'))
        })
        .collect();
    match names.is_empty() {
        true => format!("is not valid for {expected}: it names no host"),
        false => format!("is not valid for {expected}: it names {}", names.join(", ")),
    }
}

/// An error a verifier gave in its own type: webpki's, in words; any other
/// as it reads.
fn other_error(error: &(dyn std::error::Error + 'static)) -> String {
    match error.downcast_ref::<webpki::Error>() {
        Some(error) => webpki(error),
        None => error.to_string(),
    }
}

/// What webpki found wrong with the server's certificate chain, for the
/// errors rustls passes on as they are.
fn webpki(error: &webpki::Error) -> String {
    use webpki::Error as W;
    let what = match error {
        W::CaUsedAsEndEntity => "is a CA certificate, not a server certificate",
        W::EndEntityUsedAsCa => "chain uses a server certificate as a CA",
        W::CertDistrusted => "is distrusted",
        W::PathLenConstraintViolated => "chain is longer than its CA allows",
        W::NameConstraintViolation | W::InvalidNetworkMaskConstraint => {
            "names a host its CA may not certify"
        }
        W::MaximumPathDepthExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => {
            "chain is too long or too complex to verify"
        }
        W::SignatureAlgorithmMismatch => "is signed with an algorithm other than the one it states",
        W::UnsupportedCertVersion => "has a version gate does not support",
        W::UnsupportedCriticalExtension => "has a critical extension gate cannot check",
        W::EmptyEkuExtension => "allows no use at all",
        W::UnsupportedNameType => "names the host in a way gate cannot check",
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::ExtensionValueInvalid
        | W::InvalidSerialNumber
        | W::MalformedDnsIdentifier
        | W::MalformedExtensions
        | W::MalformedNameConstraint => "is malformed",
        other => {
            return format!(
                "the server's certificate is invalid ({})",
                variant(&format!("{other:?}"))
            );
        }
    };
    format!("the server's certificate {what}")
}

/// A TLS alert the server sent, in words.
fn alert(alert: AlertDescription) -> String {
    use AlertDescription as A;
    let words = match alert {
        A::HandshakeFailure => "handshake failure (no settings in common)",
        A::ProtocolVersion => "it supports none of the TLS versions offered",
        A::UnrecognisedName => "it does not know the host name",
        A::CertificateRequired => "it requires a client certificate",
        A::AccessDenied => "access denied",
        A::InternalError => "an internal error",
        A::InsufficientSecurity => "it asks for stronger security",
        A::Unknown(code) => return format!("alert {code}"),
        other => return variant(&format!("{other:?}")),
    };
    words.to_owned()
}

/// The date of `time`: `2026-12-04`.
fn date(time: UnixTime) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(time.as_secs());
    let mut text = humantime::format_rfc3339_seconds(at).to_string();
    text.truncate("2026-12-04".len());
    text
}

/// A variant's name as words, for an error with none of its own:
/// `UnknownCA` -> `unknown CA`, `BadDer(x)` -> `bad der`.
fn variant(debug: &str) -> String {
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or(debug);
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let starts_word = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|next| next.is_lowercase()));
        match words.last_mut() {
            Some(word) if !starts_word => word.push(c),
            _ => words.push(c.to_string()),
        }
    }
    let words: Vec<String> = words
        .into_iter()
        .map(
            |word| match word.chars().filter(|c| c.is_uppercase()).count() {
                n if n > 1 => word,
                _ => word.to_lowercase(),
            },
        )
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::OtherError;

    use super::*;

    #[test]
    fn a_ca_certificate_as_a_server_certificate() {
        let error = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(webpki::Error::CaUsedAsEndEntity),
        )));
        assert_eq!(
            tls(&error),
            "the server's certificate is a CA certificate, not a server certificate"
        );
    }

    #[test]
    fn certificate_errors_in_words() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(
            tls(&unknown),
            "the server's certificate was not issued by a trusted certificate authority"
        );
        let expired = CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
        };
        assert_eq!(
            certificate(&expired),
            "the server's certificate expired on 2023-11-14"
        );
        let presented = vec![
            "DnsName(\"example.com\")".to_owned(),
            "IpAddress(10.0.0.5)".to_owned(),
        ];
        assert_eq!(
            not_valid_for("localhost", &presented),
            "is not valid for localhost: it names example.com, 10.0.0.5"
        );
        assert_eq!(
            not_valid_for("localhost", &[]),
            "is not valid for localhost: it names no host"
        );
    }

    #[test]
    fn alerts_in_words() {
        let alert = rustls::Error::AlertReceived(AlertDescription::UnrecognisedName);
        assert_eq!(
            tls(&alert),
            "the server ended the handshake: it does not know the host name"
        );
        assert_eq!(super::alert(AlertDescription::UnknownCA), "unknown CA");
        assert_eq!(super::alert(AlertDescription::Unknown(200)), "alert 200");
    }

    #[test]
    fn variant_names_as_words() {
        assert_eq!(variant("UnknownCA"), "unknown CA");
        assert_eq!(variant("BadDer"), "bad der");
        assert_eq!(variant("TrailingData(Certificate)"), "trailing data");
        assert_eq!(variant("CRLExpired"), "CRL expired");
    }

    #[test]
    fn system_errors_without_their_number() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(io(&refused), "connection refused");
        let unknown = io::Error::from_raw_os_error(libc::ENOEXEC);
        assert_eq!(io(&unknown), "exec format error");
        let custom = io::Error::other("tls handshake eof");
        assert_eq!(io(&custom), "tls handshake eof");
    }
}
