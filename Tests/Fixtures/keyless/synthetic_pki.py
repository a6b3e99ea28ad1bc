"""A synthetic Sigstore PKI for attacks on Bulla's keyless verification (made by an adversarial
review; see attacks.py): CA (root+intermediate), CT log, Rekor v1 (P-256) and v2 (Ed25519) logs, TSA.
make(**opts) -> (bundle_path, root_path, artifact_path)."""
import json, base64, hashlib, os, struct, subprocess, time, datetime, copy
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID, ObjectIdentifier
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
D=os.environ['KEYLESS_WORK'] + '/syn'; os.makedirs(D, exist_ok=True)
NOW=int(time.time())
def b64e(b): return base64.b64encode(b).decode()
def spki(k): return k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) if hasattr(k,'public_key') else k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
def dt(t): return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
def rfc(t): return dt(t).strftime('%Y-%m-%dT%H:%M:%SZ')
def der_len(n):
    if n<0x80: return bytes([n])
    b=n.to_bytes((n.bit_length()+7)//8,'big'); return bytes([0x80|len(b)])+b
def utf8str(s): b=s.encode(); return b'\x0c'+der_len(len(b))+b
def octet(b): return b'\x04'+der_len(len(b))+b
def ecsign(k,data,h=hashes.SHA256()): return k.sign(data, ec.ECDSA(h))

# fixed keys (persist so roots are stable)
def key(name, kind='p256'):
    p=f'{D}/{name}.key'
    if os.path.exists(p): return serialization.load_pem_private_key(open(p,'rb').read(), None)
    k={'p256':lambda: ec.generate_private_key(ec.SECP256R1()),'p384':lambda: ec.generate_private_key(ec.SECP384R1()),'ed':ed25519.Ed25519PrivateKey.generate}[kind]()
    open(p,'wb').write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())); return k
ROOTK=key('root'); INTK=key('int'); CTK=key('ct'); R1K=key('rekor1'); R2K=key('rekor2','ed'); TSAK=key('tsa'); TSARK=key('tsaroot')
def name(cn,o='syn'): return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,o), x509.NameAttribute(NameOID.COMMON_NAME,cn)])
def mkca(subj, k, issuer_name, issuer_key, nb, na, eku=None, path=None, ca=True):
    b=(x509.CertificateBuilder().subject_name(subj).issuer_name(issuer_name).public_key(k.public_key()).serial_number(x509.random_serial_number())
       .not_valid_before(dt(nb)).not_valid_after(dt(na)).add_extension(x509.BasicConstraints(ca=ca,path_length=path),True)
       .add_extension(x509.KeyUsage(False,False,False,False,False,True,True,False,False),True)
       .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()),False))
    if eku: b=b.add_extension(x509.ExtendedKeyUsage(eku),False)
    return b.sign(issuer_key, hashes.SHA256())
T0=1700000000
ROOT=mkca(name('syn-root'),ROOTK,name('syn-root'),ROOTK,T0,T0+20*365*86400)
INT=mkca(name('syn-int'),INTK,name('syn-root'),ROOTK,T0,T0+10*365*86400,eku=[ExtendedKeyUsageOID.CODE_SIGNING],path=0)
def der(c): return c.public_bytes(serialization.Encoding.DER)
def pem(c): return c.public_bytes(serialization.Encoding.PEM)

def sct_for(tbs, issuer_spki, ts_ms, ctk=CTK):
    ext=b''
    signed=bytes([0,0])+struct.pack('>Q',ts_ms)+bytes([0,1])+hashlib.sha256(issuer_spki).digest()+len(tbs).to_bytes(3,'big')+tbs+struct.pack('>H',len(ext))+ext
    sig=ecsign(ctk,signed)
    sct=bytes([0])+hashlib.sha256(spki(ctk)).digest()+struct.pack('>Q',ts_ms)+struct.pack('>H',0)+bytes([4,3])+struct.pack('>H',len(sig))+sig
    lst=struct.pack('>H',len(sct))+sct
    return octet(struct.pack('>H',len(lst))+lst)

def leaf(signer_key, nb, na, sans=None, iss8='https://issuer.example', iss1=None, issuer_cert=None, issuer_key=None, eku=True, sct=True, sct_ms=None, extra_ext=(), ca=False, ku=True):
    issuer_cert=issuer_cert or INT; issuer_key=issuer_key or INTK
    sans=sans if sans is not None else [x509.UniformResourceIdentifier('https://example.com/ok')]
    serial=x509.random_serial_number()
    def build(with_sct):
        b=(x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(issuer_cert.subject).public_key(signer_key.public_key())
           .serial_number(serial).not_valid_before(dt(nb)).not_valid_after(dt(na)))
        if ku: b=b.add_extension(x509.KeyUsage(True,False,False,False,False,False,False,False,False),True)
        if eku: b=b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),False)
        if ca: b=b.add_extension(x509.BasicConstraints(ca=True,path_length=None),True)
        if sans: b=b.add_extension(x509.SubjectAlternativeName(sans),True)
        if iss1 is not None: b=b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier('1.3.6.1.4.1.57264.1.1'), iss1.encode()),False)
        if iss8 is not None: b=b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier('1.3.6.1.4.1.57264.1.8'), utf8str(iss8)),False)
        for oid,val in extra_ext: b=b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier(oid),val),False)
        if with_sct is not None: b=b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier('1.3.6.1.4.1.11129.2.4.2'), with_sct),False)
        return b
    if not sct: return build(None).sign(issuer_key, hashes.SHA256())
    pre=build(None).sign(issuer_key, hashes.SHA256())
    s=sct_for(pre.tbs_certificate_bytes, spki(issuer_cert.public_key()), sct_ms if sct_ms is not None else nb*1000)
    return build(s).sign(issuer_key, hashes.SHA256())

def tlog_entry_v1(body, it, idx=7, set_=True, proof=True, origin='rekor1.example - 42', rk=R1K):
    logid=hashlib.sha256(spki(rk)).digest()
    e={'logIndex':str(idx),'logId':{'keyId':b64e(logid)},'kindVersion':{'kind':json.loads(body)['kind'],'version':json.loads(body)['apiVersion']},
       'integratedTime':str(it),'canonicalizedBody':b64e(body)}
    if set_:
        payload=json.dumps({'body':b64e(body),'integratedTime':it,'logID':logid.hex(),'logIndex':idx},sort_keys=True,separators=(',',':')).encode()
        e['inclusionPromise']={'signedEntryTimestamp':b64e(ecsign(rk,payload))}
    if proof:
        root=hashlib.sha256(b'\x00'+body).digest()
        text=f'{origin}\n1\n{b64e(root)}\n'.encode()
        nm=origin.split(' ')[0]
        line='— '+nm+' '+b64e(hashlib.sha256(spki(rk)).digest()[:4]+ecsign(rk,text))+'\n'
        e['inclusionProof']={'logIndex':'0','rootHash':b64e(root),'treeSize':'1','hashes':[],'checkpoint':{'envelope':text.decode()+'\n'+line}}
    return e

def tlog_entry_v2(body, idx=3, host='rekor2.example', rk=R2K, it=None):
    logid=hashlib.sha256(spki(rk)).digest()
    root=hashlib.sha256(b'\x00'+body).digest()
    text=f'{host}\n1\n{b64e(root)}\n'.encode()
    raw=rk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid=hashlib.sha256(host.encode()+b'\n\x01'+raw).digest()[:4]
    line='— '+host+' '+b64e(kid+rk.sign(text))+'\n'
    e={'logIndex':str(idx),'logId':{'keyId':b64e(logid)},'kindVersion':{'kind':json.loads(body)['kind'],'version':'0.0.2'},'canonicalizedBody':b64e(body),
       'inclusionProof':{'logIndex':'0','rootHash':b64e(root),'treeSize':'1','hashes':[],'checkpoint':{'envelope':text.decode()+'\n'+line}}}
    if it is not None: e['integratedTime']=str(it)
    return e

def hashedrekord_v1(digest_hex, sig, signer_pem):
    return json.dumps({'apiVersion':'0.0.1','kind':'hashedrekord','spec':{'data':{'hash':{'algorithm':'sha256','value':digest_hex}},'signature':{'content':b64e(sig),'publicKey':{'content':b64e(signer_pem)}}}},separators=(',',':')).encode()
def hashedrekord_v2(digest, sig, signer_der, cert=True):
    ver={'x509Certificate':{'rawBytes':b64e(signer_der)}} if cert else {'publicKey':{'rawBytes':b64e(signer_der)}}
    ver['keyDetails']='PKIX_ECDSA_P256_SHA_256'
    return json.dumps({'apiVersion':'0.0.2','kind':'hashedrekord','spec':{'hashedRekordV002':{'data':{'algorithm':'SHA2_256','digest':b64e(digest)},'signature':{'content':b64e(sig),'verifier':ver}}}},separators=(',',':')).encode()
def dsse_v1(payload, sig, signer_pem):
    return json.dumps({'apiVersion':'0.0.1','kind':'dsse','spec':{'payloadHash':{'algorithm':'sha256','value':hashlib.sha256(payload).hexdigest()},'signatures':[{'signature':b64e(sig),'verifier':b64e(signer_pem)}]}},separators=(',',':')).encode()
def pae(t,p): return b'DSSEv1 %d %s %d ' % (len(t.encode()), t.encode(), len(p)) + p

def logobj(url, k, start, end=None, details=None):
    vf={'start':rfc(start)}; 
    if end: vf['end']=rfc(end)
    det=details or ('PKIX_ED25519' if isinstance(k,ed25519.Ed25519PrivateKey) else 'PKIX_ECDSA_P256_SHA_256')
    return {'baseUrl':url,'hashAlgorithm':'SHA2_256','publicKey':{'rawBytes':b64e(spki(k)),'keyDetails':det,'validFor':vf},'logId':{'keyId':b64e(hashlib.sha256(spki(k)).digest())}}
def trusted_root(cas=None, ctlogs=None, tlogs=None, tsas=None):
    cas=cas if cas is not None else [{'subject':{'organization':'syn','commonName':'syn'},'uri':'https://ca.example','certChain':{'certificates':[{'rawBytes':b64e(der(INT))},{'rawBytes':b64e(der(ROOT))}]},'validFor':{'start':rfc(T0)}}]
    ctlogs=ctlogs if ctlogs is not None else [logobj('https://ct.example',CTK,T0)]
    tlogs=tlogs if tlogs is not None else [logobj('https://rekor1.example',R1K,T0), logobj('https://rekor2.example',R2K,T0)]
    return {'mediaType':'application/vnd.dev.sigstore.trustedroot+json;version=0.1','tlogs':tlogs,'certificateAuthorities':cas,'ctlogs':ctlogs,'timestampAuthorities':tsas or []}

ART=f'{D}/artifact.txt'; open(ART,'wb').write(b'hello synthetic\n'); ADIG=hashlib.sha256(open(ART,'rb').read()).digest()
_ctr=[0]
def write(nm, obj):
    p=f'{D}/{nm}'; json.dump(obj,open(p,'w')); return p

def msg_bundle(leafcert, signer_key, entries_fn, tsa=None, media='application/vnd.dev.sigstore.bundle.v0.3+json', chain=None, digest=ADIG, sig=None):
    if sig is None:
        sig=ecsign(signer_key, open(ART,'rb').read(), hashes.SHA256()) if not isinstance(signer_key,ed25519.Ed25519PrivateKey) else signer_key.sign(open(ART,'rb').read())
    vm={}
    if chain: vm['x509CertificateChain']={'certificates':[{'rawBytes':b64e(der(c))} for c in chain]}
    else: vm['certificate']={'rawBytes':b64e(der(leafcert))}
    vm['tlogEntries']=entries_fn(sig)
    if tsa: vm['timestampVerificationData']={'rfc3161Timestamps':[{'signedTimestamp':b64e(t)} for t in tsa(sig)]}
    return {'mediaType':media,'verificationMaterial':vm,'messageSignature':{'messageDigest':{'algorithm':'SHA2_256','digest':b64e(digest)},'signature':b64e(sig)}}

# TSA via openssl ts
TSA_ROOT=mkca(name('syn-tsa-root'),TSARK,name('syn-tsa-root'),TSARK,T0,T0+20*365*86400)
TSA_CERT=(x509.CertificateBuilder().subject_name(name('syn-tsa')).issuer_name(TSA_ROOT.subject).public_key(TSAK.public_key()).serial_number(5)
    .not_valid_before(dt(T0)).not_valid_after(dt(T0+10*365*86400)).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),True)
    .add_extension(x509.KeyUsage(True,False,False,False,False,False,False,False,False),True).sign(TSARK,hashes.SHA256()))
open(f'{D}/tsa.pem','wb').write(pem(TSA_CERT)); open(f'{D}/tsaroot.pem','wb').write(pem(TSA_ROOT))
open(f'{D}/tsa.cnf','w').write(f"""[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {D}
serial = {D}/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
if not os.path.exists(f'{D}/tsaserial'): open(f'{D}/tsaserial','w').write('01\n')
def tsa_token(data, certs=True, alg='sha256'):
    open(f'{D}/tsdata','wb').write(data)
    subprocess.run(['openssl','ts','-query','-data',f'{D}/tsdata','-'+alg]+(['-cert'] if certs else [])+['-out',f'{D}/tsq'],check=True,capture_output=True)
    subprocess.run(['openssl','ts','-reply','-config',f'{D}/tsa.cnf','-queryfile',f'{D}/tsq','-signer',f'{D}/tsa.pem','-inkey',f'{D}/tsa.key','-out',f'{D}/tsr'],check=True,capture_output=True)
    return open(f'{D}/tsr','rb').read()
def tsa_obj(start=T0, end=None, chain=None):
    vf={'start':rfc(start)}
    if end: vf['end']=rfc(end)
    chain=chain or [TSA_CERT, TSA_ROOT]
    return {'subject':{'organization':'syn','commonName':'tsa'},'uri':'https://tsa.example','certChain':{'certificates':[{'rawBytes':b64e(der(c))} for c in chain]},'validFor':vf}
