//! Fixed places and defaults the model and the templates share.

/// Where the ConfigMap holding mm2.properties is mounted.
pub const CONFIG_DIR: &str = "/etc/mirrormaker2/config";
pub const PROPERTIES_FILE: &str = "mm2.properties";
pub const DEFAULT_NAME: &str = "mirrormaker2";
pub const DEFAULT_HEAP_OPTS: &str = "-Xms256M -Xmx2G";
/// Port of the internal REST server that KIP-710 multi-node MirrorMaker2 needs.
pub const REST_PORT: u16 = 8080;
