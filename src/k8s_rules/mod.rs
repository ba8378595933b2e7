//! The API server's own rules for values that mm2gen passes through or derives from user text,
//! as pure functions. The typed check (k8s-openapi) only knows the shape of an object; these
//! rules are what `kubectl apply` would refuse later, so they are checked here where the value
//! still has its place in the descriptor.
//!
//! Sources (Kubernetes 1.34): k8s.io/apimachinery/pkg/util/validation (names, labels),
//! k8s.io/apimachinery/pkg/api/validate/content (label keys and values),
//! k8s.io/apimachinery/pkg/api/resource (the quantity grammar and suffixes), and
//! pkg/apis/core/validation (resources, tolerations, affinity, the 1 MiB ConfigMap/Secret
//! limit). The unit tests use the valid and invalid examples of those packages' own tests.

mod names;
mod pod;
mod quantity;
mod resources;

pub use names::{
    data_key, dns1035_label, dns1123_label, dns1123_subdomain, label_key, label_value,
    MAX_DATA_BYTES,
};
pub use pod::{check_affinity, check_labels, check_tolerations, Violation};
pub use quantity::Quantity;
pub use resources::check_resources;
