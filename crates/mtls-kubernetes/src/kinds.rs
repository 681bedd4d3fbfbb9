//! Which objects are translated, which are skipped, and which are refused, by apiVersion and
//! kind (as data).

/// What the translation does with an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handling {
    /// `networking.k8s.io/v1` Ingress.
    Ingress,
    /// `v1` Service.
    Service,
    /// `discovery.k8s.io/v1` EndpointSlice.
    EndpointSlice,
    /// `v1` Endpoints.
    Endpoints,
    /// `v1` Secret (read when referenced or labelled).
    Secret,
    /// `v1` ConfigMap (read when labelled `konghq.com/ca-cert: "true"`).
    ConfigMap,
    /// `configuration.konghq.com/v1` KongPlugin.
    KongPlugin,
    /// `configuration.konghq.com/v1` KongClusterPlugin.
    KongClusterPlugin,
    /// `configuration.konghq.com/v1` KongConsumer.
    KongConsumer,
    /// A kind that configures nothing here (Deployment, Namespace, IngressClass, ...).
    Skip,
    /// A kind that would configure Kong, which this translation does not do: refused with
    /// the reason.
    Unsupported(&'static str),
    /// A handled kind with another version, or an unknown API group: refused.
    UnknownVersion,
}

/// The handled kinds with their one apiVersion.
const HANDLED: [(&str, &str, Handling); 9] = [
    ("networking.k8s.io/v1", "Ingress", Handling::Ingress),
    ("v1", "Service", Handling::Service),
    (
        "discovery.k8s.io/v1",
        "EndpointSlice",
        Handling::EndpointSlice,
    ),
    ("v1", "Endpoints", Handling::Endpoints),
    ("v1", "Secret", Handling::Secret),
    ("v1", "ConfigMap", Handling::ConfigMap),
    (
        "configuration.konghq.com/v1",
        "KongPlugin",
        Handling::KongPlugin,
    ),
    (
        "configuration.konghq.com/v1",
        "KongClusterPlugin",
        Handling::KongClusterPlugin,
    ),
    (
        "configuration.konghq.com/v1",
        "KongConsumer",
        Handling::KongConsumer,
    ),
];

/// Kubernetes' built-in API group versions: their other kinds (workloads, RBAC, ...) are
/// skipped.
const BUILT_IN: [&str; 20] = [
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "networking.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
    "coordination.k8s.io/v1",
    "certificates.k8s.io/v1",
    "node.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "resource.k8s.io/v1",
];

/// API groups whose kinds configure Kong in ways this translation does not cover.
const UNSUPPORTED_GROUPS: [(&str, &str); 3] = [
    (
        "configuration.konghq.com",
        "this Kong custom resource is not translated (supported: KongPlugin, \
         KongClusterPlugin, KongConsumer)",
    ),
    (
        "gateway.networking.k8s.io",
        "Gateway API resources are not translated: use an Ingress",
    ),
    (
        "incubator.ingress-controller.konghq.com",
        "Kong's incubator resources are not translated",
    ),
];

/// Kinds without a namespace.
const CLUSTER_SCOPED: [&str; 14] = [
    "KongClusterPlugin",
    "Namespace",
    "IngressClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "Node",
    "RuntimeClass",
    "APIService",
];

/// What to do with an object of this apiVersion and kind.
pub(crate) fn classify(api_version: &str, kind: &str) -> Handling {
    if let Some((_, _, handling)) = HANDLED
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
    {
        return *handling;
    }
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    let handled_kind = HANDLED
        .iter()
        .any(|(v, k, _)| *k == kind && v.split_once('/').map_or("", |(g, _)| g) == group);
    if handled_kind {
        return Handling::UnknownVersion;
    }
    if let Some((_, why)) = UNSUPPORTED_GROUPS.iter().find(|(g, _)| *g == group) {
        return Handling::Unsupported(why);
    }
    if BUILT_IN.contains(&api_version) {
        Handling::Skip
    } else {
        Handling::UnknownVersion
    }
}

/// The apiVersion this translation reads for `kind`, if it reads it.
pub(crate) fn expected_version(kind: &str) -> Option<&'static str> {
    HANDLED
        .iter()
        .find(|(_, k, _)| *k == kind)
        .map(|(v, _, _)| *v)
}

/// Whether `kind` has no namespace.
pub(crate) fn cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(
            classify("networking.k8s.io/v1", "Ingress"),
            Handling::Ingress
        );
        assert_eq!(
            classify("networking.k8s.io/v1beta1", "Ingress"),
            Handling::UnknownVersion
        );
        assert_eq!(
            classify("extensions/v1beta1", "Ingress"),
            Handling::UnknownVersion
        );
        assert_eq!(classify("apps/v1", "Deployment"), Handling::Skip);
        assert_eq!(
            classify("networking.k8s.io/v1", "IngressClass"),
            Handling::Skip
        );
        assert_eq!(
            classify("example.com/v1", "Widget"),
            Handling::UnknownVersion
        );
        assert!(matches!(
            classify("configuration.konghq.com/v1", "KongIngress"),
            Handling::Unsupported(_)
        ));
        assert!(matches!(
            classify("gateway.networking.k8s.io/v1", "HTTPRoute"),
            Handling::Unsupported(_)
        ));
        assert_eq!(
            classify("configuration.konghq.com/v1beta1", "KongPlugin"),
            Handling::UnknownVersion
        );
    }
}
