"""An enterprise PKI for `bulla sign --certificate` and `verify --ca-roots` tests, made with
pyca/cryptography (nothing Bulla wrote): a root CA, an intermediate, and for the signer's public
key a code-signing leaf, plus leaves that must be refused: expired, without the code-signing
EKU, and one from another root.

usage: enterprise_pki.py OUTDIR SIGNER_PUB_PEM
Writes root.pem, int.pem, leaf.pem, expired.pem, no-eku.pem, other-root.pem, other-leaf.pem.
"""
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

out, signer_pub = sys.argv[1], sys.argv[2]
public = serialization.load_pem_public_key(open(signer_pub, 'rb').read())
now = datetime.datetime.now(datetime.timezone.utc)
day = datetime.timedelta(days=1)

def name(cn): return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Acme'), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(subject, key, issuer, issuer_key, ca, start, end, eku=True, san='release@acme.example'):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end).add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
        b = b.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(san)]), False)
        if eku: b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
    return b.sign(issuer_key, hashes.SHA256())
def save(path, c): open(f'{out}/{path}', 'wb').write(c.public_bytes(serialization.Encoding.PEM))

root_key, int_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
root = cert(name('Acme Root CA'), root_key.public_key(), name('Acme Root CA'), root_key, True, now - day, now + 3650 * day)
inter = cert(name('Acme Signing CA'), int_key.public_key(), root.subject, root_key, True, now - day, now + 1825 * day)
other = cert(name('Other Root CA'), other_key.public_key(), name('Other Root CA'), other_key, True, now - day, now + 3650 * day)
save('root.pem', root); save('int.pem', inter); save('other-root.pem', other)
save('leaf.pem', cert(name('release'), public, inter.subject, int_key, False, now - day, now + 365 * day))
save('expired.pem', cert(name('release'), public, inter.subject, int_key, False, now - 30 * day, now - 2 * day))
save('no-eku.pem', cert(name('release'), public, inter.subject, int_key, False, now - day, now + 365 * day, eku=False))
save('other-leaf.pem', cert(name('release'), public, other.subject, other_key, False, now - day, now + 365 * day))
