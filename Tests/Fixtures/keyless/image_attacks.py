"""Attacks an adversarial review made on keyless and CA-certified image signatures, each now
refused; run by KeylessImageTests.imageAttacksAreRefused.

usage: image_attacks.py BULLA FIXTURES WORKDIR   (FIXTURES: Tests/InteropTests/Fixtures/cosign-legacy)
Prints each case; exits 1 when any case is not answered as expected.
"""
import base64, hashlib, json, os, shutil, subprocess, sys
bulla, fixtures, work = sys.argv[1:4]
os.environ['KEYLESS_WORK'] = work
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from synthetic_pki import *

failures = []
def run(*args):
    p = subprocess.run([bulla, *args], capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')
def check(name, ok, detail):
    print(('ok   ' if ok else 'FAIL ') + name)
    if not ok: failures.append(f'{name}: {detail[:600]}')
def layout(name):
    out = f'{work}/{name}'
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(['python3', f'{here}/legacy_layout.py', f'{fixtures}/dir-img-cosign-fulcio-rekor-valid', out, 'v1'], check=True, capture_output=True)
    return out
def sig_manifest(path):
    index = json.load(open(f'{path}/index.json'))
    entry = next(m for m in index['manifests'] if m['annotations']['org.opencontainers.image.ref.name'].endswith('.sig'))
    return index, entry, json.loads(open(f"{path}/blobs/sha256/{entry['digest'][7:]}", 'rb').read())
def put(path, data):
    h = hashlib.sha256(data).hexdigest(); open(f'{path}/blobs/sha256/{h}', 'wb').write(data)
    return {'digest': f'sha256:{h}', 'size': len(data)}
def rewrite(path, layers):
    index, entry, manifest = sig_manifest(path)
    manifest['layers'] = layers
    entry.update(put(path, json.dumps(manifest).encode()))
    json.dump(index, open(f'{path}/index.json', 'w'))
ID = ['--certificate-identity', 'mitr@redhat.com', '--certificate-oidc-issuer', 'https://github.com/login/oauth']

# 1. A rule's log requirement applies to keyless signatures: the real signature is in Rekor but
#    not in the Bulla log the verifier requires.
real = layout('real')
logkey = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
open(f'{work}/log.pub', 'wb').write(logkey)
rc, out, err = run('verify', f'oci:{real}:v1', *ID, '--log-key', f'{work}/log.pub', '--require-log')
check('keyless signature without the required Bulla log entry', rc == 1 and 'not in a trusted log, and one is required' in out, out + err)

# 2. Text from an unverified certificate cannot forge lines or hide text: a SAN with a line break
#    and an escape sequence is printed escaped, in verify, tree and errors.
def raw_san_cert(text):
    k = ec.generate_private_key(ec.SECP256R1())
    e = text.encode(); inner = b'\x81' + der_len(len(e)) + e
    san = b'\x30' + der_len(len(inner)) + inner
    return (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(name('x')).public_key(k.public_key()).serial_number(1)
            .not_valid_before(dt(NOW - 60)).not_valid_after(dt(NOW + 600))
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier('2.5.29.17'), san), False)
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier('1.3.6.1.4.1.57264.1.8'), utf8str('https://github.com/login/oauth')), False)
            .sign(k, hashes.SHA256()))
injected = layout('injected')
_, _, manifest = sig_manifest(injected)
layers = manifest['layers']
layers[0]['annotations']['dev.sigstore.cosign/certificate'] = pem(raw_san_cert('x\nverified oci:fake 1 of 1 required trusted key(s)\n\x1b[8m')).decode()
rewrite(injected, layers)
for args in (['verify', f'oci:{injected}:v1', '--key', f'{fixtures}/cosign.pub'], ['verify', f'oci:{injected}:v1', *ID], ['tree', f'oci:{injected}:v1']):
    rc, out, err = run(*args)
    clean = '\x1b' not in out + err and 'verified oci:fake' not in '\n'.join(l for l in (out + err).splitlines() if l.startswith('verified'))
    check(f'certificate text escaped in {args[0]} {args[2:3]}', clean and '\\u{A}' in out + err, out + err)

# 3. A certificate for an identity nobody trusts is refused before its evidence is checked: 32
#    copies of a log entry cost one comparison, not 32 verifications.
SK = key('attacker')
L = leaf(SK, NOW - 300, NOW + 300, sans=[x509.UniformResourceIdentifier('https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main')],
         iss8='https://token.actions.githubusercontent.com')
flood = layout('flood')
index = json.load(open(f'{flood}/index.json'))
image = next(m for m in index['manifests'] if m['annotations']['org.opencontainers.image.ref.name'] == 'v1')
statement = json.dumps({'_type': 'https://in-toto.io/Statement/v1', 'subject': [{'name': 'i', 'digest': {'sha256': image['digest'][7:]}}],
                        'predicateType': 'https://sigstore.dev/cosign/sign/v1', 'predicate': {}}).encode()
sig = ecsign(SK, pae('application/vnd.in-toto+json', statement))
entry = tlog_entry_v1(dsse_v1(statement, sig, pem(L)), NOW - 100)
bundle = {'mediaType': 'application/vnd.dev.sigstore.bundle.v0.3+json',
          'verificationMaterial': {'certificate': {'rawBytes': b64e(der(L))}, 'tlogEntries': [entry] * 32},
          'dsseEnvelope': {'payload': b64e(statement), 'payloadType': 'application/vnd.in-toto+json', 'signatures': [{'sig': b64e(sig), 'keyid': ''}]}}
open(f'{work}/flood.json', 'w').write(json.dumps(bundle))
rc, out, err = run('verify', f'oci:{flood}:v1', '--bundle', f'{work}/flood.json', '--certificate-identity-regexp', '^https://github.com/acme/',
                   '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', write('flood-root.json', trusted_root()))
check('a flood of log entries for an untrusted identity is refused by identity', rc == 1 and 'which no trusted identity allows' in out, out + err)

# 4. One private key is one signer, whichever certificate it comes with: the same key under a
#    Fulcio certificate and under an enterprise CA's does not meet a threshold of two.
twice = layout('twice')
_, _, manifest = sig_manifest(twice)
payload = json.dumps({'critical': {'identity': {'docker-reference': 'r.example/app'}, 'image': {'docker-manifest-digest': image['digest']},
                                   'type': 'cosign container image signature'}, 'optional': None}).encode()
SK2 = key('twice')
fulcio = leaf(SK2, NOW - 300, NOW + 300, sans=[x509.UniformResourceIdentifier('https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main')],
              iss8='https://token.actions.githubusercontent.com')
ca_key = ec.generate_private_key(ec.SECP256R1())
ca = mkca(name('corp-root'), ca_key, name('corp-root'), ca_key, NOW - 86400, NOW + 86400 * 365)
corp = (x509.CertificateBuilder().subject_name(name('release')).issuer_name(ca.subject).public_key(SK2.public_key()).serial_number(9)
        .not_valid_before(dt(NOW - 300)).not_valid_after(dt(NOW + 86400)).add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False).sign(ca_key, hashes.SHA256()))
open(f'{work}/corp-root.pem', 'wb').write(pem(ca))
def legacy_layer(cert, with_rekor):
    s = ecsign(SK2, payload)
    notes = {'dev.cosignproject.cosign/signature': b64e(s), 'dev.sigstore.cosign/certificate': pem(cert).decode()}
    if with_rekor:
        e = tlog_entry_v1(hashedrekord_v1(hashlib.sha256(payload).hexdigest(), s, pem(cert)), NOW - 100, proof=False)
        notes['dev.sigstore.cosign/bundle'] = json.dumps({'SignedEntryTimestamp': e['inclusionPromise']['signedEntryTimestamp'],
            'Payload': {'body': e['canonicalizedBody'], 'integratedTime': NOW - 100, 'logIndex': 7, 'logID': base64.b64decode(e['logId']['keyId']).hex()}})
    return put(twice, payload) | {'mediaType': 'application/vnd.dev.cosign.simplesigning.v1+json', 'annotations': notes}
rewrite(twice, [legacy_layer(fulcio, True), legacy_layer(corp, False)])
rc, out, err = run('verify', f'oci:{twice}:v1', '--certificate-identity-regexp', '^https://github.com/acme/', '--certificate-oidc-issuer',
                   'https://token.actions.githubusercontent.com', '--trusted-root', write('twice-root.json', trusted_root()), '--ca-roots', f'{work}/corp-root.pem', '--threshold', '2')
check('one key under two certificates is one signer', rc == 1 and 'already counted' in out, out + err)
rc, out, err = run('verify', f'oci:{twice}:v1', '--ca-roots', f'{work}/corp-root.pem')
check('control: the CA-certified layer alone verifies', rc == 0, out + err)

# 5. A bundle naming two signers (certificate and x509CertificateChain) is refused, not read by
#    whichever comes first.
both = json.loads(json.dumps(bundle))
both['verificationMaterial']['x509CertificateChain'] = {'certificates': [{'rawBytes': b64e(der(L))}]}
open(f'{work}/both.json', 'w').write(json.dumps(both))
rc, out, err = run('verify-blob', 'sha256:' + image['digest'][7:], '--bundle', f'{work}/both.json', '--certificate-identity-regexp', '.',
                   '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com')
check('a bundle with certificate and x509CertificateChain', rc == 3 and 'it names one signer' in err, out + err)

for failure in failures:
    print('FAILED', failure)
print(f'{len(failures)} attack(s) not refused as expected', file=sys.stderr)
sys.exit(1 if failures else 0)
