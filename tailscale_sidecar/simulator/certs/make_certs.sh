#!/bin/sh
# Makes the simulated tailnet's CA and the certificate fake-tailscaled serves.
#
# The simulator is standard-library only and cannot mint certificates, so this
# runs once and its output is committed: ca.pem (served by fake-tailscale-control
# at /admin/api/ca.pem), and a wildcard leaf for every node of the default
# MagicDNS suffix (leaf.pem, leaf.key). The CA key is thrown away, so nothing
# else can ever be signed by this CA. Re-run only to change the suffix:
#   sh make_certs.sh [tail1234.ts.net]
set -eu
suffix="${1:-tail1234.ts.net}"
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
days=36500

openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -sha256 -days "$days" \
    -subj "/O=Simulated Tailnet/CN=Simulated Tailnet CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out ca.pem

openssl ecparam -name prime256v1 -genkey -noout -out "$work/leaf.key"
openssl pkcs8 -topk8 -nocrypt -in "$work/leaf.key" -out leaf.key
openssl req -new -key leaf.key -subj "/CN=*.$suffix" -out "$work/leaf.csr"
cat > "$work/leaf.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:*.$suffix
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
openssl x509 -req -in "$work/leaf.csr" -CA ca.pem -CAkey "$work/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -sha256 -days "$days" \
    -extfile "$work/leaf.ext" -out leaf.pem
chmod 0644 ca.pem leaf.pem leaf.key
openssl verify -CAfile ca.pem leaf.pem
