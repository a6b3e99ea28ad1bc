#!/usr/bin/env python3
"""Checks the webhook's manifests with the official Kubernetes Python client: every document
must deserialize into its API model (types and required fields checked by the client), and the
webhook's operating rules must hold. Prints one line per problem and exits 1 if there is any;
prints "ok N documents" otherwise.

  check_manifests.py CA_BUNDLE FILE...

FILEs are YAML streams: what `kubectl kustomize deploy/overlays/example` renders, and
deploy/webhooks.yaml. CA_BUNDLE (what deploy/make-cert.sh prints) replaces the placeholder, as
deploy/install.sh does.
"""
import os
import re
import sys

import yaml
from kubernetes import client

API = client.ApiClient()
MODELS = {
    ("v1", "Namespace"): "V1Namespace", ("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret",
    ("v1", "Service"): "V1Service", ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "StatefulSet"): "V1StatefulSet", ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"): "V1ValidatingWebhookConfiguration",
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"): "V1MutatingWebhookConfiguration",
}
problems = []
objects = []
for path in sys.argv[2:]:
    for document in yaml.safe_load_all(open(path).read().replace("CA_BUNDLE", sys.argv[1])):
        if document is None:
            continue
        key = (document.get("apiVersion"), document.get("kind"))
        if key not in MODELS:
            problems.append(f"{path}: {key} is not a kind this check knows")
            continue
        try:
            objects.append((path, document, API._ApiClient__deserialize(document, MODELS[key])))
        except (ValueError, TypeError) as error:
            problems.append(f"{path}: {key[1]} does not deserialize: {error}")

deadline_ms = None


def duration_ms(text):
    """bulla's duration syntax (spec/cli.md): 250ms, 8s, 1m30s; a bare number is milliseconds."""
    if text.isdigit():
        return int(text)
    units = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000}
    total = 0
    for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w)", text):
        total += int(number) * units[unit]
    if re.sub(r"\d+(ms|s|m|h|d|w)", "", text):
        raise SystemExit(f"--deadline={text} is not a duration")
    return total
for path, raw, obj in objects:
    if raw["kind"] == "StatefulSet":
        spec = obj.spec.template.spec
        if obj.spec.replicas != 2:
            problems.append(f"{path}: replicas is {obj.spec.replicas}, not 2")
        claims = {t.metadata.name for t in obj.spec.volume_claim_templates or []}
        env = {e.name: e for c in spec.containers for e in c.env or []}
        pod_name = env.get("POD_NAME")
        if not (pod_name and pod_name.value_from and pod_name.value_from.field_ref and pod_name.value_from.field_ref.field_path == "metadata.name"):
            problems.append(f"{path}: POD_NAME is not the pod's name (the decision log's origin names it)")
        for c in spec.containers:
            if "@sha256:" not in (c.image or ""):
                problems.append(f"{path}: container {c.name} image {c.image} is not pinned by digest")
            mounts = {m.mount_path: m.name for m in c.volume_mounts or []}
            args = dict(a.split("=", 1) for a in c.args or [] if a.startswith("--") and "=" in a)
            log = args.get("--decision-log")
            if not log or mounts.get(log) not in claims:
                problems.append(f"{path}: the decision log {log} is not on a volume claimed per replica ({sorted(claims)})")
            if "$(POD_NAME)" not in args.get("--decision-log-origin", ""):
                problems.append(f"{path}: --decision-log-origin does not name the replica")
            key = args.get("--log-signing-key", "")
            if os.path.dirname(key) not in mounts:
                problems.append(f"{path}: --log-signing-key {key} is not on a mounted volume")
        if not (spec.security_context and spec.security_context.run_as_non_root):
            problems.append(f"{path}: the pod does not run as non-root")
        for c in spec.containers:
            sc = c.security_context
            if not (sc and sc.read_only_root_filesystem and sc.allow_privilege_escalation is False):
                problems.append(f"{path}: container {c.name} lacks a read-only root filesystem or allows privilege escalation")
            if not (c.resources and c.resources.limits and "cpu" in c.resources.limits and "memory" in c.resources.limits):
                problems.append(f"{path}: container {c.name} has no cpu and memory limits")
            for arg in c.args or []:
                if arg.startswith("--deadline="):
                    deadline_ms = duration_ms(arg.split("=", 1)[1])
            if not any(a.startswith("--tls-cert=") for a in c.args or []):
                problems.append(f"{path}: container {c.name} does not serve TLS")
    if raw["kind"].endswith("WebhookConfiguration"):
        for hook in obj.webhooks:
            if hook.failure_policy != "Fail":
                problems.append(f"{path}: {hook.name} failurePolicy is {hook.failure_policy}, not Fail")
            if not (hook.namespace_selector and hook.namespace_selector.match_labels):
                problems.append(f"{path}: {hook.name} has no namespace opt-in label")
            if not hook.timeout_seconds or not 1 <= hook.timeout_seconds <= 30:
                problems.append(f"{path}: {hook.name} timeoutSeconds {hook.timeout_seconds} is not within 1-30")
            elif deadline_ms is not None and deadline_ms >= hook.timeout_seconds * 1000:
                problems.append(f"{path}: {hook.name} times out at {hook.timeout_seconds}s, not after bulla's {deadline_ms} ms deadline")
            if "v1" not in hook.admission_review_versions:
                problems.append(f"{path}: {hook.name} does not speak AdmissionReview v1")
            resources = {r for rule in hook.rules for r in rule.resources}
            for wanted in ["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "replicationcontrollers"]:
                if wanted not in resources:
                    problems.append(f"{path}: {hook.name} does not cover {wanted}")
kinds = {raw["kind"] for _, raw, _ in objects}
for wanted in ["StatefulSet", "Service", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ConfigMap", "Secret"]:
    if wanted not in kinds:
        problems.append(f"no {wanted} in {' '.join(sys.argv[2:])}")
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"ok {len(objects)} documents")
