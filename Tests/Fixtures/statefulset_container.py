#!/usr/bin/env python3
"""Prints, as JSON, how the rendered StatefulSet starts bulla: the container's args with
`$(VAR)` expanded as the kubelet would for pod NAME, its environment (literal values and where
the others come from), and each mount path with the volume behind it.

  statefulset_container.py RENDERED.yaml POD_NAME
"""
import json
import re
import sys

import yaml
from kubernetes import client

api = client.ApiClient()
(raw,) = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "StatefulSet"]
statefulset = api._ApiClient__deserialize(raw, "V1StatefulSet")
spec = statefulset.spec.template.spec
(container,) = spec.containers
values = {"POD_NAME": sys.argv[2]}
env = {}
for e in container.env or []:
    source = e.value_from
    if e.value is not None:
        env[e.name] = {"value": e.value}
    elif source.field_ref:
        env[e.name] = {"field": source.field_ref.field_path}
    elif source.secret_key_ref:
        env[e.name] = {"secret": source.secret_key_ref.name, "key": source.secret_key_ref.key}
volumes = {}
for v in spec.volumes or []:
    if v.secret:
        volumes[v.name] = {"secret": v.secret.secret_name, "items": [i.key for i in v.secret.items or []]}
    elif v.config_map:
        volumes[v.name] = {"configMap": v.config_map.name}
for t in statefulset.spec.volume_claim_templates or []:
    volumes[t.metadata.name] = {"claim": t.metadata.name}
args = [re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), a) for a in container.args]
print(json.dumps({
    "image": container.image,
    "args": args,
    "env": env,
    "mounts": {m.mount_path: volumes[m.name] for m in container.volume_mounts or []},
}))
