"""Signs an image in an OCI layout keylessly, as cosign does with Sigstore's public-good
instance, but on the synthetic PKI of synthetic_pki.py (a Fulcio-like CA with an SCT-issuing CT
log, a Rekor v1 log): a short-lived certificate for a GitHub Actions workflow identity with its
Fulcio claims, a DSSE bundle v0.3 over the cosign image-signature statement, logged with a signed
entry timestamp and an inclusion proof, stored as an OCI 1.1 referrer in the layout's index.

usage: keyless_image.py LAYOUT TAG WORKDIR [WORKFLOW [PREDICATE_TYPE PREDICATE_FILE]]
(WORKFLOW default: release.yml). With a predicate, an attestation of that type is made instead
of a signature. Prints the trusted root's path (WORKDIR/syn/trusted_root.json) and the identity
signed as.
"""
import hashlib, json, os, sys
layout, tag, work = sys.argv[1:4]
workflow = sys.argv[4] if len(sys.argv) > 4 else 'release.yml'
os.environ['KEYLESS_WORK'] = work
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_pki import *

REPO = 'acme/payments'
IDENTITY = f'https://github.com/{REPO}/.github/workflows/{workflow}@refs/heads/main'
ISSUER = 'https://token.actions.githubusercontent.com'

index = json.load(open(f'{layout}/index.json'))
image = next(m for m in index['manifests'] if m.get('annotations', {}).get('org.opencontainers.image.ref.name') == tag)
digest = image['digest']

def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(f'{layout}/blobs/sha256/{h}', 'wb').write(data)
    return {'digest': f'sha256:{h}', 'size': len(data)}

signer = key(f'signer-{workflow}')
claims = [('1.3.6.1.4.1.57264.1.5', REPO.encode()), ('1.3.6.1.4.1.57264.1.6', b'refs/heads/main'),
          ('1.3.6.1.4.1.57264.1.12', utf8str(f'https://github.com/{REPO}')), ('1.3.6.1.4.1.57264.1.14', utf8str('refs/heads/main')),
          ('1.3.6.1.4.1.57264.1.9', utf8str(IDENTITY))]
cert = leaf(signer, NOW - 300, NOW + 300, sans=[x509.UniformResourceIdentifier(IDENTITY)], iss8=ISSUER, extra_ext=claims)
predicate_type, predicate = 'https://sigstore.dev/cosign/sign/v1', {}
if len(sys.argv) > 6:
    predicate_type, predicate = sys.argv[5], json.load(open(sys.argv[6]))
statement = json.dumps({'_type': 'https://in-toto.io/Statement/v1', 'subject': [{'name': 'image', 'digest': {'sha256': digest.split(':')[1]}}],
                        'predicateType': predicate_type, 'predicate': predicate}).encode()
ptype = 'application/vnd.in-toto+json'
sig = ecsign(signer, pae(ptype, statement))
bundle = {'mediaType': 'application/vnd.dev.sigstore.bundle.v0.3+json',
          'verificationMaterial': {'certificate': {'rawBytes': b64e(der(cert))}, 'tlogEntries': [tlog_entry_v1(dsse_v1(statement, sig, pem(cert)), NOW - 100)]},
          'dsseEnvelope': {'payload': b64e(statement), 'payloadType': ptype, 'signatures': [{'sig': b64e(sig), 'keyid': ''}]}}
layer = put(json.dumps(bundle).encode()) | {'mediaType': 'application/vnd.dev.sigstore.bundle.v0.3+json'}
empty = put(b'{}') | {'mediaType': 'application/vnd.oci.empty.v1+json'}
bundle_type = 'application/vnd.dev.sigstore.bundle.v0.3+json'
manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'artifactType': bundle_type, 'config': empty,
                       'layers': [layer], 'subject': {'mediaType': image['mediaType'], 'digest': digest, 'size': image['size']}}).encode()
index['manifests'].append(put(manifest) | {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'artifactType': bundle_type,
                                            'annotations': {'dev.sigstore.bundle.predicateType': predicate_type}})
json.dump(index, open(f'{layout}/index.json', 'w'))
root = write('trusted_root.json', trusted_root())
print(root)
print(IDENTITY)
