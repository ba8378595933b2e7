//! The JSON Schema of the descriptor (and its KRM wrapper), for editors
//! (`# yaml-language-server: $schema=...`), the Helm chart's values.schema.json and CI.

pub const DESCRIPTOR_SCHEMA: &str = include_str!("../schemas/descriptor.schema.json");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor as d;

    fn properties<'a>(schema: &'a serde_json::Value, pointer: &str) -> Vec<&'a str> {
        let mut keys: Vec<&str> = schema
            .pointer(pointer)
            .and_then(|p| p.as_object())
            .unwrap_or_else(|| panic!("schema has no {pointer}"))
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn sorted(fields: &[&'static str]) -> Vec<&'static str> {
        let mut v = fields.to_vec();
        v.sort_unstable();
        v
    }

    #[test]
    fn schema_lists_exactly_the_fields_the_reader_accepts() {
        let schema: serde_json::Value = serde_json::from_str(DESCRIPTOR_SCHEMA).unwrap();
        let base = "/definitions/descriptor/properties";
        for (pointer, fields) in [
            (base.to_string(), d::DESCRIPTOR_FIELDS),
            (
                format!("{base}/kafkaClusters/items/properties"),
                d::SDM_CLUSTER_FIELDS,
            ),
            (
                format!("{base}/nonSDMKafkaClusters/items/properties"),
                d::NON_SDM_CLUSTER_FIELDS,
            ),
            (
                format!("{base}/kafkaClusters/items/properties/tls/properties"),
                d::TLS_FIELDS,
            ),
            (
                format!("{base}/kafkaClusters/items/properties/sasl/properties"),
                d::SASL_FIELDS,
            ),
            (
                format!("{base}/nonSDMKafkaClusters/items/properties/tls/properties"),
                d::TLS_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties"),
                d::SPEC_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties/istioControlPlane/properties"),
                d::ISTIO_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties/kafkaUser/properties"),
                d::KAFKA_USER_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties/metrics/properties"),
                d::METRICS_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties/metrics/properties/alerts/properties"),
                d::ALERTS_FIELDS,
            ),
            (
                format!("{base}/mirrorMaker2Spec/properties/logging/properties"),
                d::LOGGING_FIELDS,
            ),
            ("/definitions/krm/properties".to_string(), d::KRM_FIELDS),
        ] {
            assert_eq!(
                properties(&schema, &pointer),
                sorted(fields),
                "at {pointer}"
            );
        }
    }
}
