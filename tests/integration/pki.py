"""pki.py - a test CA and certificates, made with the openssl CLI at test time.

make_pki(dir) returns a dict of paths:
  ca            the trusted test CA (give it to ringfetch with --cacert)
  server, key   localhost, dual.test, 127.0.0.1 and ::1, signed by ca
  wrong         signed by ca for wrong.example only
  expired       signed by ca, expired yesterday
  rogue         localhost/127.0.0.1, signed by a CA ringfetch does not trust
  client, client_key   a client certificate signed by ca
  cn_only       CN=localhost and no subjectAltName (must be refused)
  ip_cn         CN=127.0.0.1 and no subjectAltName (must be refused)
  wildcard      DNS:*.wild.test and DNS:f*.part.test (a partial wildcard)
(each certificate's key is NAME_key)
"""
import os
import subprocess


def _run(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def _key(path):
    _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)


def _ca(d, name):
    key, pem = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    _key(key)
    _run("req", "-x509", "-new", "-key", key, "-out", pem, "-days", "7", "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return pem, key


def _leaf(d, name, ca, ca_key, san, days="7", client=False, cn=None):
    key, csr, pem = (os.path.join(d, name + ext) for ext in (".key", ".csr", ".pem"))
    _key(key)
    _run("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={cn or name}")
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        if san:
            f.write(f"subjectAltName={san}\n")
        f.write("extendedKeyUsage=" + ("clientAuth" if client else "serverAuth") + "\n")
    _run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", pem,
         "-days", days, "-extfile", ext)
    return pem, key


def make_pki(d):
    ca, ca_key = _ca(d, "ca")
    rogue_ca, rogue_key = _ca(d, "rogue-ca")
    local = "DNS:localhost,DNS:dual.test,IP:127.0.0.1,IP:::1"
    server, key = _leaf(d, "server", ca, ca_key, local)
    wrong, wrong_key = _leaf(d, "wrong", ca, ca_key, "DNS:wrong.example")
    expired, expired_key = _leaf(d, "expired", ca, ca_key, local, days="-1")
    rogue, rogue_leaf_key = _leaf(d, "rogue", rogue_ca, rogue_key, local)
    client, client_key = _leaf(d, "client", ca, ca_key, "DNS:client.test", client=True)
    cn_only, cn_only_key = _leaf(d, "cn_only", ca, ca_key, None, cn="localhost")
    ip_cn, ip_cn_key = _leaf(d, "ip_cn", ca, ca_key, None, cn="127.0.0.1")
    wildcard, wildcard_key = _leaf(d, "wildcard", ca, ca_key, "DNS:*.wild.test,DNS:f*.part.test")
    return {"cn_only": cn_only, "cn_only_key": cn_only_key, "ip_cn": ip_cn,
            "ip_cn_key": ip_cn_key, "wildcard": wildcard, "wildcard_key": wildcard_key,
            "ca": ca, "server": server, "key": key, "wrong": wrong, "wrong_key": wrong_key,
            "expired": expired, "expired_key": expired_key, "rogue": rogue,
            "rogue_key": rogue_leaf_key, "client": client, "client_key": client_key}
