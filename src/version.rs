//! The Kafka version mm2gen targets: the default image, and the same version the end-to-end
//! test installs from Maven Central (tests/e2e/pom.xml; a test checks they agree).

/// Apache Kafka release the default image runs.
pub const KAFKA_VERSION: &str = "4.3.1";
/// Official Apache Kafka image (Docker Hub `apache/kafka`), pinned.
pub const DEFAULT_IMAGE: &str = "apache/kafka:4.3.1";

/// Prometheus JMX exporter (`io.prometheus.jmx:jmx_prometheus_javaagent` on Maven Central) the
/// generated pods load; the end-to-end test loads the same release.
pub const JMX_EXPORTER_VERSION: &str = "1.0.1";
/// Image of the init container that brings the exporter's agent jar: Strimzi's Kafka image
/// ships it in /opt/prometheus-jmx-exporter. Overridable (`metrics.agentImage`) for a registry
/// mirror or an image of one's own.
pub const DEFAULT_JMX_EXPORTER_IMAGE: &str = "quay.io/strimzi/kafka:0.45.0-kafka-3.9.0";
/// The agent jar inside that image: a glob, as Strimzi's own start scripts find it.
pub const DEFAULT_JMX_EXPORTER_JAR: &str =
    "/opt/prometheus-jmx-exporter/jmx_prometheus_javaagent*.jar";

/// `major.minor.patch` of a version string such as `3.9.0` or `3.9.0-rc1`.
pub fn parse(version: &str) -> Option<(u32, u32, u32)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The Kafka version an image runs, read from its tag: `apache/kafka:3.9.0` or the
/// Scala-prefixed `ghcr.io/banzaicloud/kafka:2.13-3.9.0`. None when the tag does not say.
pub fn kafka_version_of_image(image: &str) -> Option<String> {
    let without_digest = image.split('@').next()?;
    let last_segment = without_digest.rsplit('/').next()?;
    let (_, tag) = last_segment.split_once(':')?;
    let tag = match tag.split_once('-') {
        Some((scala, rest)) if scala.starts_with("2.1") && parse(rest).is_some() => rest,
        _ => tag,
    };
    parse(tag).map(|_| tag.split(['-', '+']).next().unwrap_or(tag).to_string())
}

/// Whether every Connect plugin in `image` has a ServiceLoader manifest, so MirrorMaker2 can
/// find them without scanning every class on its classpath: true for the official image
/// (`apache/kafka`, also through a registry mirror) from Kafka 3.6 on, which added the manifests
/// with `plugin.discovery` (KIP-898). Another image may add plugins that have none.
pub fn official_image_has_plugin_manifests(image: &str) -> bool {
    let repository = image.split('@').next().unwrap_or(image);
    let repository = match repository.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => repository,
    };
    let official = repository == "apache/kafka" || repository.ends_with("/apache/kafka");
    official
        && kafka_version_of_image(image)
            .and_then(|v| parse(&v))
            .is_some_and(|v| v >= (3, 6, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafka_version_from_image_tags() {
        assert_eq!(
            kafka_version_of_image("apache/kafka:3.9.0").as_deref(),
            Some("3.9.0")
        );
        assert_eq!(
            kafka_version_of_image("ghcr.io/banzaicloud/kafka:2.13-2.8.1").as_deref(),
            Some("2.8.1")
        );
        assert_eq!(kafka_version_of_image("registry:5000/kafka:latest"), None);
        assert_eq!(kafka_version_of_image("apache/kafka@sha256:abc"), None);
        assert_eq!(
            kafka_version_of_image(DEFAULT_IMAGE).as_deref(),
            Some(KAFKA_VERSION)
        );
    }

    #[test]
    fn official_images_from_kafka_3_6_have_plugin_manifests() {
        assert!(official_image_has_plugin_manifests(DEFAULT_IMAGE));
        assert!(official_image_has_plugin_manifests("apache/kafka:3.6.0"));
        assert!(official_image_has_plugin_manifests(
            "docker.io/apache/kafka:3.9.1@sha256:0123"
        ));
        assert!(official_image_has_plugin_manifests(
            "mirror.example.com:5000/apache/kafka:4.0.0"
        ));
        assert!(!official_image_has_plugin_manifests("apache/kafka:3.5.2"));
        assert!(!official_image_has_plugin_manifests(
            "apache/kafka@sha256:0123"
        ));
        assert!(!official_image_has_plugin_manifests("apache/kafka:latest"));
        assert!(!official_image_has_plugin_manifests(
            "example.com/my/kafka:4.3.1"
        ));
        assert!(!official_image_has_plugin_manifests(
            "apache/kafka-native:4.3.1"
        ));
        assert!(!official_image_has_plugin_manifests(
            "ghcr.io/banzaicloud/kafka:2.13-3.9.0"
        ));
    }

    #[test]
    fn compares_versions() {
        assert!(parse("3.4.1").unwrap() < (3, 5, 0));
        assert!(parse("3.5").unwrap() >= (3, 5, 0));
    }
}
