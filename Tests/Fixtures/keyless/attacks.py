"""Attacks on `bulla verify-blob`'s keyless path that an adversarial review found accepted, each
now refused; the control cases are still accepted.

usage: attacks.py BULLA ASSETS WORKDIR   (ASSETS: the conformance suite's bundle-verify folder)
Prints each case; exits 1 when any case gets another exit status than expected.
"""
import os, sys
os.environ['BULLA'], os.environ['KEYLESS_ASSETS'], os.environ['KEYLESS_WORK'] = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_pki import *
import runner as h
failures = []
def expect(status, result, name):
    if result[0] != status:
        failures.append(f"{name}: exit {result[0]}, expected {status}: {result[1][:300]}")
def go(nm, bundle, root, **kw):
    return h.run(nm, write(nm.replace(' ','_')+'.bundle.json',bundle), artifact=ART, root=write(nm.replace(' ','_')+'.root.json',root),
                 identity=kw.pop('identity','https://example.com/ok'), issuer=kw.pop('issuer','https://issuer.example'), **kw)
EXPECTED = {}  # every named case below must be refused (exit 1)
SK=key('signer')
print('--- D1 retired intermediate re-enabled by the bundle chain')
OLDK=key('int-old'); INT_OLD=mkca(name('syn-int-old'),OLDK,name('syn-root'),ROOTK,T0,T0+10*365*86400,eku=[ExtendedKeyUsageOID.CODE_SIGNING],path=0)
auth=lambda chain,s,e=None,u='https://ca.example': {'uri':u,'certChain':{'certificates':[{'rawBytes':b64e(der(c))} for c in chain]},'validFor':{'start':rfc(s),**({'end':rfc(e)} if e else {})}}
root=trusted_root(cas=[auth([INT_OLD,ROOT],T0,NOW-10000,'https://old-ca.example'), auth([INT,ROOT],NOW-5000,None,'https://new-ca.example')])
L=leaf(SK,NOW-300,NOW+300,issuer_cert=INT_OLD,issuer_key=OLDK)
mk=lambda chain,media: msg_bundle(L,SK,lambda s:[tlog_entry_v1(hashedrekord_v1(ADIG.hex(),s,pem(L)),NOW-100)],chain=chain,media=media)
expect(EXPECTED.get('D1 leaf only', 1), go('D1 leaf only', mk(None,'application/vnd.dev.sigstore.bundle.v0.3+json'), root), 'D1 leaf only')
expect(EXPECTED.get('D1 bundle chain [leaf, retired int]', 1), go('D1 bundle chain [leaf, retired int]', mk([L,INT_OLD],'application/vnd.dev.sigstore.bundle+json;version=0.2'), root), 'D1 bundle chain [leaf, retired int]')
print('--- D2 unsigned integratedTime judges the log key (real rekor2-happy-path, root with the v2 key retired 2025-05-01)')
r=h.load('rekor2-happy-path','trusted_root.json')
for t in r['tlogs']:
    if 'log2025' in t['baseUrl']: t['publicKey']['validFor']={'start':'2025-04-16T00:00:00Z','end':'2025-05-01T00:00:00Z'}
rp=h.save('D2-root.json',r); b=h.load('rekor2-happy-path')
expect(EXPECTED.get('D2 as is', 1), h.run('D2 as is', f'{h.A}/rekor2-happy-path/bundle.sigstore.json', root=rp), 'D2 as is')
b['verificationMaterial']['tlogEntries'][0]['integratedTime']='1745000000'
expect(EXPECTED.get('D2 + "integratedTime":"1745000000"', 1), h.run('D2 + "integratedTime":"1745000000"', h.save('D2-bundle.json',b), root=rp), 'D2 + "integratedTime":"1745000000"')
PK=f'{D}/signer.pub'; open(PK,'wb').write(SK.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
def keyb(it):
    sig=ecsign(SK, open(ART,'rb').read())
    return {'mediaType':'application/vnd.dev.sigstore.bundle.v0.3+json','verificationMaterial':{'publicKey':{'hint':''},'tlogEntries':[tlog_entry_v2(hashedrekord_v2(ADIG,sig,spki(SK),cert=False),it=it)]},
            'messageSignature':{'messageDigest':{'algorithm':'SHA2_256','digest':b64e(ADIG)},'signature':b64e(sig)}}
expect(EXPECTED.get('D2 key mode, Rekor v2, no timestamp', 1), go('D2 key mode, Rekor v2, no timestamp', keyb(None), trusted_root(), key=PK), 'D2 key mode, Rekor v2, no timestamp')
expect(EXPECTED.get('D2 key mode, Rekor v2, no timestamp, integratedTime now-5 (unsigned)', 1), go('D2 key mode, Rekor v2, no timestamp, integratedTime now-5 (unsigned)', keyb(NOW-5), trusted_root(), key=PK), 'D2 key mode, Rekor v2, no timestamp, integratedTime now-5 (unsigned)')
print('--- D3 DSSE payloadType not checked')
Lk=leaf(SK,NOW-300,NOW+300)
for ptype in ['application/vnd.in-toto+json','text/plain']:
    payload=json.dumps({'_type':'https://in-toto.io/Statement/v1','subject':[{'name':'a','digest':{'sha256':ADIG.hex()}}],'predicateType':'p','predicate':{}}).encode()
    sig=ecsign(SK,pae(ptype,payload))
    b={'mediaType':'application/vnd.dev.sigstore.bundle.v0.3+json','verificationMaterial':{'certificate':{'rawBytes':b64e(der(Lk))},'tlogEntries':[tlog_entry_v1(dsse_v1(payload,sig,pem(Lk)),NOW-100)]},
       'dsseEnvelope':{'payload':b64e(payload),'payloadType':ptype,'signatures':[{'sig':b64e(sig),'keyid':''}]}}
    expect(0 if ptype == 'application/vnd.in-toto+json' else 1, go('D3 payloadType '+ptype.replace('/','_'), b, trusted_root()), 'D3 '+ptype)
print('--- D4 Unicode canonical equivalence in issuer / identity')
L4=leaf(SK,NOW-300,NOW+300,iss8='https://issuer.example/e\u0301')
expect(EXPECTED.get('D4 issuer decomposed vs precomposed', 1), go('D4 issuer decomposed vs precomposed', msg_bundle(L4,SK,lambda s:[tlog_entry_v1(hashedrekord_v1(ADIG.hex(),s,pem(L4)),NOW-100)]), trusted_root(), issuer='https://issuer.example/\u00e9'), 'D4 issuer decomposed vs precomposed')
L5=leaf(SK,NOW-300,NOW+300,sans=[x509.OtherName(ObjectIdentifier('1.3.6.1.4.1.57264.1.7'), utf8str('bob\u00e9'))])
b5=msg_bundle(L5,SK,lambda s:[tlog_entry_v1(hashedrekord_v1(ADIG.hex(),s,pem(L5)),NOW-100)])
expect(EXPECTED.get('D4 username SAN precomposed, --certificate-identity decomposed', 1), go('D4 username SAN precomposed, --certificate-identity decomposed', b5, trusted_root(), identity='bobe\u0301'), 'D4 username SAN precomposed, --certificate-identity decomposed')
expect(EXPECTED.get('D4 same, --certificate-identity-regexp decomposed', 1), go('D4 same, --certificate-identity-regexp decomposed', b5, trusted_root(), regexp='bobe\u0301'), 'D4 same, --certificate-identity-regexp decomposed')

for failure in failures:
    print("FAILED", failure)
print(f"{len(failures)} attack(s) not refused as expected", file=sys.stderr)
sys.exit(1 if failures else 0)
