"""Runs bulla verify-blob on a bundle for attacks.py; returns the exit code and output."""
import json, base64, subprocess, copy, os, sys, hashlib
A=os.environ['KEYLESS_ASSETS']
B=os.environ['BULLA']
ID='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
ISS='https://token.actions.githubusercontent.com'
OUT=os.environ['KEYLESS_WORK'] + '/out'
os.makedirs(OUT, exist_ok=True)
def load(v, f='bundle.sigstore.json'): return json.load(open(f'{A}/{v}/{f}'))
def b64d(s): return base64.b64decode(s)
def b64e(b): return base64.b64encode(b).decode()
def save(name, obj, raw=None):
    p=f'{OUT}/{name}'
    with open(p,'w' if raw is None else 'wb') as f:
        if raw is not None: f.write(raw)
        else: json.dump(obj,f)
    return p
def run(name, bundle, artifact=f'{A}/a.txt', root=None, identity=ID, issuer=ISS, regexp=None, key=None, extra=(), show=True):
    args=[B,'verify-blob',artifact,'--bundle',bundle]
    if key: args+=['--key',key]
    elif regexp is not None: args+=['--certificate-identity-regexp',regexp,'--certificate-oidc-issuer',issuer]
    else: args+=['--certificate-identity',identity,'--certificate-oidc-issuer',issuer]
    if root: args+=['--trusted-root',root]
    args+=list(extra)
    import time; t=time.time()
    p=subprocess.run(args,capture_output=True,text=True)
    dt=time.time()-t
    out=(p.stdout+p.stderr).strip()
    if show: print(f'[{name}] rc={p.returncode} ({dt:.2f}s): {out[:600]}')
    return p.returncode,out
