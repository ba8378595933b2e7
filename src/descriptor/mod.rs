//! The input: the vendor's MirrorMaker2 migration descriptor, read as is (YAML or JSON), bare or
//! wrapped in a `MirrorMaker2Migration` KRM object, plus mm2gen's optional extensions.
//!
//! This layer only reads and type-checks: every field keeps where it came from so the model
//! step can point at it. Defaults and cross-field rules live in `model`.

use std::path::PathBuf;

use crate::diagnostics::{Collector, Diagnostic, Result, SourceFile};
use crate::yaml::{self, Node};

pub const KRM_API_VERSION: &str = "mm2gen.io/v1alpha1";
pub const KRM_KIND: &str = "MirrorMaker2Migration";

mod fields;
mod reader;
mod spec;
mod types;

pub use fields::*;
pub use types::*;

pub use reader::join;
use reader::{empty_node, Reader};

/// Reads a descriptor from text. `name` is how errors refer to the input.
pub fn load(name: &str, text: &str, base_dir: PathBuf) -> Result<Descriptor> {
    let source = SourceFile::new(name, text);
    let mut docs = yaml::parse_documents(&source)?;
    let root = match docs.len() {
        1 => docs.remove(0),
        0 => {
            return Err(Diagnostic::error(format!("{name} is empty"))
                .help("pass the MirrorMaker2 migration descriptor (YAML or JSON) with -f")
                .into())
        }
        n => {
            return Err(Diagnostic::error(format!(
                "{name} holds {n} YAML documents; a descriptor is one document"
            ))
            .at(Some(docs[1].location(&source)))
            .label("second document starts here")
            .help("split the file, or remove the `---` separators")
            .into())
        }
    };
    let mut reader = Reader {
        file: source.clone(),
        diags: Collector::default(),
    };
    let descriptor = reader.descriptor_or_krm(&root, base_dir);
    reader.diags.check()?;
    Ok(descriptor)
}

/// Reads a descriptor that is already a parsed node (a stream item from Helm or Kustomize).
pub fn from_node(source: &SourceFile, node: &Node, base_dir: PathBuf) -> Result<Descriptor> {
    let mut reader = Reader {
        file: source.clone(),
        diags: Collector::default(),
    };
    let descriptor = reader.descriptor_or_krm(node, base_dir);
    reader.diags.check()?;
    Ok(descriptor)
}

pub fn is_krm_wrapper(node: &Node) -> bool {
    node.get_str("kind") == Some(KRM_KIND)
}

impl Reader {
    fn descriptor_or_krm(&mut self, root: &Node, base_dir: PathBuf) -> Descriptor {
        if root.get("apiVersion").is_some() || root.get("kind").is_some() {
            return self.krm(root, base_dir);
        }
        self.descriptor(root, "", base_dir, None)
    }

    fn krm(&mut self, root: &Node, base_dir: PathBuf) -> Descriptor {
        let fields = self.fields(
            root,
            "",
            &[
                "apiVersion",
                "kind",
                "metadata",
                "spec",
                "descriptorFile",
                "kafkaClusterFiles",
                "bootstrapServers",
            ],
        );
        let mut metadata = KrmMetadata::default();
        let mut spec = None;
        for (k, v) in fields {
            match k {
                "apiVersion" => {
                    if let Some(s) = self.string(v, "apiVersion") {
                        if s.value != KRM_API_VERSION {
                            self.error(
                                v,
                                "apiVersion",
                                format!("unsupported apiVersion `{}`", s.value),
                                &format!("use `apiVersion: {KRM_API_VERSION}`"),
                            );
                        }
                    }
                }
                "kind" => {
                    if let Some(s) = self.string(v, "kind") {
                        if s.value != KRM_KIND {
                            self.error(
                                v,
                                "kind",
                                format!("unsupported kind `{}`", s.value),
                                &format!("mm2gen reads `kind: {KRM_KIND}` (or a bare descriptor)"),
                            );
                        }
                    }
                }
                "metadata" => {
                    // Kustomize and kpt add their own annotations and labels; accept any
                    // metadata and read only what names the output.
                    if v.as_map().is_none() && !v.is_null() {
                        self.error(
                            v,
                            "metadata",
                            "`metadata` must be a mapping".into(),
                            "give at least `name:`",
                        );
                    }
                    if let Some(n) = v.get("name") {
                        metadata.name = self.string(n, "metadata.name");
                    }
                    if let Some(n) = v.get("namespace") {
                        metadata.namespace = self.string(n, "metadata.namespace");
                    }
                }
                "spec" => spec = Some(v),
                "descriptorFile" => metadata.descriptor_file = self.string(v, "descriptorFile"),
                "kafkaClusterFiles" => {
                    for (i, item) in self.list(v, "kafkaClusterFiles").iter().enumerate() {
                        if let Some(f) = self.string(item, &format!("kafkaClusterFiles[{i}]")) {
                            metadata.kafka_cluster_files.push(f);
                        }
                    }
                }
                "bootstrapServers" => {
                    if v.as_map().is_none() && !v.is_null() {
                        self.error(
                            v,
                            "bootstrapServers",
                            "`bootstrapServers` must be a mapping of alias to address".into(),
                            "write `target-cluster: host:port` lines under it",
                        );
                    }
                    for (key, value) in v.as_map().unwrap_or(&[]) {
                        let path = format!("bootstrapServers.{}", key.key_text());
                        if let (Some(k), Some(a)) =
                            (self.string(key, &path), self.string(value, &path))
                        {
                            metadata.bootstrap_servers.push((k, a));
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(file), Some(_)) = (&metadata.descriptor_file, spec) {
            let d = file.diag(Diagnostic::error("the MirrorMaker2Migration has both `spec` and `descriptorFile`"))
                .help("keep one: the descriptor inline under `spec`, or in the file `descriptorFile` names");
            self.diags.push(d);
        }
        if metadata.descriptor_file.is_some() {
            return self.descriptor(&empty_node(root), "spec", base_dir, Some(metadata));
        }
        let Some(spec) = spec else {
            self.error(
                root,
                "",
                format!("the {KRM_KIND} object has no `spec`"),
                "put the descriptor (kafkaClusters, nonSDMKafkaClusters, mirrorMaker2Spec, mirrorMaker2Properties) under `spec:`, or name its file with `descriptorFile:`",
            );
            return self.descriptor(&empty_node(root), "spec", base_dir, Some(metadata));
        };
        self.descriptor(spec, "spec", base_dir, Some(metadata))
    }

    fn descriptor(
        &mut self,
        node: &Node,
        path: &str,
        base_dir: PathBuf,
        krm: Option<KrmMetadata>,
    ) -> Descriptor {
        let mut d = Descriptor {
            source: self.file.clone(),
            base_dir,
            krm,
            kubernetes_configs: Vec::new(),
            kafka_clusters: Vec::new(),
            non_sdm_clusters: Vec::new(),
            spec: Mm2Spec::default(),
            properties: None,
        };
        if node.as_map().is_none() && !node.is_null() {
            let what = node.kind_name();
            self.error(
                node,
                path,
                format!("a descriptor must be a mapping, found {what}"),
                "see examples/descriptor.yaml for the expected shape",
            );
            return d;
        }
        for (k, v) in self.fields(node, path, DESCRIPTOR_FIELDS) {
            let p = join(path, k);
            match k {
                "kubernetesConfigs" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if let Some(s) = self.string(item, &format!("{p}[{i}]")) {
                            d.kubernetes_configs.push(s);
                        }
                    }
                }
                "kafkaClusters" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if item.is_null() {
                            continue;
                        }
                        let c = self.sdm_cluster(item, &format!("{p}[{i}]"));
                        d.kafka_clusters.push(c);
                    }
                }
                "nonSDMKafkaClusters" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if item.is_null() {
                            continue;
                        }
                        let c = self.non_sdm_cluster(item, &format!("{p}[{i}]"));
                        d.non_sdm_clusters.push(c);
                    }
                }
                "mirrorMaker2Spec" => d.spec = self.spec(v, &p),
                "mirrorMaker2Properties" => d.properties = self.properties(v, &p),
                _ => {}
            }
        }
        d
    }

    fn sdm_cluster(&mut self, node: &Node, path: &str) -> SdmCluster {
        let mut c = SdmCluster {
            path: path.to_string(),
            location: self.loc(node),
            namespace: None,
            name: None,
            kubernetes_config_context: None,
            alias: None,
            internal_listener_name: None,
            external_listener_name: None,
            credentials: Credentials::default(),
        };
        let allowed = SDM_CLUSTER_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            match k {
                "namespace" => c.namespace = self.string(v, &p),
                "name" => c.name = self.string(v, &p),
                "kubernetesConfigContext" => c.kubernetes_config_context = self.string(v, &p),
                "alias" => c.alias = self.string(v, &p),
                "internalListenerName" => c.internal_listener_name = self.string(v, &p),
                "externalListenerName" => c.external_listener_name = self.string(v, &p),
                "tls" => c.credentials.tls = Some(self.tls(v, &p)),
                "sasl" => c.credentials.sasl = Some(self.sasl(v, &p)),
                _ => {}
            }
        }
        c
    }

    fn non_sdm_cluster(&mut self, node: &Node, path: &str) -> NonSdmCluster {
        let mut c = NonSdmCluster {
            path: path.to_string(),
            location: self.loc(node),
            bootstrap_server_address: None,
            alias: None,
            kafka_version: None,
            credentials: Credentials::default(),
        };
        for (k, v) in self.fields(node, path, NON_SDM_CLUSTER_FIELDS) {
            let p = join(path, k);
            match k {
                "bootstrapServerAddress" => c.bootstrap_server_address = self.string(v, &p),
                "alias" => c.alias = self.string(v, &p),
                "kafkaVersion" => c.kafka_version = self.string(v, &p),
                "tls" => c.credentials.tls = Some(self.tls(v, &p)),
                "sasl" => c.credentials.sasl = Some(self.sasl(v, &p)),
                _ => {}
            }
        }
        c
    }

    fn tls(&mut self, node: &Node, path: &str) -> TlsSecret {
        let mut t = TlsSecret {
            path: path.to_string(),
            location: self.loc(node),
            ..TlsSecret::default()
        };
        let allowed = TLS_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            let s = self.string(v, &p);
            match k {
                "secretName" => t.secret_name = s,
                "truststoreKey" => t.truststore_key = s,
                "truststorePasswordKey" => t.truststore_password_key = s,
                "keystoreKey" => t.keystore_key = s,
                "keystorePasswordKey" => t.keystore_password_key = s,
                "keyPasswordKey" => t.key_password_key = s,
                _ => {}
            }
        }
        t
    }

    fn sasl(&mut self, node: &Node, path: &str) -> SaslSecret {
        let mut s = SaslSecret {
            path: path.to_string(),
            location: self.loc(node),
            ..SaslSecret::default()
        };
        for (k, v) in self.fields(node, path, SASL_FIELDS) {
            let p = join(path, k);
            let value = self.string(v, &p);
            match k {
                "secretName" => s.secret_name = value,
                "jaasConfigKey" => s.jaas_config_key = value,
                _ => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Descriptor> {
        load("d.yaml", text, PathBuf::from("."))
    }

    #[test]
    fn unknown_field_suggests_the_close_one() {
        let err = load_str("kafkaCluster:\n  - name: kafka\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.message.contains("unknown field `kafkaCluster`"));
        assert_eq!(d.help.as_deref(), Some("did you mean `kafkaClusters`?"));
        assert_eq!(d.where_().as_deref(), Some("d.yaml:1:1"));
    }

    #[test]
    fn krm_wrapper_reads_metadata_and_spec() {
        let d = load_str(
            "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\nspec:\n  kafkaClusters:\n  - alias: t\n",
        )
        .unwrap();
        assert_eq!(d.krm.unwrap().name.unwrap().value, "mm2");
        assert_eq!(
            d.kafka_clusters[0].alias.as_ref().unwrap().path,
            "spec.kafkaClusters[0].alias"
        );
    }

    #[test]
    fn literal_properties_lines_map_to_file_lines() {
        let d = load_str("mirrorMaker2Properties: |-\n  a=1\n  b=2\n").unwrap();
        let p = d.properties.unwrap();
        let loc = p.location_of(2, 0, 1).unwrap();
        assert_eq!((loc.line, loc.col), (3, 2));
    }

    #[test]
    fn wrong_types_are_reported_together() {
        let err =
            load_str("mirrorMaker2Spec:\n  minReplicas: one\n  maxReplicas: [1]\n").unwrap_err();
        assert_eq!(err.diagnostics.len(), 2);
        assert!(err.diagnostics[0]
            .message
            .contains("must be a whole number"));
    }
}
